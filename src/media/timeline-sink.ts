import { FragmentLayoutError, isFragment, ViewerTimeline } from '../formats/mp4/viewer-timeline.js';
import type { FrameSink } from './viewer.js';

/**
 * Puts one H.264 viewer's own timeline on the shared fragments on their way to its socket: each
 * fragment goes out as this viewer's rewritten header, then the shared rest (ViewerTimeline). Init
 * segments (and anything else that is no moof) pass unchanged. GopPacer sends through one; to it
 * this is a sink that takes one buffer at a time, and `drained` tells it when both parts of a
 * blocked fragment have gone out.
 */
export class TimelineSink implements FrameSink {
  private readonly timeline = new ViewerTimeline();
  /** The shared part of a fragment whose header is still waiting for the socket. */
  private waitingBody: Buffer | undefined;

  constructor(
    private readonly inner: FrameSink,
    private readonly drained: () => void,
  ) {}

  send(wire: Buffer): boolean {
    if (!isFragment(wire)) return this.inner.send(wire);
    let parts: [Buffer, Buffer];
    try {
      parts = this.timeline.split(wire);
    } catch (error) {
      // Not the packager's layout (never expected): the fragment as it is beats a fan-out that throws.
      if (!(error instanceof FragmentLayoutError)) throw error;
      return this.inner.send(wire);
    }
    const [header, body] = parts;
    // Two sends, each in its own cork (ResponseSink): one more socket write per picture and viewer
    // (microseconds), rather than the header waiting in a cork while a large picture is written,
    // the case in which older uWebSockets lost data (see CHUNK_PIECE in response-sink.ts).
    if (!this.inner.send(header)) {
      this.waitingBody = body;
      return false;
    }
    return this.inner.send(body);
  }

  /** The inner sink sent what it was blocked on: the waiting body next, or the pacer's turn. */
  innerDrained(): void {
    const body = this.waitingBody;
    if (body !== undefined) {
      this.waitingBody = undefined;
      if (!this.inner.send(body)) return;
    }
    this.drained();
  }
}
