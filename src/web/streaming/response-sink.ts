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
 * How the body is framed. `length`: the declared UNBOUNDED_BODY, zero-copy (direct clients).
 * `chunked`: Transfer-Encoding: chunked, for a request that came through a reverse proxy: Caddy and
 * other Go proxies pass a response without Content-Length on at once, but keep the small end of each
 * write of one with a length in a 4 KiB buffer until more bytes come (the next frame).
 */
export type StreamFraming = 'length' | 'chunked';

/**
 * The chunked path writes a buffer in pieces of at most this size, each in its own cork, so a piece
 * with its chunk header ("\r\n" + hex size + "\r\n") fits uWebSockets' 16 KiB cork buffer. A larger
 * write() from inside a cork first flushes the chunk header alone, and when the socket takes only
 * part of that header the data is dropped (uWebSockets before v20.77, AsyncSocket::uncork: "Buffer
 * optional uncork data after failure to flush already corked data"); a piece that fits is never
 * written that way.
 */
export const CHUNK_PIECE = 16 * 1024 - 64;

/**
 * A never-ending response body written from shared buffers: one buffer at a time is on its way
 * out; `drained` is called when a buffer that blocked on the socket has gone out whole.
 */
export class ResponseSink {
  private blocked: Buffer | undefined;
  /** `length`: the response's write offset where `blocked` starts; `chunked`: how much of it went to uWebSockets. */
  private blockedAt = 0;
  private closed = false;
  /** When the buffer now in flight first blocked on the socket; undefined while nothing waits. */
  private blockedSince: number | undefined;

  // One function for every frame's corked write, not a closure per viewer per frame (300 viewers at
  // 30 fps made 9000 a second, young garbage that brings V8's minor collections sooner).
  private sending: Buffer | undefined;
  private sentWhole = false;
  private readonly corkedSend = (): void => {
    this.blockedAt = this.res.getWriteOffset();
    this.sentWhole = this.res.tryEnd(this.sending!, UNBOUNDED_BODY)[0];
  };

  constructor(
    private readonly res: HttpResponse,
    private readonly now: () => number,
    private readonly drained: () => void,
    readonly framing: StreamFraming = 'length',
  ) {
    res.onWritable((offset) => (framing === 'length' ? this.onWritable(offset) : this.onWritableChunked()));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Writes the body's first bytes after the status and headers, in the request's handler. Chunked,
   * nothing goes out before the first bytes (uWebSockets ends the head with the first chunk).
   */
  open(first: Buffer): void {
    if (this.framing === 'length') this.res.tryEnd(first, UNBOUNDED_BODY);
    else if (first.length > 0) this.res.write(first);
  }

  /**
   * Starts sending `wire`: true when it went out whole, false when the rest waits for the socket.
   * Writes outside a request handler must be corked; see uWebSockets.js HttpResponse.cork.
   */
  send(wire: Buffer): boolean {
    const ok = this.framing === 'length' ? this.sendWithLength(wire) : this.sendChunked(wire);
    if (!ok) this.blockedSince = this.now();
    return ok;
  }

  private sendWithLength(wire: Buffer): boolean {
    this.sending = wire;
    this.res.cork(this.corkedSend);
    this.sending = undefined;
    const ok = this.sentWhole;
    if (!ok) this.blocked = wire;
    return ok;
  }


  /** The socket drained some: send what is left of the buffer, then tell the pacer. */
  private onWritable(offset: number): boolean {
    const wire = this.blocked;
    if (!wire || this.closed) return true;
    const [ok] = this.res.tryEnd(wire.subarray(offset - this.blockedAt), UNBOUNDED_BODY);
    if (ok) this.finishBlocked();
    return ok;
  }

  private sendChunked(wire: Buffer): boolean {
    this.blocked = wire;
    this.blockedAt = 0;
    return this.writePieces(true);
  }

  /**
   * Hands the buffer to uWebSockets piece by piece while the socket takes them. res.write() never
   * keeps anything back: what the socket does not take, it copies into its own buffer for this
   * socket, and says so (false) on that write or the next. The rest of the buffer waits here, by
   * reference; uWebSockets holds a piece or two, at most (a writable event that frees too little
   * for its backlog adds the next piece to it) what is left of the one buffer in flight.
   */
  private writePieces(cork: boolean): boolean {
    const wire = this.blocked!;
    while (this.blockedAt < wire.length) {
      const piece = wire.subarray(this.blockedAt, this.blockedAt + CHUNK_PIECE);
      let ok = false;
      if (cork) this.res.cork(() => (ok = this.res.write(piece)));
      else ok = this.res.write(piece);
      this.blockedAt += piece.length;
      if (!ok) return false;
    }
    this.blocked = undefined;
    return true;
  }

  /**
   * uWebSockets does not drain its own buffer for a response with an onWritable handler
   * (HttpContext.h: "It makes little sense to drain any backpressure when the user has registered
   * onWritable"), so this handler must: a write of the next piece sends the backlog first, and with
   * nothing left to write an empty cork does (uncork flushes it). A flush the socket did not take
   * whole keeps the socket polled for writable, so this runs again.
   */
  private onWritableChunked(): boolean {
    if (this.closed) return true;
    if (this.blocked && this.blockedAt < this.blocked.length) {
      // Not corked here (a writable event), so write() sends at once and its answer is exact.
      if (!this.writePieces(false)) return false;
      this.finishBlocked();
      return true;
    }
    // The last piece went to uWebSockets' buffer (or the end of an earlier one did): flush it. The
    // buffer counts as sent; the next one's first write finds out whether the socket took it.
    this.res.cork(() => {});
    if (this.blocked) this.finishBlocked();
    return true;
  }

  private finishBlocked(): void {
    this.blocked = undefined;
    this.blockedSince = undefined;
    this.drained();
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
