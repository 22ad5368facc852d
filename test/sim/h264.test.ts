// The simulated camera's H.264 mode: ffmpeg's command line and the stamping (pure), then the real
// process: `node dist/sim/camera.js ... --codec h264` writing Annex-B that picamd's parser cuts into
// stamped access units and ffprobe decodes. Needs Debian's ffmpeg (libx264); without it the process
// tests are skipped with a message, except under CI=true, where that is a failure. Run `npm run build`
// first: the process tests start dist/.

import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, test } from 'node:test';
import { NalType, type AccessUnit } from '../../src/formats/h264/access-unit.js';
import { AnnexBParser } from '../../src/formats/h264/annexb.js';
import { buildStampSei } from '../../src/formats/h264/sei.js';
import { simFfmpegArgs, simGopFrames, stampedAnnexB, type SimH264Settings } from '../../src/sim/h264.js';
import { tempDir } from '../fakes/temp-dir.js';
import { processExists, waitFor } from '../fakes/wait.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const camera = join(repo, 'dist/sim/camera.js');
const ffmpegMissing = spawnSync('ffmpeg', ['-version']).status !== 0 || spawnSync('ffprobe', ['-version']).status !== 0;
const skip = ffmpegMissing && process.env.CI !== 'true' ? 'no ffmpeg/ffprobe on the PATH (apt-get install ffmpeg); with CI=true this is a failure' : false;

// --- ffmpeg's command line -----------------------------------------------------------------------

const settings = (over: Partial<SimH264Settings> = {}): SimH264Settings => ({
  width: 640, height: 360, framerate: 30, intra: 30, profile: 'high', level: '4.1', bitrateBps: 500_000, ...over,
});
const after = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

test('ffmpeg: JPEGs in, raw H.264 out, packet by packet, with the camera\'s keyframe period, profile, level and rate', () => {
  const args = simFfmpegArgs(settings());
  assert.deepEqual(args.slice(args.indexOf('-f'), args.indexOf('-i') + 2), ['-f', 'mjpeg', '-framerate', '30', '-i', 'pipe:0']);
  assert.deepEqual(args.slice(-3), ['-f', 'h264', 'pipe:1']);
  assert.equal(after(args, '-c:v'), 'libx264');
  assert.equal(after(args, '-preset'), 'ultrafast');
  assert.equal(after(args, '-tune'), 'zerolatency');
  assert.equal(after(args, '-fps_mode'), 'passthrough');
  assert.equal(after(args, '-flush_packets'), '1');
  assert.deepEqual([after(args, '-g'), after(args, '-keyint_min'), after(args, '-sc_threshold')], ['30', '30', '0']);
  assert.deepEqual([after(args, '-profile:v'), after(args, '-level:v')], ['high', '4.1']);
  assert.deepEqual([after(args, '-b:v'), after(args, '-maxrate'), after(args, '-bufsize')], ['500000', '500000', '500000']);
  assert.equal(after(args, '-x264-params'), 'repeat-headers=1:cabac=1:8x8dct=1');
  assert.ok(!args.includes('-crf'));
});

test('ffmpeg: baseline without CABAC, main without 8x8; no rate means CRF; no --intra means a second', () => {
  assert.equal(after(simFfmpegArgs(settings({ profile: 'baseline' })), '-x264-params'), 'repeat-headers=1');
  assert.equal(after(simFfmpegArgs(settings({ profile: 'main' })), '-x264-params'), 'repeat-headers=1:cabac=1');
  const defaults = simFfmpegArgs(settings({ intra: 0, framerate: 12.5, profile: null, level: null, bitrateBps: 0 }));
  assert.equal(after(defaults, '-crf'), '23');
  assert.equal(after(defaults, '-g'), '13');
  assert.ok(!defaults.includes('-profile:v') && !defaults.includes('-level:v') && !defaults.includes('-b:v'));
  assert.equal(simGopFrames({ intra: 0, framerate: 0.2 }), 1);
});

// --- stamping ------------------------------------------------------------------------------------

const nal = (type: number, ...rest: number[]) => Buffer.from([type | 0x60, ...rest]);
const unit = (nals: Buffer[]): AccessUnit => ({
  nals, keyframe: nals.some((n) => (n[0]! & 0x1f) === NalType.idr), bytes: nals.reduce((sum, n) => sum + n.length, 0),
});
const START = [0, 0, 0, 1];

