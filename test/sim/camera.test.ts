// The simulated camera as a real process. It is run from source through tsx (not dist/), so this
// file tests the current code even when run alone without a build.

import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, test } from 'node:test';
import jpeg from 'jpeg-js';
import { buildCameraArgv } from '../../src/device/camera/argv.js';
import { configSchema } from '../../src/device/settings/schema.js';
import { parseSimArgs } from '../../src/sim/options.js';
import { prerenderSimFrames } from '../../src/sim/frames.js';
import { readSimStamp } from '../../src/sim/stamp.js';
import { simSettingsSummary } from '../../src/sim/summary.js';
import { tempDir } from '../fakes/temp-dir.js';
import { processExists, waitFor } from '../fakes/wait.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const camera = fileURLToPath(new URL('../../src/sim/camera.ts', import.meta.url));

const argv = (width = 320, height = 240, fps = 20) => [
  '-t', '0', '-n', '--codec', 'mjpeg', '--flush', '-o', '-',
  '--width', String(width), '--height', String(height), '--framerate', String(fps), '-q', '80',
];

interface Sim {
  child: ChildProcessWithoutNullStreams;
  /** Everything read from stdout so far. */
  bytes(): Buffer;
  /** Arrival time (performance.now()) of every complete frame so far. */
  arrivals: number[];
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: Sim[] = [];
const extraPids: number[] = [];
afterEach(() => {
  for (const sim of started.splice(0)) if (sim.child.exitCode === null) sim.child.kill('SIGKILL');
  for (const pid of extraPids.splice(0)) if (processExists(pid)) process.kill(pid, 'SIGKILL');
});

function startSim(args: string[], env: Record<string, string> = {}): Sim {
  const child = spawn(process.execPath, ['--import', 'tsx', camera, ...args], {
    cwd: repo,
    env: { ...process.env, ...env },
  });
  const chunks: Buffer[] = [];
  const arrivals: number[] = [];
  let stderr = '';
  let tail = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    // Count EOIs as they arrive; a marker split across chunks is seen through the previous byte.
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] === 0xd9 && (i > 0 ? chunk[i - 1] : tail) === 0xff) arrivals.push(performance.now());
    }
    tail = chunk[chunk.length - 1]!;
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  const sim: Sim = { child, bytes: () => Buffer.concat(chunks), arrivals, stderr: () => stderr, exited };
  started.push(sim);
  return sim;
}

/** Alive and not a zombie: an orphan's exit is reaped by whoever adopted it, which may take a while. */
function runningProcess(pid: number): boolean {
  if (!processExists(pid)) return false;
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return false;
  }
}

interface Piece {
  frame: Buffer;
  complete: boolean;
  /** Bytes after the frame's EOI, before the next SOI. */
  trailing: number;
}

/**
 * Splits a stream at every SOI. The sim's frames hold FFD8/FFD9 only as their real SOI/EOI (entropy
 * data is byte-stuffed, the stamp is text, injected garbage avoids both), so a plain search works.
 */
function split(stream: Buffer): Piece[] {
  const soi = Buffer.from([0xff, 0xd8]);
  const starts: number[] = [];
  for (let at = stream.indexOf(soi); at >= 0; at = stream.indexOf(soi, at + 2)) starts.push(at);
  return starts.map((start, i) => {
    const piece = stream.subarray(start, starts[i + 1] ?? stream.length);
    const eoi = piece.indexOf(Buffer.from([0xff, 0xd9]));
    return eoi < 0
      ? { frame: piece, complete: false, trailing: 0 }
      : { frame: piece.subarray(0, eoi + 2), complete: true, trailing: piece.length - eoi - 2 };
  });
}

