import { h264Payloads } from '../../formats/rtp/h264.js';
import { jpegPayloads, parseJpegForRtp } from '../../formats/rtp/jpeg.js';
import type { RtpPayload } from '../../formats/rtp/packet.js';
import type { Part } from '../../formats/multipart.js';
import type { VideoFragment } from '../../media/gop-pacer.js';
import { DeliveryCounts, type ViewerStats } from '../../media/viewer.js';
import type { RtpStream } from './rtp-stream.js';

// RTSP viewers as readers of the camera's two outputs (mediamtx's readers of one stream): the H.264
// feed (VideoFeed) and the MJPEG broadcaster, each with its own pacing and RTP packaging. Pictures
// are packaged once, shared by every RTSP viewer (a WeakMap by picture); each viewer adds only its
// own 12-byte headers. They count toward the same viewer limit as the HTTP viewers, and quack like
// them (id, remote, stats, close, stalledMs) for the status and the HTTP server's bookkeeping.

/** Bytes of one RTP payload at most: a packet stays under Ethernet's 1500 with IP, UDP and RTP headers. */
export const MAX_RTP_PAYLOAD = 1400;

const h264Packaged = new WeakMap<VideoFragment, RtpPayload[]>();
const jpegPackaged = new WeakMap<Part, RtpPayload[] | string>();

/** The shared payloads of a picture (made once, whoever asks first). */
function h264PayloadsOf(fragment: VideoFragment): RtpPayload[] | undefined {
  const picture = fragment.picture;
  if (!picture) return undefined;
  let payloads = h264Packaged.get(fragment);
  if (!payloads) {
    payloads = h264Payloads(picture.unit.nals, MAX_RTP_PAYLOAD);
    h264Packaged.set(fragment, payloads);
  }
  return payloads;
}

/** The shared payloads of a JPEG frame, or why it cannot go as RTP/JPEG; `unfit` counts each frame once. */
export function jpegPayloadsOf(part: Part, unfit: (reason: string) => void): RtpPayload[] | undefined {
  let payloads = jpegPackaged.get(part);
  if (payloads === undefined) {
    const parsed = parseJpegForRtp(part.jpeg);
    payloads = parsed.ok ? jpegPayloads(parsed.jpeg, MAX_RTP_PAYLOAD) : parsed.reason;
    jpegPackaged.set(part, payloads);
    if (typeof payloads === 'string') unfit(payloads);
  }
  return typeof payloads === 'string' ? undefined : payloads;
}

export interface ReaderOptions {
  id: number;
  remote: string;
  stream: RtpStream;
  now: () => number;
  /** Waiting bytes beyond which the viewer skips (to the next keyframe in H.264). */
  maxBacklogBytes: number;
  /** The output ended this viewer (the stream changed size or codec, picamd stops). */
  onClose: () => void;
}

abstract class RtspReader {
  readonly id: number;
  readonly remote: string;
  protected readonly counts: DeliveryCounts;
  /** Since when pictures are skipped for a full backlog; undefined while they go out. */
  private blockedSince: number | undefined;
  private closed = false;

  constructor(protected readonly options: ReaderOptions) {
    this.id = options.id;
    this.remote = `rtsp ${options.remote}`;
    this.counts = new DeliveryCounts(options.id, options.now);
  }

  stats(): ViewerStats & { remote: string; resyncs: number } {
    return { ...this.counts.stats(this.blockedSince !== undefined), remote: this.remote, resyncs: this.resyncs };
  }

  resyncs = 0;

  /** How long pictures have been skipped because the client takes nothing (the HTTP server's stall sweep). */
  stalledMs(nowMs: number): number {
    return this.blockedSince === undefined ? 0 : nowMs - this.blockedSince;
  }

  /** The output ends this viewer: the connection closes (the client reconnects and reads the new SDP). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.options.onClose();
  }

  protected behind(): boolean {
    if (this.options.stream.transport.backlog() <= this.options.maxBacklogBytes) return false;
    this.blockedSince ??= this.options.now();
    return true;
  }

  protected send(payloads: readonly RtpPayload[], ticks: number, atMs: number): void {
    this.blockedSince = undefined;
    this.counts.sent(this.options.stream.sendPicture(payloads, ticks, atMs));
  }
}

/**
 * H.264: pictures in order from a keyframe; a client whose backlog grows beyond the bound goes on from
 * the next keyframe (it never gets a picture whose references it lacks). Starts with the current
 * group of pictures, so the picture appears at once.
 */
export class H264Reader extends RtspReader {
  private needKeyframe = true;

  start(_init: Buffer, gop: readonly VideoFragment[]): void {
    for (const fragment of gop) this.offer(fragment);
  }

  offer(fragment: VideoFragment): void {
    const payloads = h264PayloadsOf(fragment);
    if (!payloads || fragment.picture === undefined) return;
    if (this.behind()) {
      if (!this.needKeyframe) this.resyncs++;
      this.needKeyframe = true;
      this.counts.skipped++;
      return;
    }
    if (this.needKeyframe && !fragment.keyframe) {
      this.counts.skipped++;
      return;
    }
    this.needKeyframe = false;
    this.send(payloads, fragment.picture.time, fragment.at);
  }
}

/** MJPEG: the newest frame, skipped while the client still has one waiting (never a queue). */
export class JpegReader extends RtspReader {
  constructor(
    options: ReaderOptions,
    private readonly unfit: (reason: string) => void,
  ) {
    super(options);
  }

  offer(part: Part): void {
    const payloads = jpegPayloadsOf(part, this.unfit);
    if (!payloads || this.behind()) {
      this.counts.skipped++;
      return;
    }
    this.send(payloads, part.at * 90, part.at);
  }
}
