import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { IntervalTimers } from './ports.js';

/**
 * Frames live outside V8's heap (ArrayBuffers), and picamd makes several MB of them a second:
 * pipe reads, frames joined from two reads, wire parts. V8 schedules collections by the growth of
 * its own heap, which frames barely touch, and lets external memory pile up by tens of MB before it
 * steps in: picamd's RSS sawtoothed between 70 and 110 MB at 720p30 on x86. On a 512 MB Pi Zero
 * that matters, and the fix is cheap: dead frames are young, and a minor collection (under a
 * millisecond on picamd's small heap) frees them. So: look every `intervalMs`, and when frame
 * memory has grown by `budgetBytes` over what survived the last collection, collect the young
 * generation; if that frees too little (frames held long enough to be promoted, e.g. by slow
 * viewers), a full collection, at most once per `fullEveryMs`.
 */
export interface ReclaimDeps {
  gc: (options?: { type: 'minor' | 'major' }) => void;
  arrayBuffers: () => number;
  now: () => number;
  timers: IntervalTimers;
}

export interface ReclaimOptions {
  budgetBytes: number;
  intervalMs: number;
  fullEveryMs: number;
}

export const DEFAULT_RECLAIM: ReclaimOptions = { budgetBytes: 2 * 1024 * 1024, intervalMs: 250, fullEveryMs: 10_000 };

/** V8's gc() function, made available at run time (the same as starting node with --expose-gc). */
export function exposeGc(): ReclaimDeps['gc'] {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as ReclaimDeps['gc'];
}

export class FrameMemoryReclaimer {
  private timer: unknown;
  private baseline = 0;
  private lastFull = Number.NEGATIVE_INFINITY;
  private collected = false;
  minor = 0;
  major = 0;

  constructor(
    private readonly deps: ReclaimDeps,
    private readonly options: ReclaimOptions = DEFAULT_RECLAIM,
  ) {}

  start(): void {
    if (this.timer !== undefined) return;
    this.baseline = this.deps.arrayBuffers();
    this.timer = this.deps.timers.setInterval(() => this.check(), this.options.intervalMs);
  }

  stop(): void {
    if (this.timer === undefined) return;
    this.deps.timers.clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * One look. V8 frees the memory of dead ArrayBuffers shortly after a collection, not within it,
   * so the effect of a collection is judged at the next look. Public for tests.
   */
  check(): void {
    const { budgetBytes, fullEveryMs } = this.options;
    const current = this.deps.arrayBuffers();
    if (this.collected) {
      this.collected = false;
      // Still over budget after a minor collection: frames were promoted before they died.
      const now = this.deps.now();
      if (current - this.baseline >= budgetBytes && now - this.lastFull >= fullEveryMs) {
        this.deps.gc({ type: 'major' });
        this.major++;
        this.lastFull = now;
        this.collected = true;
        return;
      }
      // What survived is live (frames in flight, the newest frame, placeholders), or promoted
      // garbage waiting for the next full collection: the budget counts from here.
      this.baseline = current;
      return;
    }
    if (current - this.baseline < budgetBytes) return;
    this.deps.gc({ type: 'minor' });
    this.minor++;
    this.collected = true;
  }
}
