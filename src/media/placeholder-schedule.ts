import type { IntervalTimers } from '../platform/clock.js';
import type { PlaceholderKind } from './placeholder.js';

/**
 * What both placeholder feeds (MJPEG and H.264) share: the placeholder to show now and a picture
 * about once a second while there is one. The timer runs only then: with live frames flowing (most
 * of a camera's day) it would wake the process every second for nothing.
 */
export abstract class PlaceholderSchedule {
  protected kind: PlaceholderKind | undefined;
  protected detail = '';
  private started = false;
  private timer: unknown;

  constructor(
    private readonly timers: IntervalTimers,
    protected readonly intervalMs: number,
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

  /** Whether this feed has a picture of its own for `kind`. */
  protected shows(_kind: PlaceholderKind): boolean {
    return true;
  }

  /** The timer was cleared: live pictures flow, or the feed stopped. */
  protected quiet(): void {}

  /** One picture of the placeholder now. */
  protected abstract tick(): void;

  /** Arms the timer while started with a placeholder to show, and clears it otherwise. */
  private follow(): void {
    const wanted = this.started && this.kind !== undefined && this.shows(this.kind);
    if (wanted && this.timer === undefined) {
      this.timer = this.timers.setInterval(() => this.tick(), this.intervalMs);
    } else if (!wanted && this.timer !== undefined) {
      this.timers.clearInterval(this.timer);
      this.timer = undefined;
      this.quiet();
    }
  }
}
