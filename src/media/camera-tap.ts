import type { CameraState } from '../device/camera/machine.js';
import type { AccessUnit } from '../formats/h264/access-unit.js';
import type { IntervalTimers } from '../platform/clock.js';
import { Broadcaster, type InPlaceFrames, type Viewer } from './broadcaster.js';
import type { ViewerLimit } from './output.js';
import { PlaceholderFeed, placeholderFor } from './placeholder-feed.js';
import { PlaceholderCache } from './placeholder.js';
import { RateMeter } from './rate.js';
import { VideoFeed, type VideoViewer } from './video-feed.js';
import { VideoPath } from './video-path.js';
import { VideoPlaceholderFeed, type VideoPlaceholderCamera } from './video-placeholder-feed.js';

type FrameListener = (jpeg: Buffer) => void;
type UnitListener = (au: AccessUnit) => void;
type StateListener = (state: CameraState, detail: string) => void;

/** The camera as the tap sees it: its pictures (JPEG frames or H.264 access units) and its state. */
export interface CameraFeed {
  readonly state: CameraState;
  status(): { detail: string };
  on(event: 'frame', listener: FrameListener): unknown;
  on(event: 'unit', listener: UnitListener): unknown;
  on(event: 'state', listener: StateListener): unknown;
  off(event: 'frame', listener: FrameListener): unknown;
  off(event: 'unit', listener: UnitListener): unknown;
  off(event: 'state', listener: StateListener): unknown;
}

export interface CameraTapDeps {
  camera: CameraFeed;
  now: () => number;
  timers: IntervalTimers;
  /** The camera settings now (the page changes them while picamd runs). */
  cameraConfig: () => VideoPlaceholderCamera;
  /** Viewer slots: a number for each output, or one ViewerLimit the outputs count together against. */
  viewers: number | ViewerLimit;
  /** Bounds the kept group of pictures and what one H.264 viewer may have waiting, like one frame. */
  maxFrameBytes: number;
  /**
   * The camera's JPEG frames come from this pool (see FramePool): the MJPEG output lays each part
   * out in place and tells the pool which buffers it still holds.
   */
  framePool?: InPlaceFrames & { holdersFrom(held: (buffer: ArrayBufferLike) => boolean): void };
}

/**
 * Connects the camera to its outputs: JPEG frames to the MJPEG output, access units through the
 * H.264 path to its output, the incoming frame rate, and placeholders while no live frames come.
 * Start it before the camera: it takes the camera's state as it is then (paused by privacy, say),
 * and every change after.
 */
export class CameraTap<M extends Viewer = Viewer, H extends VideoViewer = VideoViewer> {
  readonly mjpeg: Broadcaster<M>;
  readonly h264: VideoFeed<H>;
  private readonly video: VideoPath<H>;
  private readonly fps = new RateMeter();
  private readonly placeholders: PlaceholderFeed;
  /** The same placeholders for H.264 viewers, as H.264 picamd writes itself, on their timeline. */
  private readonly videoPlaceholders: VideoPlaceholderFeed;
  private started = false;

  constructor(private readonly deps: CameraTapDeps) {
    const { now, viewers } = deps;
    this.mjpeg = new Broadcaster<M>(now, viewers, deps.framePool);
    // A second at 2 Mbit/s is 250 KB: the kept group is bounded like one frame.
    this.h264 = new VideoFeed<H>(now, viewers, deps.maxFrameBytes);
    this.video = new VideoPath(this.h264, now);
    const cache = new PlaceholderCache();
    this.placeholders = new PlaceholderFeed(
      (jpeg) => this.mjpeg.publish(jpeg, false),
      (kind, detail) => cache.get(kind, deps.cameraConfig().width, deps.cameraConfig().height, detail),
      deps.timers,
    );
    this.videoPlaceholders = new VideoPlaceholderFeed(this.video, deps.cameraConfig, deps.timers);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const { camera } = this.deps;
    this.deps.framePool?.holdersFrom((buffer) => this.mjpeg.holds(buffer));
    camera.on('frame', this.onFrame);
    camera.on('unit', this.onUnit);
    camera.on('state', this.onState);
    // A camera not started yet shows nothing until it starts: an "offline" picture for that moment
    // would cost a raster at the camera's size (2.8 MB at 720p) that no viewer sees.
    if (camera.state !== 'stopped') this.onState(camera.state, camera.status().detail);
    this.placeholders.start();
    this.videoPlaceholders.start();
  }

  /** Safe to call twice. */
  stop(): void {
    if (!this.started) return;
    this.started = false;
    const { camera } = this.deps;
    camera.off('frame', this.onFrame);
    camera.off('unit', this.onUnit);
    camera.off('state', this.onState);
    this.placeholders.stop();
    this.videoPlaceholders.stop();
  }

  /** Frames (or H.264 pictures) per second coming from the camera. */
  fpsIn(): number {
    return this.fps.rate(this.deps.now());
  }

  /** Viewers of every output. */
  get viewerCount(): number {
    return this.mjpeg.viewerCount + this.h264.viewerCount;
  }

  /** The H.264 path's figures for the status document. */
  h264Status() {
    const { video } = this;
    return { codec: video.codec ?? null, skippedAfterLoss: video.skippedAfterLoss, unpackaged: video.unpackaged, keptBytes: this.h264.keptBytes };
  }

  private readonly onFrame = (jpeg: Buffer): void => {
    this.fps.mark(this.deps.now());
    this.mjpeg.publish(jpeg, true);
  };

  private readonly onUnit = (au: AccessUnit): void => {
    this.fps.mark(this.deps.now());
    this.video.unit(au);
  };

  private readonly onState = (state: CameraState, detail: string): void => {
    const { codec, framerate } = this.deps.cameraConfig();
    // The privacy placeholder says it all; the camera's detail would only repeat it.
    this.placeholders.show(placeholderFor(state, codec), state === 'paused' ? '' : detail);
    if (state === 'paused') this.mjpeg.forgetLive();
    if (state === 'starting') this.video.cameraStarting(codec, framerate);
    this.video.cameraState(state);
    this.videoPlaceholders.show(placeholderFor(state, codec), state === 'paused' ? '' : detail);
  };
}
