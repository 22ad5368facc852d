import type { Part } from '../formats/multipart.js';

/** Where a viewer's bytes go: a socket, in production an HTTP response. */
export interface FrameSink {
  /** Starts sending `wire`: true when it went out whole, false when the rest waits for the socket. */
  send(wire: Buffer): boolean;
}

export interface ViewerStats {
  id: number;
  /** Frames sent out whole. */
  delivered: number;
  /** Frames passed over because the viewer was still busy with an earlier one, or for its fps cap. */
  skipped: number;
  /** Of `skipped`, those passed over for the viewer's fps cap (?fps=N) rather than a busy socket. */
  skippedForCap: number;
  /** Bytes of the frames delivered whole (multipart headers included). */
  bytesSent: number;
  /** Delivered frames per second over the viewer's lifetime so far. */
  fps: number;
  /** True while a frame is still on its way out. */
  busy: boolean;
  connectedMs: number;
}

/**
 * A pacing strategy: which of an output's items one viewer is sent, and when. Each output has its
 * own (MJPEG: the newest frame, skipping; H.264: in order, skipping to keyframes); the viewer shell
 * around it is the same for all.
 */
export interface Pacer<T> {
  /** The next item is available. */
  offer(item: T): void;
  /** A viewer joins a stream that opens with `init` (an MP4 init segment), then catches up on `items`. */
  start?(init: Buffer, items: readonly T[]): void;
  /** The sink finished sending what it had been blocked on. */
  drained(): void;
  stats(): ViewerStats;
  /** Whether an item in `buffer` is on its way out or waiting (see Broadcaster.holds). */
  holds?(buffer: ArrayBufferLike): boolean;
}

/** What every pacer counts for its viewer's stats. */
export class DeliveryCounts {
  delivered = 0;
  skipped = 0;
  skippedForCap = 0;
  /** Bytes of the items sent out whole. */
  bytesSent = 0;
  private readonly connectedAt: number;

  constructor(
    readonly id: number,
    private readonly now: () => number,
  ) {
    this.connectedAt = now();
  }

  /** An item of `bytes` went out whole. */
  sent(bytes: number): void {
    this.delivered++;
    this.bytesSent += bytes;
  }

  stats(busy: boolean): ViewerStats {
    const connectedMs = this.now() - this.connectedAt;
    return {
      id: this.id,
      delivered: this.delivered,
      skipped: this.skipped,
      skippedForCap: this.skippedForCap,
      bytesSent: this.bytesSent,
      fps: connectedMs > 0 ? Math.round((this.delivered / connectedMs) * 10_000) / 10 : 0,
      busy,
      connectedMs,
    };
  }
}

/**
 * The MJPEG pacing: at most one frame in flight, and the newest one waiting. A viewer whose socket
 * is busy never accumulates frames: a newer frame replaces the waiting one, and the viewer gets it
 * as soon as its socket drains. Frames are shared buffers; nothing is copied per viewer.
 */
export class ViewerPacer implements Pacer<Part> {
  private inFlight: Part | undefined;
  private waiting: Part | undefined;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private readonly counts: DeliveryCounts;

  /** minIntervalMs: 0 for every frame, else the viewer's fps cap as an interval. */
  constructor(
    readonly id: number,
    private readonly sink: FrameSink,
    private readonly now: () => number,
    private readonly minIntervalMs = 0,
  ) {
    this.counts = new DeliveryCounts(id, now);
  }

  /** The newest frame is available: send it now, keep it for when the socket drains, or skip it. */
  offer(part: Part): void {
    if (this.inFlight) {
      if (this.waiting) this.counts.skipped++;
      this.waiting = part;
      return;
    }
    this.trySend(part);
  }

  /** The sink finished sending the frame it had been blocked on. */
  drained(): void {
    if (!this.inFlight) return;
    this.counts.sent(this.inFlight.wire.length);
    this.inFlight = undefined;
    const next = this.waiting;
    this.waiting = undefined;
    if (next) this.trySend(next);
  }

  stats(): ViewerStats {
    return this.counts.stats(this.inFlight !== undefined);
  }

  holds(buffer: ArrayBufferLike): boolean {
    return this.inFlight?.wire.buffer === buffer || this.waiting?.wire.buffer === buffer;
  }

  private trySend(part: Part): void {
    const now = this.now();
    // The cap allows a little early: frames arrive with jitter, and a strict interval would turn
    // ?fps=15 of a 30 fps camera into 10 fps.
    if (this.minIntervalMs > 0 && now - this.lastSentAt < this.minIntervalMs * 0.85) {
      this.counts.skipped++;
      this.counts.skippedForCap++;
      return;
    }
    this.lastSentAt = now;
    this.inFlight = part;
    if (this.sink.send(part.wire)) {
      this.inFlight = undefined;
      this.counts.sent(part.wire.length);
    }
  }
}
