import type { ViewerStats } from './viewer.js';

/** What an output needs of any viewer; stats() feeds the totals kept across viewers. */
export interface Reader {
  readonly id: number;
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
 * Viewer slots. Each output takes its viewers' slots here, so outputs given the same limit count
 * their viewers together against one maximum.
 */
export class ViewerLimit {
  private taken = 0;

  constructor(private max: number) {}

  /** A new maximum: those watching stay, new ones are refused while over it. */
  set(max: number): void {
    this.max = max;
  }

  get value(): number {
    return this.max;
  }

  get full(): boolean {
    return this.taken >= this.max;
  }

  take(): void {
    this.taken++;
  }

  release(): void {
    this.taken--;
  }
}

/**
 * One output of the camera's pictures and its viewers (mediamtx's stream and its readers): admission
 * against the viewer limit, ids, and totals kept across viewers that leave. Each output adds what it
 * publishes and what a joining viewer gets first; the viewers pace themselves.
 */
export class Output<V extends Reader> {
  protected readonly viewers = new Set<V>();
  protected published = 0;
  private nextViewerId = 1;
  readonly limit: ViewerLimit;
  /** What the viewers that left had counted. */
  private readonly departed: ViewerTotals = { viewers: 0, delivered: 0, skipped: 0, skippedForCap: 0, bytesSent: 0 };

  /** `limit`: a number for slots of its own, or a ViewerLimit shared with other outputs. */
  constructor(limit: number | ViewerLimit) {
    this.limit = typeof limit === 'number' ? new ViewerLimit(limit) : limit;
  }

  /** A new viewer limit: those watching stay, new ones are refused while over it. */
  setLimit(maxViewers: number): void {
    this.limit.set(maxViewers);
  }

  get full(): boolean {
    return this.limit.full;
  }

  /** An id for the next viewer. */
  allocateId(): number {
    return this.nextViewerId++;
  }

  /** Takes a slot for the viewer, or returns false when every slot is taken. */
  protected admit(viewer: V): boolean {
    if (this.limit.full) return false;
    this.viewers.add(viewer);
    this.limit.take();
    return true;
  }

  remove(viewer: V): void {
    if (!this.viewers.delete(viewer)) return;
    this.limit.release();
    this.departed.viewers++;
    const s = viewer.stats?.();
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