test('streams stamped JPEGs of the requested size at about the requested rate, and stops on SIGTERM', async () => {
  const sim = startSim(argv(320, 240, 20));
  await waitFor('the first frame', () => sim.arrivals.length > 0, 20_000);
  const first = sim.arrivals[0]!;
  await waitFor('a second of frames', () => performance.now() - first > 1_000);
  const inOneSecond = sim.arrivals.filter((t) => t - first < 1_000).length;
  // Not a performance check: only that pacing is roughly right (20 fps requested).
  assert.ok(inOneSecond >= 10 && inOneSecond <= 30, `${inOneSecond} frames in one second`);

  const stopAt = performance.now();
  sim.child.kill('SIGTERM');
  const { code } = await sim.exited;
  assert.equal(code, 0);
  assert.ok(performance.now() - stopAt < 5_000, 'slow to stop');

  const pieces = split(sim.bytes());
  assert.ok(pieces.length >= 10);
  assert.ok(pieces.slice(0, -1).every((p) => p.complete && p.trailing === 0));
  for (const piece of [pieces[0]!, pieces[pieces.length - 2]!]) {
    const decoded = jpeg.decode(piece.frame, { useTArray: true });
    assert.equal(decoded.width, 320);
    assert.equal(decoded.height, 240);
  }
  const stamps = pieces.filter((p) => p.complete).map((p) => readSimStamp(p.frame)!);
  for (let i = 1; i < stamps.length; i++) {
    assert.ok(stamps[i]!.seq > stamps[i - 1]!.seq, 'seq must increase');
    assert.ok(stamps[i]!.tUs > stamps[i - 1]!.tUs, 't must increase');
  }
  assert.ok(Math.abs(stamps[0]!.tUs / 1000 - Date.now()) < 60_000, 'stamp is not wall-clock time');
  assert.match(sim.stderr(), /Mode selection for 320:240/);
  assert.match(sim.stderr(), /stopping on SIGTERM/);
});

test('rejects an unknown flag and a codec it does not simulate like rpicam-vid: error line and exit status 255', async () => {
  const bogus = startSim([...argv(), '--bogus']);
  assert.equal((await bogus.exited).code, 255);
  assert.match(bogus.stderr(), /^ERROR: \*\*\* unrecognised option '--bogus' \*\*\*$/m);
  assert.equal(bogus.bytes().length, 0);

  // H.264 is simulated (test/sim/h264.test.ts); rpicam-vid's raw YUV output is not.
  const yuv = startSim(['-t', '0', '--codec', 'yuv420', '-o', '-']);
  assert.equal((await yuv.exited).code, 255);
  assert.match(yuv.stderr(), /^ERROR: \*\*\* codec 'yuv420' is not supported by the simulated camera \(only mjpeg and h264\) \*\*\*$/m);
});

test('a bad setting value ends it at once with rpicam-vid\'s message', async () => {
  const sim = startSim([...argv(), '--autofocus-mode', 'fixed']);
  assert.equal((await sim.exited).code, 255);
  assert.match(sim.stderr(), /^ERROR: \*\*\* Invalid AfMode:fixed \*\*\*$/m);
  assert.equal(sim.bytes().length, 0);
});

test('picamd\'s command line with every setting streams, and the settings show in the picture', async (t) => {
  const dir = await tempDir(t, 'sim');
  const tuningFile = join(dir, 'tuning.json');
  writeFileSync(tuningFile, JSON.stringify({ version: 2.0, target: 'bcm2835', algorithms: [] }));
  const camera = configSchema.parse({
    camera: {
      command: ['sim'], width: 320, height: 240, framerate: 20, quality: 80, rotation: 180, tuningFile,
      brightness: 0.2, contrast: 1.2, saturation: 0.5, sharpness: 2, denoise: 'cdn_off', hdr: 'auto', awbMode: 'daylight',
      awbRedGain: 1.5, awbBlueGain: 1.2, autofocusMode: 'manual', autofocusRange: 'macro', autofocusSpeed: 'fast',
      lensPosition: 2, exposureMode: 'sport', ev: -1, shutterUs: 10000, analogueGain: 2, meteringMode: 'spot', flicker: '50hz',
    },
  }).camera;
  const args = buildCameraArgv(camera).slice(1);
  const sim = startSim(args);
  await waitFor('two frames', () => sim.arrivals.length >= 2, 20_000);
  sim.child.kill('SIGTERM');
  assert.equal((await sim.exited).code, 0);

  const settings = simSettingsSummary(parseSimArgs(args));
  assert.ok(sim.stderr().includes(`picamd-sim: settings ${settings.join(' ')}`), sim.stderr());
  for (const word of ['rot=180', 'af=manual', 'lens=2', 'ev=-1', 'shutter=10000us', 'gain=2', 'awb=daylight', 'awbgains=1.5,1.2', 'flicker=10000us', 'tuning=tuning.json']) {
    assert.ok(settings.includes(word), word);
  }
  // The frames are exactly the pictures for these settings: upside down, adjusted, captioned.
  const reference = prerenderSimFrames({
    width: 320, height: 240, quality: 80, framerate: 20, hflip: true, vflip: true,
    brightness: 0.2, contrast: 1.2, saturation: 0.5, caption: settings,
  });
  const plain = prerenderSimFrames({ width: 320, height: 240, quality: 80, framerate: 20, hflip: false, vflip: false });
  const frame = split(sim.bytes())[0]!.frame;
  const stamp = readSimStamp(frame)!;
  assert.ok(frame.equals(reference.frame(stamp.seq, stamp.tUs)));
  assert.ok(!frame.equals(plain.frame(stamp.seq, stamp.tUs)));
});

