// Failed logins per client address, with a growing delay: a few typos cost nothing (five within 15
// minutes, as camera and NAS firmware allow), then each further failure doubles the time before the
// address may try again. While an address waits, its attempts are refused without looking at the
// password, so guessing gets no faster by sending more. Pure: the clock is an argument.

export interface LimiterOptions {
  /** Failures within `windowMs` that cost no delay (typos). */
  freeFailures: number;
  windowMs: number;
  /** The delay after the first failure beyond the free ones; it doubles with each further one. */
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * An address with no failure for this long starts afresh. Longer than `maxDelayMs`, so an address
   * that has reached the delays cannot earn new free failures by waiting out one delay.
   */
  forgetAfterMs: number;
  /** Addresses remembered at most; the stalest is forgotten first. */
  maxAddresses: number;
}

export const DEFAULT_LIMITER_OPTIONS: LimiterOptions = {
  freeFailures: 5,
  windowMs: 15 * 60_000,
  baseDelayMs: 1_000,
  maxDelayMs: 5 * 60_000,
  forgetAfterMs: 30 * 60_000,
  maxAddresses: 1024,
};

interface FailureRecord {
  /** Failures in a row (for the log and the 429 answer). */
  failures: number;
  /** Times of the latest failures within the window, at most freeFailures + 1 of them. */
  recent: number[];
  /** Failures that imposed a delay; once there is one, every further failure doubles it. */
  delayed: number;
  lastFailureAt: number;
  blockedUntil: number;
}

export type LimiterVerdict = { allowed: true } | { allowed: false; retryAfterMs: number; failures: number };

export class LoginLimiter {
  private readonly records = new Map<string, FailureRecord>();
  private readonly options: LimiterOptions;

  constructor(options: Partial<LimiterOptions> = {}) {
    this.options = { ...DEFAULT_LIMITER_OPTIONS, ...options };
  }

  get size(): number {
    return this.records.size;
  }

  /** Whether `key` may try a password now. */
  check(key: string, nowMs: number): LimiterVerdict {
    const record = this.live(key, nowMs);
    if (!record || nowMs >= record.blockedUntil) return { allowed: true };
    return { allowed: false, retryAfterMs: record.blockedUntil - nowMs, failures: record.failures };
  }

  /** A failed login from `key`; returns the failures in a row and the delay now imposed. */
  fail(key: string, nowMs: number): { failures: number; delayMs: number } {
    const { freeFailures, windowMs, baseDelayMs, maxDelayMs } = this.options;
    const record = this.live(key, nowMs) ?? { failures: 0, recent: [], delayed: 0, lastFailureAt: nowMs, blockedUntil: 0 };
    record.failures++;
    record.lastFailureAt = nowMs;
    record.recent = record.recent.filter((at) => nowMs - at < windowMs);
    record.recent.push(nowMs);
    if (record.recent.length > freeFailures + 1) record.recent.shift();
    let delayMs = 0;
    if (record.delayed > 0 || record.recent.length > freeFailures) {
      record.delayed++;
      delayMs = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(record.delayed - 1, 30));
    }
    // A check that started before the address had to wait may end while it waits: never shorten.
    record.blockedUntil = Math.max(record.blockedUntil, nowMs + delayMs);
    // Re-insert: the map stays ordered by last failure, stalest first.
    this.records.delete(key);
    this.records.set(key, record);
    while (this.records.size > this.options.maxAddresses) this.records.delete(this.records.keys().next().value!);
    return { failures: record.failures, delayMs };
  }

  /** A successful login clears the address's record. */
  succeed(key: string): void {
    this.records.delete(key);
  }

  private live(key: string, nowMs: number): FailureRecord | undefined {
    const record = this.records.get(key);
    if (record && nowMs - record.lastFailureAt > this.options.forgetAfterMs && nowMs >= record.blockedUntil) {
      this.records.delete(key);
      return undefined;
    }
    return record;
  }
}
