import { clientGroup } from './headers.js';

// Failed logins per client address, with a growing delay: a few typos cost nothing (five within 15
// minutes, as camera and NAS firmware allow), then each further failure doubles the time before the
// address may try again. While an address waits, its attempts are refused without looking at the
// password, so guessing gets no faster by sending more. Pure: the clock is an argument.
//
// Keys are single addresses (clientKey). Addresses that one client may hold many of (an IPv6 /64,
// clientGroup) also add up, with a much larger allowance: one host's typos never make its LAN wait,
// but a /64 that picks a fresh address for every guess does wait once its failures are far beyond
// what people typing make. An address that logged in recently is judged on its own failures only.

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
  /** The group an address belongs to, whose failures add up, or undefined. */
  groupOf: (key: string) => string | undefined;
  /** Failures from all addresses of one group within `windowMs` before the whole group waits. */
  groupFreeFailures: number;
  /** Groups remembered at most. */
  maxGroups: number;
}

export const DEFAULT_LIMITER_OPTIONS: LimiterOptions = {
  freeFailures: 5,
  windowMs: 15 * 60_000,
  baseDelayMs: 1_000,
  maxDelayMs: 5 * 60_000,
  forgetAfterMs: 30 * 60_000,
  maxAddresses: 1024,
  groupOf: clientGroup,
  // Ten people's worth of typos; one address alone makes about 15 failures in 15 minutes when it
  // keeps guessing (5 free, then 1 s, 2 s, ... 256 s apart).
  groupFreeFailures: 50,
  maxGroups: 256,
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
  private readonly addresses: FailureCounter;
  private readonly groupCounter: FailureCounter;
  /** Addresses by their last successful login; oldest first. */
  private readonly trusted = new Map<string, number>();
  private readonly options: LimiterOptions;

  constructor(options: Partial<LimiterOptions> = {}) {
    this.options = { ...DEFAULT_LIMITER_OPTIONS, ...options };
    this.addresses = new FailureCounter(this.options, this.options.freeFailures, this.options.maxAddresses);
    this.groupCounter = new FailureCounter(this.options, this.options.groupFreeFailures, this.options.maxGroups);
  }

  /** Addresses with failures on record. */
  get size(): number {
    return this.addresses.size;
  }

  /** Groups with failures on record. */
  get groups(): number {
    return this.groupCounter.size;
  }

  /** Addresses remembered as having logged in. */
  get trustedCount(): number {
    return this.trusted.size;
  }

  /** Whether `key` may try a password now. */
  check(key: string, nowMs: number): LimiterVerdict {
    let verdict = this.addresses.check(key, nowMs);
    const group = this.options.groupOf(key);
    if (group !== undefined && !this.isTrusted(key, nowMs)) {
      const byGroup = this.groupCounter.check(group, nowMs);
      if (!byGroup.allowed && (verdict.allowed || byGroup.retryAfterMs > verdict.retryAfterMs)) verdict = byGroup;
    }
    return verdict;
  }

  /** A failed login from `key`; returns the failures in a row and the delay now imposed. */
  fail(key: string, nowMs: number): { failures: number; delayMs: number } {
    const own = this.addresses.fail(key, nowMs);
    const group = this.options.groupOf(key);
    if (group === undefined) return own;
    const byGroup = this.groupCounter.fail(group, nowMs);
    return this.isTrusted(key, nowMs) ? own : { failures: own.failures, delayMs: Math.max(own.delayMs, byGroup.delayMs) };
  }

  /**
   * A successful login clears the address's record. With the time, the address is also trusted for
   * `forgetAfterMs`: its group's failures do not make it wait.
   */
  succeed(key: string, nowMs?: number): void {
    this.addresses.clear(key);
    if (nowMs === undefined) return;
    this.trusted.delete(key);
    this.trusted.set(key, nowMs);
    while (this.trusted.size > this.options.maxAddresses) this.trusted.delete(this.trusted.keys().next().value!);
  }

  /** Whether `key` has failures on record, itself or through its group beyond one address's allowance. */
  hasFailures(key: string, nowMs: number): boolean {
    if (this.addresses.failures(key, nowMs) > 0) return true;
    const group = this.options.groupOf(key);
    return group !== undefined && !this.isTrusted(key, nowMs) && this.groupCounter.failures(group, nowMs) > this.options.freeFailures;
  }

  private isTrusted(key: string, nowMs: number): boolean {
    const at = this.trusted.get(key);
    if (at === undefined) return false;
    if (nowMs - at <= this.options.forgetAfterMs) return true;
    this.trusted.delete(key);
    return false;
  }
}

/** Failures by key within a window, with the doubling delay beyond the free ones. */
class FailureCounter {
  private readonly records = new Map<string, FailureRecord>();

  constructor(
    private readonly options: LimiterOptions,
    private readonly freeFailures: number,
    private readonly maxRecords: number,
  ) {}

  get size(): number {
    return this.records.size;
  }

  check(key: string, nowMs: number): LimiterVerdict {
    const record = this.live(key, nowMs);
    if (!record || nowMs >= record.blockedUntil) return { allowed: true };
    return { allowed: false, retryAfterMs: record.blockedUntil - nowMs, failures: record.failures };
  }

  failures(key: string, nowMs: number): number {
    return this.live(key, nowMs)?.failures ?? 0;
  }

  fail(key: string, nowMs: number): { failures: number; delayMs: number } {
    const { windowMs, baseDelayMs, maxDelayMs } = this.options;
    const record = this.live(key, nowMs) ?? { failures: 0, recent: [], delayed: 0, lastFailureAt: nowMs, blockedUntil: 0 };
    record.failures++;
    record.lastFailureAt = nowMs;
    record.recent = record.recent.filter((at) => nowMs - at < windowMs);
    record.recent.push(nowMs);
    if (record.recent.length > this.freeFailures + 1) record.recent.shift();
    let delayMs = 0;
    if (record.delayed > 0 || record.recent.length > this.freeFailures) {
      record.delayed++;
      delayMs = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(record.delayed - 1, 30));
    }
    // A check that started before the address had to wait may end while it waits: never shorten.
    record.blockedUntil = Math.max(record.blockedUntil, nowMs + delayMs);
    // Re-insert: the map stays ordered by last failure, stalest first.
    this.records.delete(key);
    this.records.set(key, record);
    while (this.records.size > this.maxRecords) this.records.delete(this.records.keys().next().value!);
    return { failures: record.failures, delayMs };
  }

  clear(key: string): void {
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
