import type { VideoFragment } from './gop-pacer.js';
import { Output, type Reader, type ViewerLimit } from './output.js';

/** What the H.264 output needs of a viewer. */
export interface VideoViewer extends Reader {
  start(init: Buffer, gop: readonly VideoFragment[]): void;
  offer(fragment: VideoFragment): void;
  /** Ends the viewer's connection (the stream's init changed, or picamd stops). */
  close(): void;
}

/**
 * The H.264 output: fragments offered to every viewer, each paced by its GopPacer. Keeps the init
 * segment and the current group of pictures (from the newest keyframe, bounded in bytes) so a new
 * viewer starts with a picture at once. A new init segment (other resolution or profile) ends every
 * viewer: a fragmented MP4 stream cannot change its track mid-way for every client (ffmpeg reads one
 * moov), and the page reconnects by itself.
 */
export class VideoFeed<V extends VideoViewer = VideoViewer> extends Output<V> {
  private init: Buffer | undefined;
  private gop: VideoFragment[] = [];
  private gopBytes = 0;
  /** The group outgrew maxGopBytes: new viewers wait for the next keyframe. */
  private gopOverflow = false;

  constructor(
    private readonly now: () => number,
    limit: number | ViewerLimit,
    private readonly maxGopBytes: number,
  ) {
    super(limit);
  }

  /**
   * Publishes a picture; `init` when the packager made a new init segment for it. A new init ends
   * every viewer, unless `inline`: the same picture size, where viewers are sent the new init before
   * the keyframe and stay (the camera and picamd's placeholder taking turns).
   */
  publish(bytes: Buffer, keyframe: boolean, init?: Buffer, inline = false, picture?: VideoFragment['picture']): VideoFragment {
    if (init && (!this.init || !init.equals(this.init))) {
      const hadInit = this.init !== undefined;
      this.init = init;
      if (hadInit && !inline) for (const viewer of [...this.viewers]) viewer.close();
    }
    const fragment: VideoFragment = { bytes, keyframe, at: this.now(), ...(this.init ? { init: this.init } : {}), ...(picture ? { picture } : {}) };
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

  /** The current group of pictures, from its keyframe (empty after an overflow or a reset). */
  get group(): readonly VideoFragment[] {
    return this.gop;
  }

  /** Whether a stream is there to join (an init segment has been seen). */
  get ready(): boolean {
    return this.init !== undefined;
  }

  /** Adds a viewer, or returns false when every viewer slot is taken or no stream has started yet. */
  add(viewer: V): boolean {
    if (!this.init || !this.admit(viewer)) return false;
    viewer.start(this.init, this.gop);
    return true;
  }

  /** Bytes of the group of pictures kept for new viewers. */
  get keptBytes(): number {
    return this.gopBytes;
  }
}
