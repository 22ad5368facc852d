import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, test } from 'node:test';
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable } from '../../../src/platform/executable.js';
import { CameraSupervisor, type CameraState } from '../../../src/device/camera/supervisor.js';
import { configSchema } from '../../../src/device/settings/schema.js';
import type { AccessUnit } from '../../../src/formats/h264/access-unit.js';
import { AnnexBParser } from '../../../src/formats/h264/annexb.js';
import { FramePool } from '../../../src/formats/frame-pool.js';
import { PART_HEADROOM, PART_TAILROOM } from '../../../src/formats/multipart.js';
import { Broadcaster } from '../../../src/media/broadcaster.js';
import { DEFAULT_READ_BYTES, StdoutSockets, type StdoutSocket } from '../../../src/platform/stdout-sockets.js';
import { sharedEntropyScanner } from '../../../src/formats/jpeg/entropy-scan.js';
import { memoryLogger } from '../../fakes/logger.js';
import { processExists, waitFor } from '../../fakes/wait.js';

const standin = fileURLToPath(new URL('../../fakes/camera-standin.mjs', import.meta.url));

const running: CameraSupervisor[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

function supervisor(mode: string, over: object = {}, command = [process.execPath, standin, mode], extra: object = {}) {
  const config = configSchema.parse({
    camera: {
      command,
      stallTimeoutMs: 500,
      startTimeoutMs: 1_500,
      stopGraceMs: 300,
      backoff: { initialMs: 50, maxMs: 400, resetAfterMs: 60_000 },
      ...over,
    },
  }).camera;
  const logger = memoryLogger();
  const states: string[] = [];
  const frames: Buffer[] = [];
  const s = new CameraSupervisor(config, {
    spawn,
    now: () => performance.now(),
    timers: { setTimeout, clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
    logger: logger.child('camera'),
    findExecutable: (c) => findExecutable(c, process.env.PATH, process.cwd()),
    deathSignalPrefix: [],
    ...extra,
  });
  s.on('state', (state: CameraState, detail: string) => states.push(detail ? `${state}: ${detail}` : state));
  s.on('frame', (f: Buffer) => frames.push(f));
  running.push(s);
  return { s, logger, states, frames, config };
}

test('streams frames, passes the rpicam-vid flags, and stops the process', async () => {
  const { s, logger, states, frames } = supervisor('stream');
  s.start();
  await waitFor('frames', () => frames.length >= 5);
  assert.equal(s.state, 'streaming');
  assert.deepEqual(states.slice(0, 2), ['starting: waiting for the first frame', 'streaming']);
  const argvLine = await waitFor('argv on stderr', () => logger.lines.find((l) => l.includes('standin stream')));
  assert.match(argvLine, /^info camera: standin stream pid=\d+ argv=/);
  assert.ok(argvLine.includes('["-t","0","-n","--codec","mjpeg","--flush","-o","-","--width","1280"'), argvLine);
  assert.ok(frames.every((f) => f[0] === 0xff && f[1] === 0xd8 && f.at(-2) === 0xff && f.at(-1) === 0xd9));
  const pid = s.status().pid!;
  assert.ok(processExists(pid));
  await s.stop();
  assert.equal(s.state, 'stopped');
  assert.equal(processExists(pid), false, 'camera process is gone after stop()');
  await s.stop(); // twice is fine
});

test('a crashing camera is restarted with doubling delays', async () => {
  const { s, logger } = supervisor('crash:2');
  s.start();
  await waitFor('three restarts', () => s.status().restarts >= 3);
  const restarts = logger.lines.filter((l) => l.includes('exited with code 1'));
  assert.match(restarts[0]!, /^warn camera: exited with code 1 after \d+\.\d s, restarting in 0\.05 s \(attempt 1\)$/);
  assert.match(restarts[1]!, /restarting in 0\.1 s \(attempt 2\)$/);
  assert.match(restarts[2]!, /restarting in 0\.2 s \(attempt 3\)$/);
  assert.ok(s.status().frames >= 6, 'each run delivered its frames');
});

test('a stalled camera is killed by the watchdog and restarted', async () => {
  const { s, logger, states } = supervisor('stall:3');
  s.start();
  await waitFor('streaming', () => s.state === 'streaming');
  const firstPid = s.status().pid!;
  await waitFor('restart after stall', () => s.status().restarts >= 1, 5_000);
  assert.ok(logger.lines.some((l) => /warn camera: stalled: no frame for 0\.\d s, restarting the camera/.test(l)), logger.lines.join('\n'));
  assert.ok(states.some((st) => st.startsWith('backoff: stalled: no frame')));
  await waitFor('old process gone', () => !processExists(firstPid));
});

test('a camera that never sends a frame is restarted after the start allowance', async () => {
  const { s, logger } = supervisor('silent');
  s.start();
  await waitFor('start timeout', () => logger.lines.some((l) => l.includes('no first frame within 1.5 s')), 5_000);
  await waitFor('restarted', () => s.status().restarts >= 1);
});

test('garbage is counted and never buffered without bound', async () => {
  const { s, frames } = supervisor('flood', { maxFrameBytes: 65_536 });
  s.start();
  await waitFor('garbage counted', () => s.status().drops.garbage > 0);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(frames.length, 0);
  assert.equal(s.state, 'starting');
  assert.ok(process.memoryUsage().rss < 1024 * 1024 * 1024);
});

test('a missing executable is reported once, clearly, and retried', async () => {
  const { s, logger, states } = supervisor('', {}, ['/nonexistent/rpicam-vid']);
  s.start();
  await waitFor('several attempts', () => states.filter((st) => st.startsWith('backoff')).length >= 3);
  assert.equal(s.state, 'backoff');
  assert.match(s.status().detail, /^\/nonexistent\/rpicam-vid is not installed; restarting in/);
  const errors = logger.lines.filter((l) => l.startsWith('error'));
  assert.equal(errors.length, 1, errors.join('\n'));
  assert.match(errors[0]!, /is not installed \(not found on PATH\)\. On a Raspberry Pi: sudo apt install rpicam-apps\. On a development machine: npm run demo/);
});

test('a camera that ignores SIGTERM is killed with SIGKILL after the grace period', async () => {
  const { s, logger, frames } = supervisor('ignore-term');
  s.start();
  await waitFor('frames', () => frames.length > 0);
  const pid = s.status().pid!;
  await s.stop();
  assert.equal(processExists(pid), false);
  assert.ok(logger.lines.some((l) => l.includes('did not exit within 300 ms of SIGTERM, sending SIGKILL')));
});

test('privacy pause stops the process and keeps it stopped; resume streams again', async () => {
  const { s, frames, logger } = supervisor('stream');
  s.start();
  await waitFor('frames', () => frames.length > 0);
  const pid = s.status().pid!;
  s.setPaused(true);
  assert.equal(s.state, 'paused');
  await waitFor('camera process gone', () => !processExists(pid));
  const count = frames.length;
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(frames.length, count, 'no frames while paused');
  assert.equal(s.status().pid, null);
  assert.equal(s.status().restarts, 0, 'a pause is not a crash');
  assert.ok(!logger.lines.some((l) => l.startsWith('warn')), logger.lines.join('\n'));
  s.setPaused(false);
  await waitFor('streaming again', () => s.state === 'streaming' && frames.length > count);
});

test('paused before start: the camera never starts', async () => {
  const { s, states } = supervisor('stream');
  s.setPaused(true);
  s.start();
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(states, ['paused: privacy mode']);
  assert.equal(s.status().pid, null);
});

test('privacy off right after on: the new process starts only after the old one has exited', async () => {
  const { s, frames, logger } = supervisor('ignore-term');
  s.start();
  await waitFor('frames', () => frames.length > 0);
  const first = s.status().pid!;
  s.setPaused(true);
  s.setPaused(false);
  assert.equal(s.state, 'waiting');
  assert.equal(s.status().detail, 'waiting for the previous camera process to exit');
  assert.equal(s.status().pid, first, 'still the old process, on its way out');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(s.status().pid, first, 'no second camera process while the first one runs');
  // The old process ignores SIGTERM: SIGKILL after the 300 ms grace, then the new one starts.
  await waitFor('new process streaming', () => s.state === 'streaming' && s.status().pid !== first, 5_000);
  assert.equal(processExists(first), false);
  assert.ok(logger.lines.some((l) => l.includes('starting again')));
  assert.equal(s.status().restarts, 0, 'a privacy toggle is not a crash');
  const second = s.status().pid!;
  await s.stop();
  assert.equal(processExists(second), false, 'stop() still stops the new process');
});

test('reconfigure restarts a streaming camera with the new flags; while private it waits for privacy off', async () => {
  const { s, logger, states, frames, config } = supervisor('stream');
  s.start();
  await waitFor('frames', () => frames.length >= 3);
  const firstPid = s.status().pid!;
  const next = configSchema.parse({ camera: { ...config, backoff: config.backoff, rotation: 180 } }).camera;
  s.reconfigure(next);
  assert.equal(s.state, 'waiting');
  assert.equal(s.status().detail, 'applying new settings');
  await waitFor('streaming again', () => s.state === 'streaming' && s.status().pid !== firstPid);
  assert.equal(processExists(firstPid), false, 'never two camera processes');
  assert.ok(logger.lines.some((l) => l.includes('standin stream') && l.includes('"--rotation","180"')), 'the new run has the new flag');
  assert.ok(states.includes('waiting: applying new settings'));
  assert.equal(s.status().failures, 0);

  s.setPaused(true);
  await waitFor('paused', () => s.state === 'paused' && s.status().pid === null);
  s.reconfigure(configSchema.parse({ camera: { ...config, rotation: 0 } }).camera);
  assert.equal(s.state, 'paused', 'private: nothing starts');
  assert.equal(s.status().pid, null);
  s.setPaused(false);
  await waitFor('streaming after privacy', () => s.state === 'streaming');
  const runs = logger.lines.filter((l) => l.includes('standin stream'));
  assert.ok(!runs.at(-1)!.includes('"--rotation"'), 'the settings made while private apply at privacy off');
});


/** A camera that writes a real H.264 stream (a committed x264 fixture, over and over) to stdout. */
const h264Fixture = fileURLToPath(new URL('../../fixtures/h264/high-g15.h264', import.meta.url));
const h264Camera = [
  process.execPath,
  '--input-type=commonjs',
  '-e',
  `const b = require('fs').readFileSync(${JSON.stringify(h264Fixture)}); const t = setInterval(() => { if (!process.stdout.write(b)) {} }, 100); process.stdin.resume(); process.on('SIGTERM', () => { clearInterval(t); process.exit(0); }); console.error('argv=' + JSON.stringify(process.argv.slice(1)));`,
  // node's own option parsing ends here; rpicam-vid's flags follow as the script's arguments.
  '--',
];

test('H.264 mode: the run parses access units and emits them as units, with the H.264 flags', async () => {
  const config = configSchema.parse({ camera: { command: h264Camera, codec: 'h264', startTimeoutMs: 5_000, stopGraceMs: 300 } }).camera;
  const logger = memoryLogger();
  const units: AccessUnit[] = [];
  const jpegs: Buffer[] = [];
  const parser = new AnnexBParser({ maxAccessUnitBytes: 1 << 20 });
  let asked = 0;
  const s = new CameraSupervisor(config, {
    spawn,
    now: () => performance.now(),
    timers: { setTimeout, clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
    logger: logger.child('camera'),
    findExecutable: (c) => findExecutable(c, process.env.PATH, process.cwd()),
    deathSignalPrefix: [],
    h264Parser: parser,
    h264Encoder: { hardware: true, note: '' },
    // The Annex-B parser keeps references to its chunks: never a reused read buffer.
    stdoutSockets: { take: () => void asked++ },
  });
  running.push(s);
  s.on('unit', (au: AccessUnit) => units.push(au));
  s.on('frame', (jpeg: Buffer) => jpegs.push(jpeg));
  s.start();
  await waitFor('two groups of pictures', () => units.filter((u) => u.keyframe).length >= 2, 15_000);
  assert.equal(s.state, 'streaming');
  assert.equal(jpegs.length, 0, 'no JPEG events in H.264 mode');
  assert.ok(units[0]!.keyframe && units[0]!.sps && units[0]!.pps, 'the first unit is a keyframe with its parameter sets');
  const argv = await waitFor('argv', () => logger.lines.find((l) => l.startsWith('info camera: argv=')));
  assert.ok(argv.includes('"--codec","h264","--inline","--flush","-o","-"'), argv);
  assert.ok(!argv.includes('"-q"'), 'no JPEG quality in H.264 mode');
  assert.deepEqual(s.status().h264Drops, parser.drops);
  assert.equal(asked, 0, 'no stdout socket asked for');
});

/** StdoutSockets that records what it hands out: each pair, and whether it was closed. */
async function recordedSockets(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'picamd-supervisor-sockets-'));
  // Read into the shared scanner's read area, as the appliance does: the parser scans the reads in place.
  const sockets = new StdoutSockets({ logger: memoryLogger(), dir, buffer: sharedEntropyScanner()!.readArea(2 * DEFAULT_READ_BYTES) });
  t.after(() => {
    sockets.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await sockets.prepare();
  const taken: Array<{ pair: StdoutSocket; closed: boolean }> = [];
  let asked = 0;
  return {
    sockets,
    taken,
    asked: () => asked,
    source: {
      take(): StdoutSocket | undefined {
        asked++;
        const pair = sockets.take();
        if (!pair) return undefined;
        const record = { pair, closed: false };
        taken.push(record);
        return { ...pair, close: () => ((record.closed = true), pair.close()) };
      },
    },
  };
}

const fixture = readFileSync(new URL('../../fixtures/jpeg/baseline-jpegjs.jpg', import.meta.url));

test('MJPEG into a FramePool: the camera writes to a socket of picamd\'s own, a new one each run, closed when the run ends', async (t) => {
  const sockets = await recordedSockets(t);
  const pool = new FramePool({ headroom: 128, tailroom: 16, maxFrameBytes: 1 << 20 });
  const { s, frames } = supervisor('crash:6', {}, undefined, { jpegFrames: pool, stdoutSockets: sockets.source });
  const copies: Buffer[] = [];
  s.on('frame', (f: Buffer) => copies.push(Buffer.from(f)));
  s.start();
  const pid = await waitFor('a camera process', () => s.status().pid);
  assert.match(readlinkSync(`/proc/${pid}/fd/1`), /^socket:\[\d+\]$/);
  await waitFor('a second run', () => s.status().restarts >= 1 && frames.length >= 8, 15_000);
  assert.ok(sockets.taken.length >= 2, `${sockets.taken.length} pairs taken`);
  assert.ok(sockets.taken[0]!.closed, "the first run's pair was closed when it ended");
  assert.ok(sockets.taken[0]!.pair.childEnd.destroyed, "picamd's copy of the camera's end was closed once the camera had it");
  // Every frame whole and intact, although every read went into the same buffer.
  assert.ok(copies.length >= 8);
  for (const [i, copy] of copies.entries()) assert.ok(copy.equals(fixture), `frame ${i} differs from what the camera wrote`);
  assert.equal(s.status().drops.garbage, 0);
});

test('while nobody watches, frames are views of the reads, never overwritten while the newest; a viewer gets copies again', async (t) => {
  const sockets = await recordedSockets(t);
  const pool = new FramePool({ headroom: PART_HEADROOM, tailroom: PART_TAILROOM, maxFrameBytes: 1 << 20 });
  const out = new Broadcaster(() => performance.now(), 10, pool);
  // As the appliance wires them.
  pool.holdersFrom((b) => out.holds(b));
  pool.lendViewsWhile(() => out.viewerCount === 0);
  sockets.sockets.keptBy((area) => out.keepsIn(area));
  const { s } = supervisor('numbered', {}, undefined, { jpegFrames: pool, stdoutSockets: sockets.source });
  let previous: { frame: Buffer; copy: Buffer } | undefined;
  const damaged: string[] = [];
  let views = 0;
  let copies = 0;
  s.on('frame', (frame: Buffer) => {
    // A read has come since the previous frame was published: it must not have landed on it.
    if (previous && !previous.frame.equals(previous.copy)) damaged.push(previous.copy.toString('latin1', 6, 14));
    if (pool.owns(frame)) copies++;
    else views++;
    out.publish(frame, true);
    previous = { frame, copy: Buffer.from(frame) };
  });
  s.start();
  await waitFor('40 frames nobody watches', () => views + copies >= 40, 15_000);
  assert.deepEqual(damaged, [], 'frames a later read overwrote');
  assert.ok(views >= 30, `${views} frames lent as views, ${copies} copied`);
  const snapshot = out.latestLive(60_000);
  assert.ok(snapshot?.jpeg.equals(previous!.copy), 'the snapshot is the newest frame, intact');
  const offered: Buffer[] = [];
  out.add({ id: 1, offer: (part) => offered.push(part.jpeg), holds: () => true }, 60_000);
  const before = copies;
  await waitFor('frames with a viewer', () => copies >= before + 5, 15_000);
  assert.ok(offered.slice(1).every((jpeg) => pool.owns(jpeg)), 'with a viewer every frame is copied into the pool');
  assert.deepEqual(damaged, []);
});

test('a parser that keeps its chunks (no FramePool, or H.264) reads a plain pipe: no pair is taken', async (t) => {
  const sockets = await recordedSockets(t);
  const { s, frames } = supervisor('stream', {}, undefined, { stdoutSockets: sockets.source });
  s.start();
  await waitFor('frames', () => frames.length >= 5);
  assert.equal(sockets.asked(), 0);
  assert.ok(frames.every((f) => f.equals(fixture)));
});

test('H.264 mode without a parser is refused with a reason, not started', async () => {
  const { s, states } = supervisor('stream', { codec: 'h264' });
  s.start();
  await waitFor('backoff', () => states.some((x) => x.includes('H.264 mode is not available')));
  assert.equal(s.status().pid, null);
});

test('the camera\'s argv and its stderr lines are logged escaped (the tuning file path is the page\'s text)', async () => {
  const { s, logger, frames } = supervisor('stream', { tuningFile: '/usr/share/libcamera/a\u2028warn camera: forged\u202e.json' });
  s.start();
  await waitFor('frames', () => frames.length >= 1);
  await waitFor('argv on stderr', () => logger.lines.find((l) => l.includes('standin stream')));
  const started = logger.lines.find((l) => l.includes('started '))!;
  assert.ok(started.includes('--tuning-file /usr/share/libcamera/a\\u{2028}warn camera: forged\\u{202e}.json'), started);
  assert.ok(!logger.lines.some((l) => /[\u2028\u2029\u202a-\u202e]/.test(l)), logger.lines.join('\n'));
});
