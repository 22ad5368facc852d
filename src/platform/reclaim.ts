import { getHeapStatistics } from 'node:v8';
import type { Logger } from './log/logger.js';
import type { IntervalTimers } from './clock.js';

/**
 * Frames live outside V8's heap (ArrayBuffers), and picamd makes several MB of them a second: the
 * camera pipe's reads, which Node allocates per read (the frames themselves go into reused buffers,
 * see FramePool). V8 schedules collections by the growth of
 * its own heap, which frames barely touch, and lets external memory pile up by tens of MB before it
 * steps in: picamd's RSS sawtoothed between 70 and 110 MB at 720p30 on x86. On a 512 MB Pi Zero
 * that matters, and the fix is cheap: dead frames are young, and a minor collection (under a
 * millisecond on picamd's small heap) frees them. So: look every `intervalMs`, and when frame
 * memory has grown by `budgetBytes` over what survived the last collection, collect the young
 * generation; if that frees too little (frames held long enough to be promoted, e.g. by slow
 * viewers), a full collection, at most once per `fullEveryMs`.
 *
 * Each look wakes the process. So the looks slow down to one every `idleIntervalMs` while frame
 * memory grows too slowly to fill the budget soon (camera paused or offline, small pictures), and
 * come every `intervalMs` again as soon as it grows faster.
 */
export type GcFunction = (options?: { type: 'minor' | 'major' }) => void;

export interface ReclaimDeps {
  /** V8's gc(), from `node --expose-gc` (see startupGc). Without it the reclaimer stays off. */
  gc: GcFunction | undefined;
  /** Bytes held by ArrayBuffers, dead ones included until V8 frees them (see externalMemory). */
  arrayBuffers: () => number;
  now: () => number;
  timers: IntervalTimers;
  /** Says once, at start, that the reclaimer is off. */
  logger?: Pick<Logger, 'info'>;
}

export interface ReclaimOptions {
  budgetBytes: number;
  /** The shortest time between looks. */
  intervalMs: number;
  /**
   * The longest time between looks, while frame memory grows slowly or not at all. It bounds
   * what piles up before the first look when frames start flowing fast again (about the rate
   * times this). Defaults to intervalMs: a look every intervalMs.
   */
  idleIntervalMs?: number;
  fullEveryMs: number;
}

export const DEFAULT_RECLAIM: ReclaimOptions = { budgetBytes: 2 * 1024 * 1024, intervalMs: 250, idleIntervalMs: 1_000, fullEveryMs: 10_000 };

/**
 * The gc() that node puts on the global object when it is started with `--expose-gc` (the
 * systemd unit's ExecStart, `npm run demo`), or undefined. The flag is not turned on at run time:
 * Node documents changing V8 flags after start-up as unsafe.
 */
export function startupGc(scope: object = globalThis): GcFunction | undefined {
  const gc = (scope as { gc?: unknown }).gc;
  return typeof gc === 'function' ? (gc as GcFunction) : undefined;
}

/** @deprecated The start-up gc under its old name; main.ts moves to startupGc() and this goes. */
export const exposeGc = (): GcFunction | undefined => startupGc();

/**
 * The reading the reclaimer watches, taken without opening a file: V8's external memory, which is
 * chiefly the backing stores of live and not yet freed ArrayBuffers, that is frames. (Node's own
 * count, process.memoryUsage().arrayBuffers, comes only with the RSS, and libuv reads that from
 * /proc/self/stat on every call: a descriptor four times a second, which a flood of connections
 * can exhaust.) V8 settles this figure after a collection when the next ArrayBuffer is made, which
 * the camera does every frame; until then it reads exactly as before the collection.
 */
export function externalMemory(): number {
  return getHeapStatistics().external_memory;
}

export class FrameMemoryReclaimer {
  private started = false;
  private timer: unknown;
  /** The timer's period now. */
  private periodMs = 0;
  /** The last look's reading and time: the rate frame memory grows at. */
  private lastReading = 0;
  private lastLookAt = 0;
  private baseline = 0;
  private lastFull = Number.NEGATIVE_INFINITY;
  /** The reading when the last collection was made, until its effect has been judged. */
  private collectedAt: number | undefined;
  minor = 0;
  major = 0;

