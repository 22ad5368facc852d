import type { AccessUnit } from '../formats/h264/access-unit.js';
import { Fmp4Packager } from '../formats/mp4/fmp4.js';
import type { CameraState } from '../device/camera/machine.js';
import type { VideoFeed, VideoViewer } from './video-feed.js';

/**
 * The H.264 frame path after the parser: access units into fragmented MP4, fragments into the feed.
 * Owns the packager's lifetime: a camera run at another frame rate gets a new packager and the
 * viewers of the old one are ended (their timeline would go back); a camera that stops streaming
 * (privacy, a restart) leaves no group of pictures behind for new viewers.
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
    if (codec !== 'h264') {
      this.feed.closeAll();
      this.packager = undefined;
      return;
    }
    if (this.packager && framerate === this.framerate) {
      this.packager.reset();
      return;
    }
    if (this.packager) this.feed.closeAll();
    this.packager = new Fmp4Packager({ framerate });
    this.framerate = framerate;
  }

  /** Every camera state: anything but streaming forgets the kept group (privacy: nothing old is served). */
  cameraState(state: CameraState): void {
    if (state !== 'streaming') this.feed.reset();
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
    const out = this.packager?.package(au, this.now());
    if (!out) {
      this.unpackaged++;
      return;
    }
    this.feed.publish(out.fragment, out.keyframe, out.init);
  }

  /** The RFC 6381 codec string of the current stream, once known. */
  get codec(): string | undefined {
    return this.packager?.codec;
  }
}
