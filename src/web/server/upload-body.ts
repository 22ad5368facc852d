import { Readable } from 'node:stream';
import type { HttpResponse } from 'uWebSockets.js';

// A large request body (an update file) streamed to its route instead of collected: a Node.js
// Readable whose backpressure reaches the socket. uWebSockets.js (uws-pack 20.0.8) has
// HttpResponse.pause()/resume(): when the readable's buffer is full (its consumer, a file write
// stream, is slower than the network) the socket stops being read, so nothing piles up in memory
// and TCP slows the sender down. onData must be registered inside the uWebSockets.js handler, before
// the login has decided anything, so the body starts paused; the route resumes it by reading.

/** What is buffered at most besides the readable's own buffer, for chunks that were already read when it paused. */
const MAX_OVERRUN_BYTES = 4 * 1024 * 1024;
const READABLE_BUFFER_BYTES = 256 * 1024;
/**
 * uWebSockets.js cuts off a request whose body has not moved for its HTTP_IDLE_TIMEOUT_S (10 s), paused
 * or not (measured on uws-pack 20.0.8: a body paused for 11 s is closed without an answer). A pause
 * of ours (the card is slower than the network, a fsync stalls) is not the client's fault: while it
 * lasts, resume() and pause() in one go restart that clock every few seconds without reading a byte
 * (nothing is read before the event loop turns). Up to a bound, so that a disk that never comes back
 * does not hold the connection for ever.
 */
const KEEPALIVE_MS = 4000;
const MAX_PAUSE_MS = 5 * 60_000;

export class UploadError extends Error {
  constructor(
    readonly reason: 'aborted' | 'too-large' | 'overrun',
    message: string,
  ) {
    super(message);
    this.name = 'UploadError';
  }
}

/** The transport's side, as a route sees it. */
export interface RequestUpload {
  /** The declared Content-Length. */
  readonly declared: number;
  /** The whole body has arrived (read or discarded). */
  readonly complete: boolean;
  /** The body; read it, or call discard(). */
  readable(): Readable;
  /** Drops the rest of the body; resolves when it has all arrived (so a reply is read by the client) or the client left. */
  discard(): Promise<void>;
}

export class UploadBody implements RequestUpload {
  private mode: 'waiting' | 'reading' | 'discarding' | 'done' = 'waiting';
  private stream: Readable | undefined;
  private waiting: Buffer[] = [];
  private paused = false;
  private received = 0;
  private ended = false;
  private whenEnded: Array<() => void> = [];
  private failure: UploadError | undefined;
  private keepalive: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly res: HttpResponse,
    readonly declared: number,
    private readonly limit: number,
    private readonly timing: { keepaliveMs: number; maxPauseMs: number } = { keepaliveMs: KEEPALIVE_MS, maxPauseMs: MAX_PAUSE_MS },
  ) {
    res.onData((chunk, isLast) => this.take(chunk, isLast));
    this.pause();
  }

  get complete(): boolean {
    return this.ended;
  }

  readable(): Readable {
    if (this.stream) return this.stream;
    if (this.failure) {
      // Failed before anyone read it (too large, cut off): a stream that says so.
      this.stream = new Readable({ read: () => {} });
      this.stream.destroy(this.failure);
      return this.stream;
    }
    this.mode = 'reading';
    this.stream = new Readable({
      highWaterMark: READABLE_BUFFER_BYTES,
      read: () => this.resume(),
      destroy: (err, done) => {
        // A consumer that gave up (a refused file): the rest is drained, not read into memory.
        if (this.mode === 'reading') this.mode = 'discarding';
        this.resume();
        done(err);
      },
    });
    for (const chunk of this.waiting) this.push(chunk);
    this.waiting = [];
    if (this.ended) this.stream.push(null);
    return this.stream;
  }

  discard(): Promise<void> {
    if (this.mode !== 'done') this.mode = 'discarding';
    this.waiting = [];
    this.resume();
    if (this.ended || this.mode === 'done') return Promise.resolve();
    return new Promise((resolve) => this.whenEnded.push(resolve));
  }

  /** The client left (uWebSockets.js onAborted): the response may not be used any more. */
  aborted(): void {
    const wasReading = this.mode === 'reading';
    this.failure ??= new UploadError('aborted', 'the upload was cut off before its end');
    this.mode = 'done';
    this.paused = false;
    this.stopKeepalive();
    if (wasReading && !this.ended) this.stream?.destroy(new UploadError('aborted', 'the upload was cut off before its end'));
    this.finish();
  }

  private take(chunk: ArrayBuffer, isLast: boolean): void {
    if (this.mode === 'done') return;
    this.received += chunk.byteLength;
    if (this.received > this.limit || (isLast && this.received !== this.declared)) {
      const error = this.received > this.limit
        ? new UploadError('too-large', `the body is over ${this.limit} bytes`)
        : new UploadError('aborted', `the body has ${this.received} bytes, not the ${this.declared} its Content-Length says`);
      this.fail(error);
      if (isLast) this.end();
      return;
    }
    if (this.mode === 'reading' || this.mode === 'waiting') {
      // uWebSockets.js reuses the chunk's memory after this callback: copy it.
      this.push(Buffer.from(new Uint8Array(chunk).slice()));
    }
    if (isLast) this.end();
  }

  private push(chunk: Buffer): void {
    if (this.mode === 'waiting') {
      this.waiting.push(chunk);
      this.pause();
      return;
    }
    if (this.mode !== 'reading' || !this.stream) return;
    // Chunks that come while paused (already read from the socket) overrun the buffer; bounded.
    if (this.stream.readableLength > MAX_OVERRUN_BYTES) {
      this.fail(new UploadError('overrun', 'the upload came faster than it could be stored'));
      return;
    }
    if (!this.stream.push(chunk)) this.pause();
  }

  private fail(error: UploadError): void {
    this.failure = error;
    if (this.mode === 'reading') this.stream?.destroy(error);
    else if (this.mode === 'waiting') this.waiting = [];
    this.mode = 'discarding';
    this.resume();
  }

  private end(): void {
    this.ended = true;
    this.stopKeepalive();
    if (this.mode === 'reading') this.stream?.push(null);
    this.finish();
  }

  private finish(): void {
    for (const resolve of this.whenEnded.splice(0)) resolve();
  }

  private pause(): void {
    if (this.paused || this.mode === 'done') return;
    this.paused = true;
    this.res.pause();
    if (this.ended) return;
    const since = Date.now();
    this.keepalive = setInterval(() => {
      if (Date.now() - since > this.timing.maxPauseMs) return this.stopKeepalive();
      this.res.resume();
      this.res.pause();
    }, this.timing.keepaliveMs);
    this.keepalive.unref();
  }

  private resume(): void {
    if (!this.paused || this.mode === 'done') return;
    this.paused = false;
    this.stopKeepalive();
    this.res.resume();
  }

  private stopKeepalive(): void {
    clearInterval(this.keepalive);
    this.keepalive = undefined;
  }
}
