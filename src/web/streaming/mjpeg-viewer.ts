import type { HttpResponse } from 'uWebSockets.js';
import type { Viewer } from '../../media/broadcaster.js';
import type { Part } from '../../formats/multipart.js';
import { ViewerPacer, type ViewerStats } from '../../media/viewer.js';
import { ResponseSink, type StreamFraming } from './response-sink.js';

export { CHUNK_PIECE, UNBOUNDED_BODY, type StreamFraming } from './response-sink.js';

/**
 * A /stream.mjpg viewer on a uWebSockets.js response: a pacer in front of a sink, zero-copy with a
 * declared length for direct clients, chunked through a reverse proxy.
 */
export class MjpegViewer implements Viewer {
  private readonly pacer: ViewerPacer;
  private readonly sink: ResponseSink;

  constructor(
    readonly id: number,
    res: HttpResponse,
    now: () => number,
    minIntervalMs: number,
    readonly remote: string,
    readonly framing: StreamFraming = 'length',
  ) {
    this.sink = new ResponseSink(res, now, () => this.pacer.drained(), framing);
    this.pacer = new ViewerPacer(id, this.sink, now, minIntervalMs);
  }

  /** Writes the stream's preamble after the status and headers; in the request's handler. */
  open(preamble: Buffer): void {
    this.sink.open(preamble);
  }

  offer(part: Part): void {
    if (!this.sink.isClosed) this.pacer.offer(part);
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

  stats(): ViewerStats & { remote: string; framing: StreamFraming } {
    return { ...this.pacer.stats(), remote: this.remote, framing: this.framing };
  }
}
