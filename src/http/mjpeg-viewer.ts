import type { HttpResponse } from 'uWebSockets.js';
import type { Viewer } from '../stream/broadcaster.js';
import type { Part } from '../stream/multipart.js';
import { ViewerPacer, type ViewerStats } from '../stream/viewer.js';
import { ResponseSink } from './response-sink.js';

export { UNBOUNDED_BODY } from './response-sink.js';

/** A /stream.mjpg viewer on a uWebSockets.js response: a pacer in front of a zero-copy sink. */
export class MjpegViewer implements Viewer {
  private readonly pacer: ViewerPacer;
  private readonly sink: ResponseSink;

  constructor(
    readonly id: number,
    res: HttpResponse,
    now: () => number,
    minIntervalMs: number,
    readonly remote: string,
  ) {
    this.sink = new ResponseSink(res, now, () => this.pacer.drained());
    this.pacer = new ViewerPacer(id, this.sink, now, minIntervalMs);
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

  stats(): ViewerStats & { remote: string } {
    return { ...this.pacer.stats(), remote: this.remote };
  }
}
