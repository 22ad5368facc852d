// The clock and timers every long-lived service takes, written once, with their real
// adapters. Services get them as parameters, so tests drive them with fakes (or node:test's
// mock.timers: the real adapters look the globals up at call time).

/** Milliseconds on a clock that only moves forward. */
export type Now = () => number;

export type TimerHandle = unknown;

export interface TimeoutTimers {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export interface IntervalTimers {
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
}

export type Timers = TimeoutTimers & IntervalTimers;

/** Timeouts and the clock they are measured on, for code that schedules by elapsed time. */
export type ClockTimers = TimeoutTimers & { now: Now };

// Monotonic: a Pi has no RTC and its wall clock jumps when NTP first syncs after boot.
export const monotonicNow: Now = () => performance.now();

export const realTimers: Timers & { now: Now } = {
  now: monotonicNow,
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
};
