import type { HttpResponse } from 'uWebSockets.js';
import type { Viewer } from '../stream/broadcaster.js';
import type { Part } from '../stream/multipart.js';
import { ViewerPacer, type FrameSink, type ViewerStats } from '../stream/viewer.js';

/**
 * The stream never ends, but uWebSockets.js offers backpressure-aware writes only through tryEnd,
 * which takes the body's total size: we declare one that is never reached. tryEnd writes only what
 * the socket takes and keeps nothing back, so the unsent rest of a frame stays in the shared frame
 * buffer (we keep a reference, no copy) and goes out from onWritable. Browsers, curl and ffmpeg read
 * multipart/x-mixed-replace incrementally and are fine with it.
 */
export const UNBOUNDED_BODY = Number.MAX_SAFE_INTEGER;

/** A /stream.mjpg viewer on a uWebSockets.js response. */
export class MjpegViewer implements Viewer, FrameSink {
  private readonly pacer: ViewerPacer;
  private blocked: Buffer | undefined;
  /** The response's write offset where `blocked` starts. */
  private blockedAt = 0;
  private closed = false;
  /** When the frame now in flight first blocked on the socket; undefined while nothing waits. */
  private blockedSince: number | undefined;

  constructor(
    readonly id: number,
    private readonly res: HttpResponse,
    private readonly now: () => number,
    minIntervalMs: number,
    readonly remote: string,
  ) {
    this.pacer = new ViewerPacer(id, this, now, minIntervalMs);
    res.onWritable((offset) => this.onWritable(offset));
  }

  offer(part: Part): void {
    if (!this.closed) this.pacer.offer(part);
  }

  /** Writes outside a request handler must be corked; see uWebSockets.js HttpResponse.cork. */
  send(wire: Buffer): boolean {
    let ok = false;
    this.res.cork(() => {
      this.blockedAt = this.res.getWriteOffset();
      [ok] = this.res.tryEnd(wire, UNBOUNDED_BODY);
    });
    if (!ok) {
      this.blocked = wire;
      this.blockedSince = this.now();
    }
    return ok;
  }

  /** The socket drained some: send what is left of the frame, then the newest one. */
  private onWritable(offset: number): boolean {
    const wire = this.blocked;
    if (!wire || this.closed) return true;
    const [ok] = this.res.tryEnd(wire.subarray(offset - this.blockedAt), UNBOUNDED_BODY);
    if (ok) {
      this.blocked = undefined;
      this.blockedSince = undefined;
      this.pacer.drained();
    }
    return ok;
  }

  /**
   * How long the frame in flight has been waiting for the socket: a client reading too slowly to
   * finish one frame in this time is not watching (0 while nothing waits).
   */
  stalledMs(nowMs: number): number {
    return this.blockedSince === undefined || this.closed ? 0 : nowMs - this.blockedSince;
  }

  /** The connection is gone (onAborted): never touch the response again. */
  markClosed(): void {
    this.closed = true;
    this.blocked = undefined;
  }

  /** Closes the connection from our side, e.g. at shutdown. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.res.close();
  }

  stats(): ViewerStats & { remote: string } {
    return { ...this.pacer.stats(), remote: this.remote };
  }
}