test('the stamp SEI goes right before the first slice; parameter sets stay only with --inline', () => {
  const sps = nal(NalType.sps, 0x64, 0x00, 0x1f);
  const pps = nal(NalType.pps, 0xee);
  const x264Sei = Buffer.from([0x06, 0x05, 0x01, 0xaa, 0x80]);
  const slices = [nal(NalType.idr, 0x88, 0x84), nal(NalType.idr, 0x9a, 0x21)];
  const au = unit([sps, pps, x264Sei, ...slices]);
  const sei = buildStampSei(42, 1_700_000_000_000_000);
  assert.deepEqual(
    stampedAnnexB(au, { seq: 42, tUs: 1_700_000_000_000_000 }, true),
    Buffer.from([...START, ...sps, ...START, ...pps, ...START, ...x264Sei, ...START, ...sei, ...START, ...slices[0]!, ...START, ...slices[1]!]),
  );
  assert.deepEqual(
    stampedAnnexB(au, { seq: 42, tUs: 1_700_000_000_000_000 }, false),
    Buffer.from([...START, ...x264Sei, ...START, ...sei, ...START, ...slices[0]!, ...START, ...slices[1]!]),
  );
  const p = unit([nal(NalType.slice, 0x9a)]);
  assert.deepEqual(stampedAnnexB(p, { seq: 43, tUs: 5 }, true), Buffer.from([...START, ...buildStampSei(43, 5), ...START, ...p.nals[0]!]));
  // And what the parser reads back from it.
  const [read] = new AnnexBParser({ maxAccessUnitBytes: 1 << 20 }).push(
    Buffer.concat([stampedAnnexB(au, { seq: 7, tUs: 123_456 }, true), stampedAnnexB(p, { seq: 8, tUs: 123_999 }, true)]),
  );
  assert.deepEqual({ seq: read?.stampSeq, us: read?.stampUs, key: read?.keyframe }, { seq: 7, us: 123_456, key: true });
});

// --- the process ---------------------------------------------------------------------------------

