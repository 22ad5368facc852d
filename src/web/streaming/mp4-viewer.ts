import type { HttpResponse } from 'uWebSockets.js';
import { GopPacer, type VideoFragment } from '../../media/gop-pacer.js';
import type { VideoViewer } from '../../media/video-feed.js';
import type { ViewerStats } from '../../media/viewer.js';
import { ResponseSink, type StreamFraming } from './response-sink.js';

/** A /stream.mp4 viewer on a uWebSockets.js response: the H.264 pacer in front of a zero-copy sink. */
export class Mp4Viewer implements VideoViewer {
  private readonly pacer: GopPacer;
  private readonly sink: ResponseSink;

  constructor(
    readonly id: number,
    res: HttpResponse,
    now: () => number,
    maxPendingBytes: number,
    readonly remote: string,
    framing: StreamFraming = 'length',
  ) {
    this.sink = new ResponseSink(res, now, () => this.pacer.drained(), framing);
    this.pacer = new GopPacer(id, this.sink, now, maxPendingBytes);
  }

  /** Writes the head's end in the request's handler (see ResponseSink.open). */
  open(): void {
    this.sink.open(Buffer.alloc(0));
  }

  start(init: Buffer, gop: readonly VideoFragment[]): void {
    if (!this.sink.isClosed) this.pacer.start(init, gop);
  }

  offer(fragment: VideoFragment): void {
    if (!this.sink.isClosed) this.pacer.offer(fragment);
  }

  stalledMs(nowMs: number): number {
    return this.sink.stalledMs(nowMs);
  }

  markClosed(): void {
    this.sink.markClosed();
  }

  close(): void {
    this.sink.close();
  }

  stats(): ViewerStats & { remote: string; resyncs: number } {
    return { ...this.pacer.stats(), remote: this.remote };
  }
}
