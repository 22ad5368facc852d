import type { CameraState } from '../device/camera/supervisor.js';
import type { IntervalTimers } from '../platform/clock.js';
import type { PlaceholderKind } from './placeholder.js';


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
 * Its timer runs only while a placeholder is shown: with live frames flowing (most of a camera's
 * day) it would wake the process every second for nothing.
 */
export class PlaceholderFeed {
  private kind: PlaceholderKind | undefined;
  private detail = '';
  private started = false;
  private timer: unknown;

  constructor(
    private readonly publish: (jpeg: Buffer) => void,
    private readonly render: (kind: PlaceholderKind, detail: string) => Buffer,
    private readonly timers: IntervalTimers,
    private readonly intervalMs = 1_000,
  ) {}

  start(): void {
    if (this.started) return;
    this.started = true;
    this.follow();
    this.tick();
  }

  stop(): void {
    this.started = false;
    this.follow();
  }

  /** What to show now: a placeholder kind with its detail line, or undefined for live frames. */
  show(kind: PlaceholderKind | undefined, detail = ''): void {
    const changed = kind !== this.kind || detail !== this.detail;
    this.kind = kind;
    this.detail = detail;
    this.follow();
    if (changed && this.started) this.tick();
  }

  /** True while the timer is armed (tests). */
  get ticking(): boolean {
    return this.timer !== undefined;
  }

  /** Arms the timer while started with a placeholder to show, and clears it otherwise. */
  private follow(): void {
    const wanted = this.started && this.kind !== undefined;
    if (wanted && this.timer === undefined) {
      this.timer = this.timers.setInterval(() => this.tick(), this.intervalMs);
    } else if (!wanted && this.timer !== undefined) {
      this.timers.clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private tick(): void {
    if (this.kind) this.publish(this.render(this.kind, this.detail));
  }
}
