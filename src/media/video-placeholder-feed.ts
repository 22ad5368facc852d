import type { SpsInfo } from '../formats/h264/sps.js';
import type { AccessUnit } from '../formats/h264/access-unit.js';
import type { StreamParameters } from '../formats/h264-writer/parameter-sets.js';
import { StillStream } from '../formats/h264-writer/still-stream.js';
import { rasterToYuv420 } from '../formats/h264-writer/yuv.js';
import type { IntervalTimers } from '../platform/clock.js';
import { drawPlaceholder, type PlaceholderKind } from './placeholder.js';
import { PlaceholderSchedule } from './placeholder-schedule.js';

/** What the H.264 placeholder needs of the camera settings. */
export interface VideoPlaceholderCamera {
  codec: 'mjpeg' | 'h264';
  width: number;
  height: number;
  framerate: number;
  h264Profile: 'baseline' | 'main' | 'high';
  h264Level: string;
}

/** Where the placeholder's pictures go: VideoPath's side for them. */
export interface VideoPlaceholderSink {
  readonly cameraLive: boolean;
  readonly cameraStream: SpsInfo | undefined;
  placeholderUnit(au: AccessUnit, durationMs: number, framerate: number): void;
}

// profile_idc and the constraint flags the Pi's encoder writes for each --profile: constrained
// baseline (constraint_set0 and 1), main (constraint_set1), high. Used only before the camera's own
// stream has been seen; after that the placeholder copies the camera's SPS.
const PROFILES = { baseline: [66, 0xc0], main: [77, 0x40], high: [100, 0] } as const;

/** The placeholder's stream: the camera's profile, constraints, level and size, its own parameter set IDs. */
export function placeholderParameters(camera: VideoPlaceholderCamera, seen: SpsInfo | undefined): StreamParameters {
  const matches = seen !== undefined && seen.width === camera.width && seen.height === camera.height && [66, 77, 100].includes(seen.profileIdc);
  const [profileIdc, constraintFlags] = matches ? [seen.profileIdc, seen.constraintFlags] : PROFILES[camera.h264Profile];
  const levelIdc = matches ? seen.levelIdc : Math.round(Number(camera.h264Level) * 10);
  // IDs the camera does not use (rpicam-vid and libx264 write 0): decoders keep both sets apart.
  const spsId = ((matches ? seen.spsId : 0) + 1) % 32;
  return { width: camera.width, height: camera.height, profileIdc, constraintFlags, levelIdc, spsId, ppsId: spsId, qp: 24 };
}

/**
 * H.264 viewers' placeholder: while the camera sends nothing in H.264 mode (privacy, starting,
 * offline), a picture about once a second that says why, the same picture the MJPEG viewers get,
 * written by picamd itself (src/formats/h264-writer): an IDR every few seconds and P_Skip pictures
 * between. Stops as soon as the camera's own pictures go out.
 */
export class VideoPlaceholderFeed extends PlaceholderSchedule {
  private stream: { key: string; still: StillStream } | undefined;
  /** The placeholder's last picture went out: the next one after the camera's continues with an IDR. */
  private wasLive = false;

  constructor(
    private readonly video: VideoPlaceholderSink,
    private readonly camera: () => VideoPlaceholderCamera,
    timers: IntervalTimers,
    intervalMs = 1_000,
    /** An IDR every this many pictures: what a viewer joining meanwhile receives at once, at most. */
    private readonly keyframeInterval = 5,
  ) {
    super(timers, intervalMs);
  }

  /** Not while the camera's own pictures flow ('h264'). */
  protected override shows(kind: PlaceholderKind): boolean {
    return kind !== 'h264';
  }

  /** No tick sees the camera's pictures from now on: the next placeholder starts with an IDR. */
  protected override quiet(): void {
    this.wasLive = true;
  }

  protected tick(): void {
    const camera = this.camera();
    if (this.video.cameraLive) this.wasLive = true;
    if (!this.kind || this.kind === 'h264' || camera.codec !== 'h264' || this.video.cameraLive) return;
    const params = placeholderParameters(camera, this.video.cameraStream);
    const key = `${this.kind}|${this.detail}|${JSON.stringify(params)}`;
    if (this.stream?.key !== key) {
      // Drawn and encoded once per message and stream; a new message starts with its IDR.
      const picture = rasterToYuv420(drawPlaceholder(this.kind, params.width, params.height, this.detail));
      this.stream = { key, still: new StillStream(params, picture, { keyframeInterval: this.keyframeInterval }) };
    } else if (this.wasLive) {
      this.stream.still.restart();
    }
    this.wasLive = false;
    this.video.placeholderUnit(this.stream.still.next(), this.intervalMs, camera.framerate);
  }
}