test('a tuning file libcamera could not load ends it as rpicam-vid ends: no camera', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'picamd-sim-'));
  const broken = join(dir, 'broken.json');
  writeFileSync(broken, '{"version": 2.0, ');
  const noAlgorithms = join(dir, 'v2.json');
  writeFileSync(noAlgorithms, '{"version": 2.0}');
  try {
    for (const [path, line] of [
      [join(dir, 'missing.json'), /Failed to open tuning file/],
      [broken, /YamlParser/],
      [noAlgorithms, /does not have an "algorithms" list/],
    ] as const) {
      const sim = startSim([...argv(), '--tuning-file', path]);
      assert.equal((await sim.exited).code, 255, path);
      assert.match(sim.stderr(), line);
      assert.match(sim.stderr(), /^ERROR: \*\*\* no cameras available \*\*\*$/m);
      assert.equal(sim.bytes().length, 0);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('PICAMD_SIM_SENSOR: a mode the sensor cannot do ends it at once with an error line', async () => {
  const env = { PICAMD_SIM_SENSOR: 'imx708' };
  const tooLarge = startSim(argv(4608, 3456, 5), env);
  assert.equal((await tooLarge.exited).code, 255);
  assert.match(tooLarge.stderr(), /^ERROR: \*\*\* 4608x3456 is larger than any mode of the simulated imx708 \(largest 4608x2592\) \*\*\*$/m);
  assert.equal(tooLarge.bytes().length, 0);

  const tooFast = startSim(argv(1920, 1080, 60), env);
  assert.equal((await tooFast.exited).code, 255);
  assert.match(tooFast.stderr(), /ERROR: \*\*\* 60 fps is more than the simulated imx708 can do at 1920x1080/);

  const hdr = startSim([...argv(2560, 1440, 20), '--hdr=sensor'], env);
  assert.equal((await hdr.exited).code, 255);
  assert.match(hdr.stderr(), /in sensor HDR \(largest 2304x1296\)/);

  // What the sensor can do streams as before.
  const fine = startSim(argv(320, 240, 30), env);
  await waitFor('a frame', () => fine.arrivals.length > 0, 20_000);
  assert.match(fine.stderr(), /SIMULATED_imx708,1536x864\/120.13/);
  fine.child.kill('SIGTERM');
  assert.equal((await fine.exited).code, 0);

  const badSpec = startSim(argv(), { PICAMD_SIM_SENSOR: 'imx999' });
  assert.equal((await badSpec.exited).code, 255);
  assert.match(badSpec.stderr(), /PICAMD_SIM_SENSOR: 'imx999'/);
});

test('crash-after=N exits with code 1 after N frames', async () => {
  const sim = startSim(argv(160, 96, 30), { PICAMD_SIM_FAULT: 'crash-after=5' });
  const { code } = await sim.exited;
  assert.equal(code, 1);
  const pieces = split(sim.bytes());
  assert.equal(pieces.length, 5);
  assert.ok(pieces.every((p) => p.complete));
  assert.match(sim.stderr(), /simulated crash after 5 frames/);
});

test('stall-after=N stops writing but stays alive', async () => {
  const sim = startSim(argv(160, 96, 30), { PICAMD_SIM_FAULT: 'stall-after=3' });
  await waitFor('the stall', () => sim.stderr().includes('simulated stall'), 20_000);
  const length = sim.bytes().length;
  await sleep(500);
  assert.equal(sim.child.exitCode, null, 'it should still be running');
  assert.equal(sim.bytes().length, length);
  assert.equal(split(sim.bytes()).length, 3);
  sim.child.kill('SIGTERM');
  assert.equal((await sim.exited).code, 0);
});

test('garbage-every and truncate-every damage the stream as asked', async () => {
  const sim = startSim(argv(160, 96, 30), { PICAMD_SIM_FAULT: 'garbage-every=2,truncate-every=3,crash-after=12' });
  assert.equal((await sim.exited).code, 1);
  const pieces = split(sim.bytes());
  assert.equal(pieces.length, 12);
  pieces.forEach((piece, i) => {
    const n = i + 1;
    assert.equal(piece.complete, n % 3 !== 0, `frame ${n} truncated?`);
    // Garbage follows the frame's end; after a truncated frame it is part of the unfinished piece.
    if (piece.complete) assert.equal(piece.trailing > 0, n % 2 === 0, `garbage after frame ${n}?`);
    if (piece.complete) assert.equal(jpeg.decode(piece.frame).width, 160);
  });
});

test('a reader that stops reading makes it drop frames, not queue them', async () => {
  const sim = startSim(argv(320, 240, 30));
  await waitFor('the first frame', () => sim.arrivals.length > 0, 20_000);
  sim.child.stdout.pause();
  await sleep(2_000); // ~60 frames come due while nothing is read
  sim.child.stdout.resume();
  await waitFor('frames after the pause', () => {
    const stamps = split(sim.bytes()).filter((p) => p.complete).map((p) => readSimStamp(p.frame)!.seq);
    return stamps.some((seq, i) => i > 0 && seq - stamps[i - 1]! > 10);
  });
  sim.child.kill('SIGTERM');
  await sim.exited;
  const dropped = /(\d+) dropped while stdout was busy/.exec(sim.stderr());
  assert.ok(dropped && Number(dropped[1]) > 10, sim.stderr());
});

test('exits when its stdout is closed', async () => {
  const sim = startSim(argv(160, 96, 30));
  await waitFor('the first frame', () => sim.arrivals.length > 0, 20_000);
  sim.child.stdout.destroy();
  const { code } = await sim.exited;
  assert.equal(code, 0);
  assert.match(sim.stderr(), /stdout closed/);
});

test('exits when its stdin (a pipe from the parent) is closed', async () => {
  const sim = startSim(argv(160, 96, 30));
  await waitFor('the first frame', () => sim.arrivals.length > 0, 20_000);
  sim.child.stdin.end();
  assert.equal((await sim.exited).code, 0);
  assert.match(sim.stderr(), /stdin closed/);
});

test('exits when its parent dies without stopping it', async () => {
  // A shell parent with stdin and stdout of the sim on /dev/null, so only the ppid check can notice.
  const script = `"$0" --import tsx "$1" ${argv(160, 96, 10).join(' ')} </dev/null >/dev/null & echo $!; wait`;
  const shell = spawn('sh', ['-c', script, process.execPath, camera], { cwd: repo });
  let out = '';
  let err = '';
  shell.stdout.on('data', (c: Buffer) => (out += c.toString()));
  shell.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const pid = Number(await waitFor('the pid', () => out.trim()));
  extraPids.push(pid, shell.pid!);
  await waitFor('the sim to start', () => err.includes('configuring streams'), 20_000);
  shell.kill('SIGKILL');
  await waitFor('the orphaned sim to exit', () => !runningProcess(pid), 10_000);
});
