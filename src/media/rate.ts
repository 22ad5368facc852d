/**
 * Events per second over a sliding window of whole seconds, from counts in one-second buckets:
 * constant memory, no timers.
 */
export class RateMeter {
  private readonly buckets: number[];
  private head = 0;
  private headSecond = 0;
  private firstSecond: number | undefined;

  constructor(private readonly windowSeconds = 5) {
    this.buckets = new Array<number>(windowSeconds + 1).fill(0);
  }

  /** Counts one event at time `nowMs`. */
  mark(nowMs: number): void {
    this.firstSecond ??= Math.floor(nowMs / 1000);
    this.advance(nowMs);
    this.buckets[this.head]! += 1;
  }

  /**
   * Events per second over the last windowSeconds complete seconds, or over the complete seconds
   * since the first event while there are fewer (so a fresh meter does not under-report).
   */
  rate(nowMs: number): number {
    this.advance(nowMs);
    if (this.firstSecond === undefined) return 0;
    const seconds = Math.min(this.windowSeconds, this.headSecond - this.firstSecond);
    if (seconds <= 0) return this.buckets[this.head]!;
    let sum = 0;
    for (let i = 0; i < this.buckets.length; i++) if (i !== this.head) sum += this.buckets[i]!;
    return sum / seconds;
  }

  private advance(nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    const steps = Math.min(second - this.headSecond, this.buckets.length);
    for (let i = 0; i < steps; i++) {
      this.head = (this.head + 1) % this.buckets.length;
      this.buckets[this.head] = 0;
    }
    if (second > this.headSecond) this.headSecond = second;
  }
}