  constructor(
    private readonly deps: ReclaimDeps,
    private readonly options: ReclaimOptions = DEFAULT_RECLAIM,
  ) {}

  /** False when node was started without --expose-gc. */
  get enabled(): boolean {
    return this.deps.gc !== undefined;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    if (!this.deps.gc) {
      this.deps.logger?.info('off: node was started without --expose-gc, so V8 alone decides when dead frames are freed');
      return;
    }
    this.baseline = this.deps.arrayBuffers();
    this.lastReading = this.baseline;
    this.lastLookAt = this.deps.now();
    this.arm(this.options.intervalMs);
  }

  /** The time between looks now (tests). */
  get lookEveryMs(): number {
    return this.timer === undefined ? 0 : this.periodMs;
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    if (this.timer !== undefined) this.deps.timers.clearInterval(this.timer);
    this.timer = undefined;
  }

  private arm(periodMs: number): void {
    if (this.timer !== undefined && periodMs === this.periodMs) return;
    if (this.timer !== undefined) this.deps.timers.clearInterval(this.timer);
    this.periodMs = periodMs;
    this.timer = this.deps.timers.setInterval(() => this.look(), periodMs);
  }

  /** A look from the timer: check, then set the pace of the next looks. */
  private look(): void {
    this.check();
    if (this.started) this.arm(this.nextPeriod());
  }

  /**
   * The time to the next look: idleIntervalMs while the budget would take at least twice that to
   * fill at the rate memory grew since the last look; intervalMs otherwise, and right after a
   * collection, to judge it.
   */
  private nextPeriod(): number {
    const { intervalMs, budgetBytes } = this.options;
    const idleMs = Math.max(intervalMs, this.options.idleIntervalMs ?? intervalMs);
    const current = this.deps.arrayBuffers();
    const now = this.deps.now();
    const grown = current - this.lastReading;
    const elapsed = now - this.lastLookAt;
    this.lastReading = current;
    this.lastLookAt = now;
    // Just collected, or freed since (by V8 itself, or our collection settling): no rate to go by.
    if (this.collectedAt !== undefined || elapsed <= 0 || grown < 0) return intervalMs;
    // The slow pace only while the budget is far off at this rate (twice the slow pace away): under
    // any real load the looks stay every intervalMs, as the budget was tuned for.
    const fillMs = grown === 0 ? Number.POSITIVE_INFINITY : ((budgetBytes - (current - this.baseline)) * elapsed) / grown;
    return fillMs >= 2 * idleMs ? idleMs : intervalMs;
  }

  /**
   * One look. V8 frees the memory of dead ArrayBuffers shortly after a collection, not within it,
   * so the effect of a collection is judged at a later look, the first whose reading has moved.
   * Public for tests.
   */
  check(): void {
    const gc = this.deps.gc;
    if (!gc) return;
    const { budgetBytes, fullEveryMs } = this.options;
    const current = this.deps.arrayBuffers();
    if (this.collectedAt !== undefined) {
      // Not a byte allocated or freed since: V8 has not settled its count yet, nothing to judge.
      if (current === this.collectedAt) return;
      this.collectedAt = undefined;
      // Still over budget after a minor collection: frames were promoted before they died.
      const now = this.deps.now();
      if (current - this.baseline >= budgetBytes && now - this.lastFull >= fullEveryMs) {
        gc({ type: 'major' });
        this.major++;
        this.lastFull = now;
        this.collectedAt = current;
        return;
      }
      // What survived is live (frames in flight, the newest frame, placeholders), or promoted
      // garbage waiting for the next full collection: the budget counts from here.
      this.baseline = current;
      return;
    }
    // V8 collected by itself: count the budget from what is left.
    if (current < this.baseline) this.baseline = current;
    if (current - this.baseline < budgetBytes) return;
    gc({ type: 'minor' });
    this.minor++;
    this.collectedAt = current;
  }
}
