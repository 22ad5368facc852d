import type { VideoFragment } from './gop-pacer.js';
import type { ViewerStats } from './viewer.js';

/** What the feed needs of an H.264 viewer. */
export interface VideoViewer {
  readonly id: number;
  start(init: Buffer, gop: readonly VideoFragment[]): void;
  offer(fragment: VideoFragment): void;
  /** Ends the viewer's connection (the stream's init changed, or picamd stops). */
  close(): void;
  stats?(): ViewerStats;
}

export interface VideoFeedTotals {
  viewers: number;
  delivered: number;
  skipped: number;
  bytesSent: number;
}

/**
 * Fans H.264 fragments out to viewers. Keeps the init segment and the current group of pictures
 * (from the newest keyframe, bounded in bytes) so a new viewer starts with a picture at once. A new
 * init segment (other resolution or profile) ends every viewer: a fragmented MP4 stream cannot change
 * its track mid-way for every client (ffmpeg reads one moov), and the page reconnects by itself.
 */
export class VideoFeed<V extends VideoViewer = VideoViewer> {
  private readonly viewers = new Set<V>();
  private init: Buffer | undefined;
  private gop: VideoFragment[] = [];
  private gopBytes = 0;
  /** The group outgrew maxGopBytes: new viewers wait for the next keyframe. */
  private gopOverflow = false;
  private published = 0;
  private nextViewerId = 1;
  private readonly departed: VideoFeedTotals = { viewers: 0, delivered: 0, skipped: 0, bytesSent: 0 };

  constructor(
    private readonly now: () => number,
    private maxViewers: number,
    private readonly maxGopBytes: number,
  ) {}

  setLimit(maxViewers: number): void {
    this.maxViewers = maxViewers;
  }

  get full(): boolean {
    return this.viewers.size >= this.maxViewers;
  }

  allocateId(): number {
    return this.nextViewerId++;
  }

  /** Publishes a picture; `init` when the packager made a new init segment for it. */
  publish(bytes: Buffer, keyframe: boolean, init?: Buffer): VideoFragment {
    if (init && (!this.init || !init.equals(this.init))) {
      const hadInit = this.init !== undefined;
      this.init = init;
      if (hadInit) for (const viewer of [...this.viewers]) viewer.close();
    }
    const fragment: VideoFragment = { bytes, keyframe, at: this.now() };
    if (keyframe) {
      this.gop = [];
      this.gopBytes = 0;
      this.gopOverflow = false;
    }
    if (!this.gopOverflow) {
      if (this.gopBytes + bytes.length > this.maxGopBytes) {
        this.gop = [];
        this.gopBytes = 0;
        this.gopOverflow = true;
      } else {
        this.gop.push(fragment);
        this.gopBytes += bytes.length;
      }
    }
    this.published++;
    for (const viewer of this.viewers) viewer.offer(fragment);
    return fragment;
  }

  /** Ends every viewer, e.g. when the stream's timeline starts over. The init is forgotten too. */
  closeAll(): void {
    this.init = undefined;
    this.reset();
    for (const viewer of [...this.viewers]) viewer.close();
  }

  /** The camera stopped or restarts: the next stream starts over with its own init and keyframe. */
  reset(): void {
    this.gop = [];
    this.gopBytes = 0;
    this.gopOverflow = false;
  }

  /** Whether a stream is there to join (an init segment has been seen). */
  get ready(): boolean {
    return this.init !== undefined;
  }

  /** Adds a viewer, or returns false when the limit is reached or no stream has started yet. */
  add(viewer: V): boolean {
    if (this.full || !this.init) return false;
    this.viewers.add(viewer);
    viewer.start(this.init, this.gop);
    return true;
  }

  remove(viewer: V): void {
    if (!this.viewers.delete(viewer)) return;
    this.departed.viewers++;
    const s = viewer.stats?.();
    if (s) addStats(this.departed, s);
  }

  list(): V[] {
    return [...this.viewers];
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  get framesPublished(): number {
    return this.published;
  }

  /** Bytes of the group of pictures kept for new viewers. */
  get keptBytes(): number {
    return this.gopBytes;
  }

  viewerTotals(): VideoFeedTotals {
    const totals = { ...this.departed, viewers: this.departed.viewers + this.viewers.size };
    for (const viewer of this.viewers) {
      const s = viewer.stats?.();
      if (s) addStats(totals, s);
    }
    return totals;
  }
}

function addStats(totals: VideoFeedTotals, s: ViewerStats): void {
  totals.delivered += s.delivered;
  totals.skipped += s.skipped;
  totals.bytesSent += s.bytesSent;
}
