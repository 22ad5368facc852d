import type { HttpResponse } from 'uWebSockets.js';

/**
 * The stream never ends, but uWebSockets.js offers backpressure-aware writes only through tryEnd,
 * which takes the body's total size: we declare one that is never reached. tryEnd writes only what
 * the socket takes and keeps nothing back, so the unsent rest of a frame stays in the shared frame
 * buffer (we keep a reference, no copy) and goes out from onWritable. Browsers, curl and ffmpeg read
 * multipart/x-mixed-replace and fragmented MP4 incrementally and are fine with it.
 */
export const UNBOUNDED_BODY = Number.MAX_SAFE_INTEGER;

/**
 * A never-ending response body written from shared buffers without copies: one buffer at a time is
 * on its way out; `drained` is called when a buffer that blocked on the socket has gone out whole.
 */
export class ResponseSink {
  private blocked: Buffer | undefined;
  /** The response's write offset where `blocked` starts. */
  private blockedAt = 0;
  private closed = false;
  /** When the buffer now in flight first blocked on the socket; undefined while nothing waits. */
  private blockedSince: number | undefined;

  constructor(
    private readonly res: HttpResponse,
    private readonly now: () => number,
    private readonly drained: () => void,
  ) {
    res.onWritable((offset) => this.onWritable(offset));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Starts sending `wire`: true when it went out whole, false when the rest waits for the socket.
   * Writes outside a request handler must be corked; see uWebSockets.js HttpResponse.cork.
   */
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

  /** The socket drained some: send what is left of the buffer, then tell the pacer. */
  private onWritable(offset: number): boolean {
    const wire = this.blocked;
    if (!wire || this.closed) return true;
    const [ok] = this.res.tryEnd(wire.subarray(offset - this.blockedAt), UNBOUNDED_BODY);
    if (ok) {
      this.blocked = undefined;
      this.blockedSince = undefined;
      this.drained();
    }
    return ok;
  }

  /**
   * How long the buffer in flight has been waiting for the socket: a client reading too slowly to
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
}
