import type { SeenFrame, StampedViewer } from './stamped-viewer.js';

/** A stamped viewer's live frames with their wall-clock arrival (the stamp is wall-clock µs). */
export function withWallClock(viewer: StampedViewer) {
  const offset = Date.now() - performance.now();
  return {
    viewer,
    live: () => viewer.seen.filter((f) => f.tUs !== undefined).map((f) => ({ ...f, arrivedWallMs: f.at + offset })),
  };
}

/** Median of capture-to-arrival delays of live frames, in ms. */
export function medianDelayMs(seen: ReadonlyArray<SeenFrame & { arrivedWallMs: number }>): number {
  const delays = seen.filter((f) => f.tUs !== undefined).map((f) => f.arrivedWallMs - f.tUs! / 1000);
  delays.sort((a, b) => a - b);
  return delays[Math.floor(delays.length / 2)]!;
}