interface Run {
  child: ChildProcessWithoutNullStreams;
  units: AccessUnit[];
  /** Every byte of stdout, for ffprobe. */
  bytes(): Buffer;
  stderr(): string;
  parser: AnnexBParser;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: ChildProcessWithoutNullStreams[] = [];
const pids: number[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const pid of pids.splice(0)) if (processExists(pid)) process.kill(pid, 'SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const ARGV = ['-t', '0', '-n', '--codec', 'h264', '--inline', '--flush', '-o', '-', '--width', '640', '--height', '360', '--framerate', '30', '--intra', '30'];

function run(args: string[], env: Record<string, string> = {}): Run {
  assert.ok(existsSync(camera), `${camera} is missing: run npm run build first`);
  const child = spawn(process.execPath, [camera, ...args], { env: { ...process.env, ...env } });
  started.push(child);
  const parser = new AnnexBParser({ maxAccessUnitBytes: 8 << 20 });
  const units: AccessUnit[] = [];
  const chunks: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    units.push(...parser.push(chunk));
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, units, bytes: () => Buffer.concat(chunks), stderr: () => stderr, parser, exited };
}

const ffmpegPid = (r: Run) => waitFor('ffmpeg\'s pid in the log', () => Number(/encoding with ffmpeg .* \(pid (\d+)\)/.exec(r.stderr())?.[1]));

/** ffprobe's frame count and complaints for a stream. */
function probe(bytes: Buffer): { frames: number; errors: string } {
  const dir = mkdtempSync(join(tmpdir(), 'picamd-sim-h264-'));
  dirs.push(dir);
  const file = join(dir, 'stream.h264');
  writeFileSync(file, bytes);
  const out = spawnSync('ffprobe', ['-v', 'error', '-f', 'h264', '-count_frames', '-select_streams', 'v:0',
    '-show_entries', 'stream=codec_name,profile,width,height,nb_read_frames', '-of', 'json', file], { encoding: 'utf8' });
  const stream = (JSON.parse(out.stdout) as { streams: Record<string, unknown>[] }).streams[0]!;
  assert.deepEqual({ codec: stream.codec_name, profile: stream.profile, width: stream.width, height: stream.height },
    { codec: 'h264', profile: 'High', width: 640, height: 360 });
  return { frames: Number(stream.nb_read_frames), errors: out.stderr };
}

/** The checks every H.264 stream from the sim must pass: keyframes with SPS/PPS every `gop` units, all stamped, in order. */
function checkUnits(units: AccessUnit[], gop: number): void {
  assert.ok(units.length > gop, `${units.length} access units`);
  units.forEach((u, i) => {
    assert.equal(u.keyframe, i % gop === 0, `unit ${i} keyframe`);
    assert.equal(u.sps !== undefined && u.pps !== undefined, i % gop === 0, `unit ${i} SPS/PPS`);
    assert.ok(u.stampSeq !== undefined && u.stampUs !== undefined, `unit ${i} is stamped`);
    if (i > 0) {
      assert.ok(u.stampSeq! > units[i - 1]!.stampSeq!, `unit ${i}: seq ${u.stampSeq} after ${units[i - 1]!.stampSeq}`);
      assert.ok(u.stampUs! > units[i - 1]!.stampUs!, `unit ${i}: capture time goes forward`);
    }
  });
}

test('streams H.264 Annex-B: keyframes every --intra units with SPS/PPS, every unit stamped in order; ffprobe decodes it', { skip }, async () => {
  const r = run(ARGV);
  await waitFor('the first access unit', () => r.units.length > 0, 30_000);
  await sleep(2_000);
  // Pacing, not performance: never faster than the 30 fps asked (plus the first few in the pipeline);
  // a loaded machine gives fewer, as a camera drops frames rather than queueing them.
  const arrivedIn2s = r.units.length;
  assert.ok(arrivedIn2s <= 75, `${arrivedIn2s} units in 2 s at 30 fps`);
  await waitFor('two keyframe periods', () => r.units.length > 61, 60_000);
  r.child.kill('SIGTERM');
  assert.deepEqual(await r.exited, { code: 0, signal: null });
  const units = [...r.units];
  checkUnits(units, 30);
  const nowUs = Date.now() * 1000;
  assert.ok(units.every((u) => u.stampUs! > nowUs - 120e6 && u.stampUs! <= nowUs), 'stamps are wall-clock capture times');
  assert.deepEqual(r.parser.drops, { ...r.parser.drops, garbage: 0, truncated: 0, oversize: 0 });
  const { frames, errors } = probe(r.bytes());
  assert.equal(errors, '');
  assert.ok(frames >= units.length, `ffprobe decoded ${frames} frames of ${units.length} units`);
  assert.match(r.stderr(), /configuring streams: \(0\) 640x360-YUV420 h264 high level auto intra 30 crf 23 inline 30 fps/);
});

test('without --inline only the first unit carries SPS/PPS, as from rpicam-vid', { skip }, async () => {
  const r = run(ARGV.filter((a) => a !== '--inline').concat(['--intra', '10', '--profile', 'high', '--level', '4.1', '--bitrate', '1mbps']));
  await waitFor('three keyframes', () => r.units.filter((u) => u.keyframe).length >= 3, 30_000);
  r.child.kill('SIGTERM');
  await r.exited;
  const keyframes = r.units.filter((u) => u.keyframe);
  assert.ok(keyframes[0]!.sps && keyframes[0]!.pps && r.units[0] === keyframes[0]);
  assert.ok(keyframes.slice(1).every((u) => !u.sps && !u.pps));
  assert.ok(r.units.every((u) => u.stampSeq !== undefined));
  assert.equal(probe(r.bytes()).errors, '');
});

test('a busy reader makes the camera drop frames, never queue them: the stream stays whole', { skip }, async () => {
  // 4 Mbit/s: two seconds are far more than the pipe holds.
  const r = run([...ARGV, '--bitrate', '4mbps']);
  await waitFor('the first access unit', () => r.units.length > 0, 30_000);
  // Stop reading: stdout's pipe fills, and the sim skips frames (Node writes to a pipe synchronously
  // on Linux, so the sim waits in write() and then finds those frames late) before they reach the
  // encoder; what was already in the encoder is at most a few frames.
  r.child.stdout.pause();
  await sleep(2_000);
  r.child.stdout.resume();
  await waitFor('units after the pause', () => r.units.length > 90, 30_000);
  r.child.kill('SIGTERM');
  await r.exited;
  checkUnits(r.units, 30);
  const gaps = r.units.slice(1).map((u, i) => u.stampSeq! - r.units[i]!.stampSeq!);
  assert.ok(Math.max(...gaps) >= 15, `frames were dropped while stdout was full (largest seq gap ${Math.max(...gaps)})`);
  await r.exited;
  const [, dropped, late] = /(\d+) dropped while stdout or the encoder was busy, (\d+) skipped late/.exec(r.stderr()) ?? [];
  assert.ok(Number(dropped) + Number(late) >= 15, r.stderr());
  assert.equal(probe(r.bytes()).errors, '', 'dropped before encoding, so every unit decodes');
});

test('ffmpeg ends with the sim: on SIGTERM, and when the sim is killed outright', { skip }, async () => {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    const r = run(ARGV);
    const pid = await ffmpegPid(r);
    pids.push(pid);
    await waitFor('the first access unit', () => r.units.length > 0, 30_000);
    r.child.kill(signal);
    await r.exited;
    await waitFor(`ffmpeg ${pid} gone after ${signal} to the sim`, () => !running(pid), 20_000);
  }
});

