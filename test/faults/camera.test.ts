import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FrameParser } from '../../src/formats/jpeg/frame-parser.js';
import { prerenderSimFrames } from '../../src/sim/frames.js';
import { readSimStamp } from '../../src/sim/stamp.js';
import { jpegLayout, loadFixtures, standalone } from '../fixtures/jpeg/index.js';
import { appConfig, freePort, startApp, status, type RunningApp } from '../fakes/app.js';
import { get } from '../fakes/mjpeg-client.js';
import { liveRuns, openStampedViewer, range, seqGaps } from '../fakes/stamped-viewer.js';
import { waitFor } from '../fakes/wait.js';

// Camera faults through the real app and the simulated camera (PICAMD_SIM_FAULT is inherited by the
// camera process picamd starts). Each test prints what it measured.

async function app(camera: object, env: Record<string, string> = {}): Promise<RunningApp> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'picamd-fault-'));
  return startApp(appConfig(port, dir, { camera }), { dir, port, env });
}

test('the camera killed repeatedly: viewers stay connected and live frames resume after each crash', async (t) => {
  const picamd = await app({ backoff: { initialMs: 100, maxMs: 200 } }, { PICAMD_SIM_FAULT: 'crash-after=15' });
  try {
    const viewers = [openStampedViewer(picamd.port), openStampedViewer(picamd.port)];
    await waitFor('five crashes', async () => (await status(picamd.port)).camera.restarts >= 5, 30_000, 100);
    await waitFor('live frames after the fifth', () => viewers.every((v) => liveRuns(v.seen).length >= 6), 10_000);
    const s = await status(picamd.port);
    assert.equal(s.stream.viewers, 2, 'both viewers still counted by picamd');
    for (const v of viewers) {
      assert.equal(v.client.error, undefined);
      assert.equal(v.client.closed, false, 'the viewer stayed connected');
    }
    const runs = liveRuns(viewers[0]!.seen);
    // Capture time of the first frame of a run minus that of the last frame before the crash.
    const resumed = runs.slice(1).map((run, i) => (run[0]!.tUs! - runs[i]!.at(-1)!.tUs!) / 1e6);
    const placeholders = viewers[0]!.seen.filter((f) => f.seq === undefined).length;
    t.diagnostic(
      `crash loop: ${s.camera.restarts} crashes, ${viewers.length} viewers stayed connected, ` +
        `live frames resumed after each in ${range(resumed)} (${runs.length} live runs, ${placeholders} placeholders between)`,
    );
    assert.ok(runs.length >= 6, `${runs.length} live runs`);
    for (const run of runs.slice(0, -1)) assert.ok(run.length >= 10, `a run of ${run.length} frames (15 per camera process)`);
  } finally {
    await picamd.stop();
  }
});

test('the camera stalls: the watchdog restarts it and live frames resume', async (t) => {
  const picamd = await app({ stallTimeoutMs: 1000, backoff: { initialMs: 100, maxMs: 200 } }, { PICAMD_SIM_FAULT: 'stall-after=20' });
  try {
    const viewer = openStampedViewer(picamd.port);
    await waitFor('three stalls caught', () => (picamd.output().match(/stalled: no frame for \d+\.\d s, restarting the camera/g) ?? []).length >= 3, 30_000, 100);
    await waitFor('live frames after the third restart', () => liveRuns(viewer.seen).length >= 4, 10_000);
    const runs = liveRuns(viewer.seen);
    const resumed = runs.slice(1).map((run, i) => (run[0]!.tUs! - runs[i]!.at(-1)!.tUs!) / 1e6);
    const noticed = [...picamd.output().matchAll(/stalled: no frame for (\d+\.\d) s, restarting the camera/g)].map((m) => Number(m[1]));
    const s = await status(picamd.port);
    t.diagnostic(
      `camera stall: ${noticed.length} stalls noticed after ${range(noticed, 1)} without a frame (stallTimeoutMs 1000), ` +
        `camera restarted ${s.camera.restarts} times, live frames resumed ${range(resumed)} after the last frame before each stall`,
    );
    assert.equal(viewer.client.closed, false);
    assert.equal(viewer.client.error, undefined);
    assert.ok(noticed.every((seconds) => seconds >= 1), 'not before the timeout');
    for (const run of runs.slice(0, -1)) assert.ok(run.length >= 15, `a run of ${run.length} frames (20 per camera process)`);
  } finally {
    await picamd.stop();
  }
});

/**
 * Garbage right after a frame cut in its scan can look like a marker segment with a long length (here
 * SOS, 0x5D76 bytes). Skipped as a payload, it would swallow the next frame's SOI, land in a later
 * frame's scan and glue everything up to that frame's EOI into one frame; with
 * garbage-every=2,truncate-every=3 the simulated camera did that about once in a thousand frames. The
 * parser bounds segment lengths (SOS is at most 14 bytes) and searches payloads after a scan for
 * FF D8 FF (test/formats/jpeg/frame-parser.test.ts covers each bound and every split).
 */

test('a frame cut in its scan, then garbage that looks like a long SOS: only the whole frames come out', () => {
  const [a, b, c] = loadFixtures().map((f) => f.bytes);
  const scanA = jpegLayout(a!).scans[0]!;
  const cut = a!.subarray(0, scanA.start + ((scanA.end - scanA.start) >> 1));
  // Land the "SOS payload" 10 bytes into c's scan: b's SOI and c's SOI are inside the skip.
  const skipTo = 4 + b!.length + jpegLayout(c!).scans[0]!.start + 10;
  const garbage = Buffer.from([0xff, 0xda, (skipTo - 2) >> 8, (skipTo - 2) & 0xff]);
  const parser = new FrameParser({ maxFrameBytes: 1 << 20 });
  const frames = parser.push(standalone(cut, garbage, b!, c!));
  assert.deepEqual(frames.map((f) => f.length), [b!.length, c!.length], 'b and c, whole, and nothing else');
});

