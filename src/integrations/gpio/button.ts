import type { ClockTimers, TimerHandle } from '../../platform/clock.js';

// The privacy input. A level only counts once it has held for `debounceMs`: contact bounce on press
// and on release never reaches the stable level, and a held button is one stable level, so neither
// can toggle twice. Levels are logical (true = pressed / switched on), activeLow already applied.

/** Pure debounce: fed raw (level, time) samples, it reports when a level has become stable. */
export class Debouncer {
  private stable: boolean;
  private raw: boolean;
  private rawSince: number;

  constructor(
    readonly debounceMs: number,
    initial: boolean,
    nowMs: number,
  ) {
    this.stable = initial;
    this.raw = initial;
    this.rawSince = nowMs;
  }

  get level(): boolean {
    return this.stable;
  }

  /** A raw sample. Returns when settle() should be called, or null if nothing is pending. */
  sample(active: boolean, nowMs: number): number | null {
    if (active !== this.raw) {
      this.raw = active;
      this.rawSince = nowMs;
    }
    return this.raw === this.stable ? null : this.rawSince + this.debounceMs;
  }

  /** The new stable level if the raw level has now held for debounceMs, else null. */
  settle(nowMs: number): boolean | null {
    if (this.raw === this.stable || nowMs - this.rawSince < this.debounceMs) return null;
    this.stable = this.raw;
    return this.stable;
  }
}

export type InputMode = 'button' | 'switch';

export type InputAction = { kind: 'toggle' } | { kind: 'switch'; active: boolean };

/** Pure: what a change of the stable level means. A button acts on press only, never on release. */
export function inputAction(mode: InputMode, active: boolean): InputAction | null {
  if (mode === 'switch') return { kind: 'switch', active };
  return active ? { kind: 'toggle' } : null;
}

/** The part of an input pin the driver uses (see pins.ts). */
export interface WatchablePin {
  read(): boolean;
  watch(callback: (active: boolean, err?: Error) => void): void;
}

/**
 * Feeds pin edges through a Debouncer with one timer. At the deadline it reads the pin again, so an
 * edge the kernel coalesced away still ends on the true level.
 */
export class DebouncedInput {
  private debouncer: Debouncer | null = null;
  private timer: TimerHandle | null = null;
  private deadline: number | null = null;
  private running = false;

  constructor(
    private readonly pin: WatchablePin,
    private readonly debounceMs: number,
    private readonly timers: ClockTimers,
    private readonly onStableChange: (active: boolean) => void,
    private readonly onError: (err: Error) => void,
  ) {}

  get level(): boolean | null {
    return this.debouncer?.level ?? null;
  }

  /** Reads the initial level (a button held at start does not count as a press) and starts watching. */
  start(): boolean {
    const initial = this.pin.read();
    this.debouncer = new Debouncer(this.debounceMs, initial, this.timers.now());
    this.running = true;
    this.pin.watch((active, err) => {
      if (!this.running) return;
      if (err) return this.fail(err);
      this.schedule(this.debouncer!.sample(active, this.timers.now()));
    });
    return initial;
  }

  stop(): void {
    this.running = false;
    this.clear();
  }

  private schedule(deadline: number | null): void {
    if (deadline === this.deadline) return;
    this.clear();
    if (deadline === null) return;
    this.deadline = deadline;
    this.timer = this.timers.setTimeout(() => this.settle(), Math.max(0, deadline - this.timers.now()));
  }

  private settle(): void {
    this.timer = null;
    this.deadline = null;
    if (!this.running) return;
    const debouncer = this.debouncer!;
    const now = this.timers.now();
    try {
      const pending = debouncer.sample(this.pin.read(), now);
      const changed = debouncer.settle(now);
      if (changed !== null) this.onStableChange(changed);
      else this.schedule(pending);
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private fail(err: Error): void {
    this.stop();
    this.onError(err);
  }

  private clear(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.deadline = null;
  }
}
