import type { AccessUnit } from '../formats/h264/access-unit.js';
import type { SpsInfo } from '../formats/h264/sps.js';
import { Fmp4Packager } from '../formats/mp4/fmp4.js';
import type { CameraState } from '../device/camera/machine.js';
import type { VideoFragment } from './gop-pacer.js';
import type { VideoFeed, VideoViewer } from './video-feed.js';

/**
 * The H.264 frame path after the parser: access units into fragmented MP4, fragments into the feed.
 * Owns the packager's lifetime: a camera run at another frame rate gets a new packager and the
 * viewers of the old one are ended (their timeline would go back); a camera that stops streaming
 * (privacy, a restart) leaves no group of pictures behind for new viewers.
 *
 * While the camera sends nothing, picamd's own placeholder pictures (placeholderUnit) go through the
 * same packager, so viewers stay on one timeline; the camera's pictures take over again at its first
 * keyframe. A change between the two at the same picture size sends viewers the new init segment and
 * keeps them; a new size ends them (players cannot change the track's size mid-stream).
 */
export class VideoPath<V extends VideoViewer = VideoViewer> {
  private packager: Fmp4Packager | undefined;
  private framerate = 0;
  /** Units the packager could not use (before the first keyframe with parameter sets, or bad ones). */
  unpackaged = 0;
  /** Pictures held back after a loss in the camera's stream, until the next keyframe. */
  skippedAfterLoss = 0;
  /** A unit was lost: pictures that are no keyframe may refer to it. */
  private broken = false;
  /** The camera's pictures have been going out since its last (re)start: no placeholder now. */
  private live = false;
  /** The last picture that went out was a placeholder: the camera's next one must be a keyframe. */
  private showingPlaceholder = false;
  /** The size of the pictures viewers have now, "WxH". */
  private size: string | undefined;
  /** What the camera's last SPS said, for placeholders that match its stream. */
  private cameraVideo: SpsInfo | undefined;

  constructor(
    private readonly feed: VideoFeed<V>,
    private readonly now: () => number,
  ) {}

  /**
   * The camera (re)starts with this codec and frame rate. In MJPEG mode the H.264 viewers are ended
   * (the page switches players by itself; other clients get 503 with the reason when they retry).
   */
  cameraStarting(codec: 'mjpeg' | 'h264', framerate: number): void {
    this.broken = false;
    this.live = false;
    if (codec !== 'h264') {
      this.feed.closeAll();
      this.packager = undefined;
      this.size = undefined;
      return;
    }
    if (this.packager && framerate === this.framerate) {
      this.packager.reset();
      return;
    }
    if (this.packager) this.feed.closeAll();
    this.packager = new Fmp4Packager({ framerate });
    this.framerate = framerate;
    this.size = undefined;
  }

  /** Every camera state: anything but streaming forgets the kept group (privacy: nothing old is served). */
  cameraState(state: CameraState): void {
    if (state !== 'streaming') {
      this.feed.reset();
      this.live = false;
    }
  }

  /** True once the camera's own pictures go out again: placeholders stop. */
  get cameraLive(): boolean {
    return this.live;
  }

  /** The camera's last stream: its profile, level and size, for a placeholder that matches it. */
  get cameraStream(): SpsInfo | undefined {
    return this.cameraVideo;
  }

  /**
   * One of picamd's placeholder pictures (src/formats/h264-writer), lasting `durationMs` (until the
   * next one). Ignored once the camera's pictures go out again. `framerate` is the camera's, for a
   * packager made before the camera ever ran (privacy from boot).
   */
  placeholderUnit(au: AccessUnit, durationMs: number, framerate: number): void {
    if (this.live) return;
    if (!this.packager) {
      this.packager = new Fmp4Packager({ framerate });
      this.framerate = framerate;
    }
    const out = this.packager.package(au, this.now(), durationMs);
    if (!out) return;
    this.showingPlaceholder = true;
    this.publish(out.fragment, out.keyframe, out.init, { unit: au, time: out.time });
  }

  unit(au: AccessUnit): void {
    // A corrupt or cut picture never reaches a viewer as a broken picture chain: after a loss,
    // nothing goes out until the next keyframe.
    if (au.afterLoss) this.broken = true;
    if (au.keyframe) this.broken = false;
    if (this.broken) {
      this.skippedAfterLoss++;
      return;
    }
    // After a placeholder the decoder holds the placeholder's picture: only a keyframe can follow.
    if (this.showingPlaceholder && !au.keyframe) {
      this.unpackaged++;
      return;
    }
    const out = this.packager?.package(au, this.now());
    if (!out) {
      this.unpackaged++;
      return;
    }
    this.live = true;
    this.showingPlaceholder = false;
    if (out.init) this.cameraVideo = this.packager?.video;
    this.publish(out.fragment, out.keyframe, out.init, { unit: au, time: out.time });
  }

  /** To the feed: a new init keeps the viewers when the picture size stays (see the class comment). */
  private publish(fragment: Buffer, keyframe: boolean, init: Buffer | undefined, picture: VideoFragment['picture']): void {
    let inline = true;
    if (init) {
      const video = this.packager?.video;
      const size = video ? `${video.width}x${video.height}` : undefined;
      inline = this.size === undefined || size === this.size;
      this.size = size;
    }
    this.feed.publish(fragment, keyframe, init, inline, picture);
  }

  /** The RFC 6381 codec string of the current stream, once known. */
  get codec(): string | undefined {
    return this.packager?.codec;
  }
}