test('the camera writes garbage and truncated frames: every frame a viewer gets is byte-identical to one the camera made', async (t) => {
  const camera = { width: 320, height: 240, framerate: 30, quality: 80 };
  const picamd = await app(camera, { PICAMD_SIM_FAULT: 'garbage-every=2,truncate-every=3' });
  try {
    const viewers = [openStampedViewer(picamd.port, { keepFrames: true }), openStampedViewer(picamd.port, { keepFrames: true })];
    await waitFor('150 frames each', () => viewers.every((v) => v.frames.length >= 150 || v.client.error), 30_000, 50);
    const s = await status(picamd.port);
    // The camera's own frames, rebuilt from the stamp: the picture is a function of (seq, time).
    const reference = prerenderSimFrames({ ...camera, hflip: false, vflip: false });
    let compared = 0;
    for (const v of viewers) {
      assert.equal(v.client.error, undefined, 'every part is a whole JPEG in strict multipart');
      for (const frame of v.frames) {
        const stamp = readSimStamp(frame);
        if (!stamp) continue; // a placeholder (the starting picture)
        const expected = reference.frame(stamp.seq, stamp.tUs);
        assert.ok(frame.equals(expected), `frame seq=${stamp.seq} (${frame.length} bytes) differs from the camera's (${expected.length} bytes)`);
        compared++;
      }
    }
    const received = viewers[0]!.seen.filter((f) => f.seq !== undefined).length;
    const gaps = liveRuns(viewers[0]!.seen).flatMap(seqGaps).length;
    // Every third frame written is truncated; anything missing beyond that was lost with it.
    const truncatedShare = Math.round((received + gaps) / 3);
    t.diagnostic(
      `garbage and truncation: ${compared} frames checked across ${viewers.length} viewers, 0 corrupted (byte-identical to the camera's); ` +
        `parser dropped ${s.camera.drops.truncated} frames as truncated and ${s.camera.drops.corrupt} as corrupt, and skipped ${s.camera.drops.garbage} runs of garbage; ` +
        `${received} frames received and ${gaps} sequence numbers missing: about ${truncatedShare} truncated by the camera, ` +
        `${Math.max(0, gaps - truncatedShare)} whole frames lost next to them`,
    );
    // A cut frame counts as truncated when the next SOI shows it, as corrupt when garbage follows it.
    const cut = s.camera.drops.truncated + s.camera.drops.corrupt;
    assert.ok(cut >= 40, `${cut} cut frames dropped`);
    assert.ok(s.camera.drops.garbage >= 40, `${s.camera.drops.garbage} garbage runs skipped`);
    assert.equal(s.camera.restarts, 0, 'garbage is no reason to restart the camera');
  } finally {
    await picamd.stop();
  }
});

test('the camera floods garbage without a single frame: memory stays bounded, the watchdog restarts it, the server answers', async (t) => {
  const standin = join(import.meta.dirname, '../fakes/camera-standin.mjs');
  const picamd = await app({ command: [process.execPath, standin, 'flood'], startTimeoutMs: 2000, backoff: { initialMs: 100, maxMs: 200 } });
  try {
    const viewer = openStampedViewer(picamd.port);
    const rss: number[] = [];
    let answered = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 5000) {
      const s = await status(picamd.port);
      answered++;
      rss.push(s.device.memoryMB.rss);
      await sleep(250);
    }
    const s = await status(picamd.port);
    t.diagnostic(
      `garbage flood: ${answered} status requests answered in 5 s, picamd RSS ${range(rss, 1, 'MB')}, ` +
        `${s.camera.restarts} camera restarts for no first frame, ${s.camera.drops.garbage} garbage runs skipped, ` +
        `viewer got ${viewer.seen.length} placeholders and 0 camera frames`,
    );
    assert.ok(s.camera.restarts >= 1);
    assert.ok(viewer.seen.every((f) => f.seq === undefined), 'nothing from the garbage reached the viewer');
    assert.ok(Math.max(...rss) < 200, `RSS peaked at ${Math.max(...rss)} MB`);
    assert.equal(viewer.client.error, undefined);
  } finally {
    await picamd.stop();
  }
});

test('the camera binary is missing: offline placeholders keep coming, everything else keeps serving', async (t) => {
  const picamd = await app({ command: ['rpicam-vid-not-installed'] });
  try {
    const viewer = openStampedViewer(picamd.port, { keepFrames: true });
    const t0 = performance.now();
    const codes: number[] = [];
    while (performance.now() - t0 < 3000) {
      for (const path of ['/healthz', '/api/status', '/snapshot.jpg']) codes.push((await get(picamd.port, path)).status);
      await sleep(100);
    }
    const seconds = (performance.now() - t0) / 1000;
    const s = await status(picamd.port);
    const ok = codes.filter((c) => c === 200).length;
    const unavailable = codes.filter((c) => c === 503).length;
    t.diagnostic(
      `missing camera: ${viewer.seen.length} offline placeholders in ${seconds.toFixed(1)} s, ` +
        `${ok} health/status answers 200 and ${unavailable} snapshots 503 of ${codes.length} requests; camera ${s.camera.state}: ${s.camera.detail}`,
    );
    assert.ok(viewer.seen.length >= 2 && viewer.seen.every((f) => f.seq === undefined));
    assert.equal(ok + unavailable, codes.length);
    assert.equal(unavailable, codes.length / 3, 'only the snapshot is unavailable');
    assert.match(s.camera.detail, /rpicam-vid-not-installed is not installed/);
  } finally {
    await picamd.stop();
  }
});
