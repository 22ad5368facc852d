import type { HttpResponse } from 'uWebSockets.js';
import type { FrameSink, Pacer } from '../../media/viewer.js';
import { ResponseSink, type StreamFraming } from './response-sink.js';

/** The items a pacer paces: MJPEG parts, H.264 fragments. */
type ItemOf<P> = P extends Pacer<infer T> ? T : never;

/**
 * One viewer of any output on a uWebSockets.js response: the output's pacer in front of a zero-copy
 * sink (with a declared length for direct clients, chunked through a reverse proxy). Nothing reaches
 * the pacer once the connection is gone.
 */
export class StreamViewer<P extends Pacer<unknown>> {
  readonly pacer: P;
  private readonly sink: ResponseSink;

  constructor(
    readonly id: number,
    res: HttpResponse,
    now: () => number,
    pacer: (sink: FrameSink) => P,
    readonly remote: string,
    readonly framing: StreamFraming = 'length',
  ) {
    this.sink = new ResponseSink(res, now, () => this.pacer.drained(), framing);
    this.pacer = pacer(this.sink);
  }

  /** Writes the stream's first bytes after the status and headers, in the request's handler. */
  open(preamble: Buffer): void {
    this.sink.open(preamble);
  }

  /** Joins a stream that opens with `init`, then catches up on `items` (see Pacer.start). */
  start(init: Buffer, items: readonly ItemOf<P>[]): void {
    if (!this.sink.isClosed) this.pacer.start?.(init, items);
  }

  offer(item: ItemOf<P>): void {
    if (!this.sink.isClosed) this.pacer.offer(item);
  }

  /** See Broadcaster.holds: a pacer that cannot tell holds everything. */
  holds(buffer: ArrayBufferLike): boolean {
    return this.pacer.holds ? this.pacer.holds(buffer) : true;
  }

  /** See ResponseSink.stalledMs. */
  stalledMs(nowMs: number): number {
    return this.sink.stalledMs(nowMs);
  }

  /** The connection is gone (onAborted): never touch the response again. */
  markClosed(): void {
    this.sink.markClosed();
  }

  /** Closes the connection from our side, e.g. at shutdown. */
  close(): void {
    this.sink.close();
  }

  stats(): ReturnType<P['stats']> & { remote: string; framing: StreamFraming } {
    return { ...(this.pacer.stats() as ReturnType<P['stats']>), remote: this.remote, framing: this.framing };
  }
}
