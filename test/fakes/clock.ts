import type { ClockTimers } from '../../src/platform/clock.js';

/**
 * A clock that moves only when told, with timeouts that fire in deadline order as it passes them.
 * Unlike node:test mock.timers it can say which timers are pending, for invariants such as "no
 * kill timer without a process".
 */
export class ManualClock implements ClockTimers {
  private time = 0;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; fn: () => void; ms: number }>();

  readonly now = (): number => this.time;

  readonly setTimeout = (fn: () => void, ms: number): unknown => {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + Math.max(0, ms), fn, ms });
    return id;
  };

  readonly clearTimeout = (handle: unknown): void => {
    this.timers.delete(handle as number);
  };

  /** Durations the pending timers were armed with, soonest first. */
  get pending(): number[] {
    return [...this.timers.values()].sort((a, b) => a.at - b.at).map((t) => t.ms);
  }

  /** Moves the clock by `ms`, firing every timer that falls due on the way, at its own time. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let due: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].at <= end && (!due || entry[1].at < due[1].at)) due = entry;
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].fn();
    }
    this.time = end;
  }
}
