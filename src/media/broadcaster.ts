import { buildPart, type Part } from '../formats/multipart.js';
import type { ViewerStats } from './viewer.js';

/** What the broadcaster needs of a viewer; stats() feeds the totals kept across viewers. */
export interface Viewer {
  readonly id: number;
  offer(part: Part): void;
  stats?(): ViewerStats;
}

/** Counters over every viewer since start, those gone included: they only grow (Prometheus counters). */
export interface ViewerTotals {
  /** Viewers that were added, including the current ones. */
  viewers: number;
  delivered: number;
  skipped: number;
  skippedForCap: number;
  bytesSent: number;
}

/**
 * Fans every frame out to every viewer. A frame becomes one shared wire buffer (see buildPart);
 * viewers receive references to it and pace themselves (ViewerPacer).
 */
export class Broadcaster<V extends Viewer = Viewer> {
  private readonly viewers = new Set<V>();
  private newest: Part | undefined;
  private newestLive: Part | undefined;
  private seq = 0;
  private published = 0;
  private nextViewerId = 1;
  /** What the viewers that left had counted. */
  private readonly departed: ViewerTotals = { viewers: 0, delivered: 0, skipped: 0, skippedForCap: 0, bytesSent: 0 };

  constructor(
    private readonly now: () => number,
    private maxViewers: number,
  ) {}

  /** A new viewer limit: those watching stay, new ones are refused while over it. */
  setLimit(maxViewers: number): void {
    this.maxViewers = maxViewers;
  }

  get limit(): number {
    return this.maxViewers;
  }

  /** Publishes a frame to every viewer; `live` is false for placeholders. */
  publish(jpeg: Buffer, live: boolean): Part {
    const part = buildPart(jpeg, ++this.seq, this.now(), live);
    this.newest = part;
    if (live) this.newestLive = part;
    this.published++;
    for (const viewer of this.viewers) viewer.offer(part);
    return part;
  }

  /** Forget the last live frame, e.g. when privacy turns on, so it is never served again. */
  forgetLive(): void {
    this.newestLive = undefined;
    if (this.newest?.live) this.newest = undefined;
  }

  /** An id for the next viewer. */
  allocateId(): number {
    return this.nextViewerId++;
  }

  get full(): boolean {
    return this.viewers.size >= this.maxViewers;
  }

  /**
   * Adds a viewer, or returns false when maxViewers are watching. The viewer gets the newest frame
   * at once when it is younger than `freshMs`, so a page shows a picture without waiting.
   */
  add(viewer: V, freshMs: number): boolean {
    if (this.full) return false;
    this.viewers.add(viewer);
    const newest = this.newest;
    if (newest && this.now() - newest.at <= freshMs) viewer.offer(newest);
    return true;
  }

  remove(viewer: V): void {
    if (!this.viewers.delete(viewer)) return;
    const s = viewer.stats?.();
    this.departed.viewers++;
    if (s) addStats(this.departed, s);
  }

  /** Totals over all viewers since start: those who left plus the current ones. */
  viewerTotals(): ViewerTotals {
    const totals = { ...this.departed, viewers: this.departed.viewers + this.viewers.size };
    for (const viewer of this.viewers) {
      const s = viewer.stats?.();
      if (s) addStats(totals, s);
    }
    return totals;
  }

  /** The newest live frame when it is younger than maxAgeMs. */
  latestLive(maxAgeMs: number): Part | undefined {
    const part = this.newestLive;
    return part && this.now() - part.at <= maxAgeMs ? part : undefined;
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  list(): V[] {
    return [...this.viewers];
  }

  get framesPublished(): number {
    return this.published;
  }
}

function addStats(totals: ViewerTotals, s: ViewerStats): void {
  totals.delivered += s.delivered;
  totals.skipped += s.skipped;
  totals.skippedForCap += s.skippedForCap;
  totals.bytesSent += s.bytesSent;
}
