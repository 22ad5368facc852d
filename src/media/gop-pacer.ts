import type { AccessUnit } from '../formats/h264/access-unit.js';
import { TimelineSink } from './timeline-sink.js';
import { DeliveryCounts, type FrameSink, type Pacer, type ViewerStats } from './viewer.js';

/** One H.264 picture as a viewer receives it: a fragmented-MP4 fragment, shared by every viewer. */
export interface VideoFragment {
  readonly bytes: Buffer;
  /** An IDR picture: decoding can start here. */
  readonly keyframe: boolean;
  /** When it was published (monotonic ms). */
  readonly at: number;
  /**
   * The init segment this fragment belongs to. A viewer is sent it before a keyframe when it differs
   * from the one it had (the camera and picamd's placeholder take turns on one timeline).
   */
  readonly init?: Buffer;
  /**
   * The picture itself, for outputs that package it their own way (RTSP's RTP): its NAL units and
   * its presentation time in 90 kHz ticks on the stream's timeline (the MP4 fragment's).
   */
  readonly picture?: { readonly unit: AccessUnit; readonly time: number };
}

/**
 * One H.264 viewer's pacing. A picture can only be decoded after the ones it refers to, so unlike
 * MJPEG a viewer cannot simply skip to the newest frame: it sends its pictures in order and, once it
 * has fallen a whole group of pictures behind (a new keyframe arrives while earlier ones still
 * wait), it drops what waits and goes on from that keyframe. What waits is references to the
 * fragments of the current group of pictures, which the feed keeps anyway for new viewers: nothing
 * is copied or queued beyond one group, and never more than `maxPendingBytes`. A viewer never gets a
 * picture whose references it did not get (no broken picture chain).
 */
export class GopPacer implements Pacer<VideoFragment> {
  private pending: VideoFragment[] = [];
  private pendingBytes = 0;
  private inFlight: VideoFragment | undefined;
  /** True until the viewer has been given a keyframe to start from (again). */
  private needKeyframe = true;
  private readonly counts: DeliveryCounts;
  /** Times the viewer fell behind and went on from a later keyframe. */
  private resyncs = 0;
  /** The init segment this viewer was last sent. */
  private sentInit: Buffer | undefined;

  /** The socket, behind this viewer's own timeline (its first fragment at decode time 0, number 1). */
  private readonly sink: TimelineSink;

  constructor(
    readonly id: number,
    sink: FrameSink,
    now: () => number,
    private readonly maxPendingBytes: number,
  ) {
    this.counts = new DeliveryCounts(id, now);
    this.sink = new TimelineSink(sink, () => this.sent());
  }

  /**
   * Starts the viewer: the init segment, then the current group of pictures (from its keyframe) so
   * the picture appears at once. An empty group means waiting for the next keyframe.
   */
  start(init: Buffer, gop: readonly VideoFragment[]): void {
    this.sentInit = init;
    this.sendRaw(init);
    for (const fragment of gop) this.offer(fragment);
  }

  /** The next picture is available. */
  offer(fragment: VideoFragment): void {
    if (fragment.keyframe) {
      if (!this.needKeyframe && this.pending.length > 0) this.resyncs++;
      this.counts.skipped += this.pending.length;
      this.pending = [];
      this.pendingBytes = 0;
      this.needKeyframe = false;
    } else if (this.needKeyframe) {
      this.counts.skipped++;
      return;
    }
    if (this.pendingBytes + fragment.bytes.length > this.maxPendingBytes) {
      // Too far behind even within one group: wait for the next keyframe.
      this.counts.skipped += this.pending.length + 1;
      this.pending = [];
      this.pendingBytes = 0;
      this.needKeyframe = true;
      this.resyncs++;
      return;
    }
    this.pending.push(fragment);
    this.pendingBytes += fragment.bytes.length;
    this.pump();
  }

  /** The sink finished sending what it had been blocked on. */
  drained(): void {
    // The rest of a fragment may still wait behind this viewer's header (TimelineSink).
    this.sink.innerDrained();
  }

  /** What was in flight has gone out whole. */
  private sent(): void {
    const done = this.inFlight;
    if (!done) return;
    this.inFlight = undefined;
    if (done !== INIT_MARK) this.counts.sent(done.bytes.length);
    this.pump();
  }

  stats(): ViewerStats & { resyncs: number } {
    return { ...this.counts.stats(this.inFlight !== undefined), resyncs: this.resyncs };
  }

  private pump(): void {
    while (!this.inFlight && this.pending.length > 0) {
      const init = this.pending[0]!.init;
      if (init !== undefined && init !== this.sentInit) {
        // Only at a keyframe: the feed changes its init with one, and a viewer starts at one.
        this.sentInit = init;
        this.sendRaw(init);
        continue;
      }
      const next = this.pending.shift()!;
      this.pendingBytes -= next.bytes.length;
      this.inFlight = next;
      if (!this.sink.send(next.bytes)) return;
      this.inFlight = undefined;
      this.counts.sent(next.bytes.length);
    }
  }

  private sendRaw(bytes: Buffer): void {
    this.inFlight = INIT_MARK;
    if (this.sink.send(bytes)) this.inFlight = undefined;
  }
}

/** Stands for the init segment while it is in flight: it is no picture and counts as none. */
const INIT_MARK: VideoFragment = { bytes: Buffer.alloc(0), keyframe: false, at: 0 };