test('PICAMD_SIM_FAULT in H.264 mode: garbage NAL units are skipped and counted, crash after N units', { skip }, async () => {
  const garbage = run(ARGV, { PICAMD_SIM_FAULT: 'garbage-every=5' });
  await waitFor('40 units', () => garbage.units.length >= 40, 30_000);
  garbage.child.kill('SIGTERM');
  await garbage.exited;
  checkUnits(garbage.units, 30);
  assert.ok(garbage.parser.drops.garbage >= 7, `garbage counted: ${JSON.stringify(garbage.parser.drops)}`);

  const crash = run(ARGV, { PICAMD_SIM_FAULT: 'crash-after=12' });
  assert.deepEqual(await crash.exited, { code: 1, signal: null });
  // The 12th unit is complete only at the end of the stream, which the parser cannot know.
  assert.equal(crash.units.length, 11);
  assert.match(crash.stderr(), /simulated crash after 12 frames/);

  const truncate = run(ARGV, { PICAMD_SIM_FAULT: 'truncate-every=3' });
  assert.equal((await truncate.exited).code, 255);
  assert.match(truncate.stderr(), /ERROR: \*\*\* PICAMD_SIM_FAULT: 'truncate-every' is for mjpeg only \*\*\*/);
});

test('without ffmpeg it fails as rpicam-vid fails: one ERROR line, exit status 255', async () => {
  const r = run(ARGV, { PATH: '/nonexistent' });
  assert.deepEqual(await r.exited, { code: 255, signal: null });
  assert.match(r.stderr(), /^ERROR: \*\*\* ffmpeg not found on the PATH: --codec h264 needs ffmpeg with libx264 \(apt-get install ffmpeg\) \*\*\*$/m);
  assert.equal(r.bytes().length, 0);
});

test('an ffmpeg that fails (no libx264) ends the sim with its words and rpicam-vid\'s exit status', async (t) => {
  const dir = await tempDir(t, 'sim-ffmpeg');
  writeFileSync(join(dir, 'ffmpeg'), "#!/bin/sh\necho \"Unknown encoder 'libx264'\" >&2\nexit 8\n", { mode: 0o755 });
  const r = run(ARGV, { PATH: dir });
  assert.deepEqual(await r.exited, { code: 255, signal: null });
  assert.match(r.stderr(), /^Unknown encoder 'libx264'\nERROR: \*\*\* ffmpeg exited with code 8 \*\*\*$/m);
});

test('MJPEG needs no ffmpeg', async () => {
  const r = run(['-t', '0', '-n', '--codec', 'mjpeg', '--flush', '-o', '-', '--width', '320', '--height', '240'], { PATH: '/nonexistent' });
  await waitFor('a JPEG', () => r.bytes().includes(Buffer.from([0xff, 0xd9])), 30_000);
  r.child.kill('SIGTERM');
  assert.equal((await r.exited).code, 0);
});

/** Alive and not a zombie. */
function running(pid: number): boolean {
  if (!processExists(pid)) return false;
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return false;
  }
}

