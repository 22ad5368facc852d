import type { CameraState } from '../device/camera/supervisor.js';
import type { IntervalTimers } from '../platform/clock.js';
import type { PlaceholderKind } from './placeholder.js';
import { PlaceholderSchedule } from './placeholder-schedule.js';

/**
 * The placeholder MJPEG viewers should see in a camera state; undefined while live frames flow. In
 * H.264 mode no JPEG comes from the camera: MJPEG viewers stay connected and are told why.
 */
export function placeholderFor(state: CameraState, codec: 'mjpeg' | 'h264' = 'mjpeg'): PlaceholderKind | undefined {
  switch (state) {
    case 'streaming':
      return codec === 'h264' ? 'h264' : undefined;
    case 'starting':
    case 'waiting':
      return 'starting';
    case 'paused':
      return 'privacy';
    case 'backoff':
    case 'stopped':
      return 'offline';
  }
}

/**
 * While the camera delivers no frames, publishes a placeholder (offline, starting, privacy) about
 * once a second, so viewers stay connected, see why, and pick up live frames again on their own.
 */
export class PlaceholderFeed extends PlaceholderSchedule {
  constructor(
    private readonly publish: (jpeg: Buffer) => void,
    private readonly render: (kind: PlaceholderKind, detail: string) => Buffer,
    timers: IntervalTimers,
    intervalMs = 1_000,
  ) {
    super(timers, intervalMs);
  }

  protected tick(): void {
    if (this.kind) this.publish(this.render(this.kind, this.detail));
  }
}
