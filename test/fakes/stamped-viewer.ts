import { readSimStamp } from '../../src/sim/stamp.js';
import { openMjpeg, type MjpegClient } from './mjpeg-client.js';

/** One frame as a viewer saw it: the simulated camera's stamp (none for a placeholder) and when it arrived. */
export interface SeenFrame {
  seq: number | undefined;
  /** Capture time from the stamp, µs since the epoch. */
  tUs: number | undefined;
  /** Arrival, performance.now() ms. */
  at: number;
  bytes: number;
}

export interface StampedViewer {
  client: MjpegClient;
  seen: SeenFrame[];
  /** Whole frames kept, when opened with keepFrames. */
  frames: Buffer[];
}

/**
 * A strict multipart viewer that notes every frame's stamp and arrival time and, unless keepFrames,
 * lets go of the frame itself (long fault runs would otherwise hold every frame).
 */
export function openStampedViewer(
  port: number,
  options: { path?: string; localAddress?: string; headers?: Record<string, string>; keepFrames?: boolean; allowChunked?: boolean } = {},
): StampedViewer {
  const client = openMjpeg(port, options.path ?? '/stream.mjpg', { localAddress: options.localAddress, headers: options.headers, allowChunked: options.allowChunked });
  const viewer: StampedViewer = { client, seen: [], frames: [] };
  // Registered after the client's own data handler, so the frames of this chunk are parsed already.
  client.socket.on('data', () => {
    const at = performance.now();
    for (const frame of client.frames.splice(0)) {
      const stamp = readSimStamp(frame);
      viewer.seen.push({ seq: stamp?.seq, tUs: stamp?.tUs, at, bytes: frame.length });
      if (options.keepFrames) viewer.frames.push(frame);
    }
  });
  return viewer;
}

/** Runs of live frames: a new run starts after a placeholder or where seq goes back (a new camera process). */
export function liveRuns(seen: readonly SeenFrame[]): SeenFrame[][] {
  const runs: SeenFrame[][] = [];
  let current: SeenFrame[] | undefined;
  for (const frame of seen) {
    if (frame.seq === undefined) {
      current = undefined;
      continue;
    }
    const last = current?.at(-1);
    if (!current || (last && frame.seq <= last.seq!)) {
      current = [];
      runs.push(current);
    }
    current.push(frame);
  }
  return runs;
}

/** Sequence numbers missing inside a run: frames the camera itself skipped, or frames lost on the way. */
export function seqGaps(run: readonly SeenFrame[]): number[] {
  const missing: number[] = [];
  for (let i = 1; i < run.length; i++) for (let s = run[i - 1]!.seq! + 1; s < run[i]!.seq!; s++) missing.push(s);
  return missing;
}

/** min–max of numbers, formatted with a unit. */
export function range(values: readonly number[], digits = 2, unit = 's'): string {
  if (values.length === 0) return 'n/a';
  const min = Math.min(...values);
  const max = Math.max(...values);
  return min.toFixed(digits) === max.toFixed(digits) ? `${min.toFixed(digits)} ${unit}` : `${min.toFixed(digits)}–${max.toFixed(digits)} ${unit}`;
}
