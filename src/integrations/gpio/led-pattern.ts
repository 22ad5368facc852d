import type { CameraState } from '../../device/camera/supervisor.js';
import type { ClockTimers, TimerHandle } from '../../platform/clock.js';

export type { CameraState } from '../../device/camera/supervisor.js';

// The status LED: a pure mapping from device state to a blink pattern and from time to a level,
// plus a small driver that wakes only at the pattern's next edge (no polling on a Pi Zero).

export type LedMode = 'off' | 'on' | 'slow' | 'fast' | 'private' | 'setup-error' | 'owner-reset';

/** One pattern period as [level, duration ms] steps; a single step with Infinity is steady. */
type Pattern = ReadonlyArray<readonly [on: boolean, ms: number]>;

export const ledPatterns: Readonly<Record<LedMode, Pattern>> = {
  off: [[false, Infinity]],
  /** Streaming. */
  on: [[true, Infinity]],
  /** Camera starting, or waiting to be started: 1 Hz. */
  slow: [[true, 500], [false, 500]],
  /** Camera failed, restarting after a backoff delay: 5 Hz. */
  fast: [[true, 100], [false, 100]],
  /** Privacy on: a short double blink every 3 s, so a person sees the device is alive but private. */
  private: [[true, 120], [false, 180], [true, 120], [false, 2580]],
  /**
   * picamd-setup.txt could not be applied (nothing was): three flashes, a pause, repeated. The
   * reasons are in the file itself as "# error:" lines.
   */
  'setup-error': [[true, 150], [false, 150], [true, 150], [false, 150], [true, 150], [false, 1250]],
  /** The privacy button is held at start: the owner reset arms after 10 s. A quick flicker. */
  'owner-reset': [[true, 50], [false, 50]],
};

/**
 * Pure: which pattern the LED shows. A failed setup file wins over everything (it may be why the
 * device is not on the network, and the LED is then the only thing that can say so); privacy wins
 * over every camera state.
 */
export function ledModeFor(camera: CameraState, privacy: boolean, setupError = false): LedMode {
  if (setupError) return 'setup-error';
  if (privacy) return 'private';
  switch (camera) {
    case 'streaming':
      return 'on';
    case 'backoff':
      return 'fast';
    case 'starting':
    case 'waiting':
    case 'stopped':
    case 'paused':
      return 'slow';
  }
}

/**
 * Pure: the level `phaseMs` after the pattern started, and how long until it next changes (null
 * for a steady pattern).
 */
export function ledLevelAt(mode: LedMode, phaseMs: number): { on: boolean; changesInMs: number | null } {
  const pattern = ledPatterns[mode];
  if (pattern.length === 1) return { on: pattern[0]![0], changesInMs: null };
  const period = pattern.reduce((sum, [, ms]) => sum + ms, 0);
  let t = ((phaseMs % period) + period) % period;
  for (const [on, ms] of pattern) {
    if (t < ms) return { on, changesInMs: ms - t };
    t -= ms;
  }
  // Unreachable (t < period), but the compiler cannot know.
  return { on: pattern[0]![0], changesInMs: pattern[0]![1] };
}

/**
 * Drives one LED with one timer. setMode() restarts the pattern from its beginning when the mode
 * changes; `write` is called only when the level changes.
 */
export class LedDriver {
  private mode: LedMode = 'off';
  private startedAt = 0;
  private level: boolean | null = null;
  private timer: TimerHandle | null = null;
  private running = false;

  constructor(
    private readonly write: (on: boolean) => void,
    private readonly timers: ClockTimers,
  ) {}

  get currentMode(): LedMode {
    return this.mode;
  }

  setMode(mode: LedMode): void {
    if (this.running && mode === this.mode) return;
    this.running = true;
    this.mode = mode;
    this.startedAt = this.timers.now();
    this.tick();
  }

  /** Stops the timer; the LED keeps its last level (the caller turns it off if it wants). */
  stop(): void {
    this.running = false;
    this.clearTimer();
  }

  private tick(): void {
    this.clearTimer();
    const { on, changesInMs } = ledLevelAt(this.mode, this.timers.now() - this.startedAt);
    if (on !== this.level) {
      this.level = on;
      this.write(on);
    }
    // write() may have stopped us (a failed line is disabled).
    if (!this.running || changesInMs === null) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.tick();
    }, changesInMs);
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      this.timers.clearTimeout(this.timer);
      this.timer = null;
    }
  }
}
