// Drift-free frame pacing: frame n is due at start + n * period, whatever happened before. A late
// tick sends only the newest due frame and skips the ones it missed, as a camera would, instead of
// sending a burst to catch up.

export interface PaceResult {
  /** The frame to send now, or undefined when the next frame is not due yet. */
  seq: number | undefined;
  /** Frames that came due but are skipped because this tick was late. */
  skipped: number;
  /** The next frame to wait for. */
  nextSeq: number;
  /** How long to wait before the next tick. */
  delayMs: number;
}

export function pace(startMs: number, periodMs: number, nextSeq: number, nowMs: number): PaceResult {
  const dueSeq = Math.floor((nowMs - startMs) / periodMs);
  if (dueSeq < nextSeq) {
    return { seq: undefined, skipped: 0, nextSeq, delayMs: startMs + nextSeq * periodMs - nowMs };
  }
  return {
    seq: dueSeq,
    skipped: dueSeq - nextSeq,
    nextSeq: dueSeq + 1,
    delayMs: Math.max(0, startMs + (dueSeq + 1) * periodMs - nowMs),
  };
}
