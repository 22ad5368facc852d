// Timers passed in as a dependency. The defaults look the globals up at call time, so node:test's
// mock.timers (which replaces the globals) drives them in tests.

export type TimerHandle = unknown;

export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /** Milliseconds on a clock that only moves forward. */
  now(): number;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  // Monotonic: a Pi has no RTC and its wall clock jumps when NTP first syncs after boot.
  now: () => performance.now(),
};
