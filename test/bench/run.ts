// `npm run bench`: picamd against a node:http baseline on the same simulated camera and the same
// load, one server at a time, plus the frame parser's throughput; then picamd in H.264 mode
// (/stream.mp4, the simulated camera encoding with ffmpeg's libx264) on the same scene, compared with
// MJPEG. Prints tables and writes bench-results/bench-<date>.json. Runs for a few minutes; not part
// of `npm test`.
//
//   node --import tsx test/bench/run.ts [--only <scenario,...>] [--server picamd|baseline]
//       [--measure-ms N] [--slow-measure-ms N] [--no-parser] [--cpu-prof (to bench-results/profiles/)]
//       [--picamd-main <another build's main.js>] [--picamd-node-flags "<node flags for picamd>"]
//
// Each run starts a fresh server (picamd: dist/main.js with a temporary config; baseline:
// test/bench/baseline-server.ts), waits for the camera to stream, opens the viewers in a separate
// load process (test/bench/load.ts), warms up, then measures: the viewers count frames and
// latencies; this process samples the server's and the camera's CPU time (/proc/<pid>/stat) and the
// server's RSS (/proc/<pid>/status, every 100 ms); the camera's CPU is its whole process tree (in
// H.264 mode the simulated camera's ffmpeg is its child). The load process and the baseline run as plain
// JavaScript compiled for the run, so no TypeScript loader runs inside the measured processes.

import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import ts from 'typescript';
import { buildCameraArgv } from '../../src/device/camera/argv.js';
import { configSchema } from '../../src/device/settings/schema.js';
import { readStampSei } from '../../src/formats/h264/sei.js';
import { nowUs } from '../../src/sim/stamp.js';
import { freePort } from '../fakes/app.js';
import type { GroupResult, LoadPlan, LoadResult } from './load.js';
import { runParserBench, type ParserBenchResult } from './parser-bench.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

type Codec = 'mjpeg' | 'h264';

interface Scenario {
  name: string;
  /** H.264: camera.codec "h264", bit rate automatic, viewers on /stream.mp4; picamd only (the baseline serves MJPEG). */
  codec: Codec;
  width: number;
  height: number;
  framerate: number;
  fast: number;
  slow: number;
  /** Each slow viewer's read rate; SLOW_BYTES_PER_SECOND when absent. */
  slowRate?: number;
}

/**
 * H.264 slow viewers: at most this long after the warm-up, wait until picamd reports skipped pictures
 * for as many viewers as are slow. On loopback the kernel lets a socket's send buffer grow to
 * tcp_wmem's maximum (4 MB here): at H.264's 250 KB/s a 20 KB/s viewer takes about 18 s to fill it,
 * and only then does picamd see the viewer fall behind.
 */
const SLOW_SETTLE_MAX_MS = 60_000;

const SCENARIOS: Scenario[] = [
  { name: '720p-1', codec: 'mjpeg', width: 1280, height: 720, framerate: 30, fast: 1, slow: 0 },
  { name: '720p-10', codec: 'mjpeg', width: 1280, height: 720, framerate: 30, fast: 10, slow: 0 },
  { name: '720p-100', codec: 'mjpeg', width: 1280, height: 720, framerate: 30, fast: 100, slow: 0 },
  { name: '720p-300', codec: 'mjpeg', width: 1280, height: 720, framerate: 30, fast: 300, slow: 0 },
  { name: '1080p-100', codec: 'mjpeg', width: 1920, height: 1080, framerate: 30, fast: 100, slow: 0 },
  { name: '720p-slow', codec: 'mjpeg', width: 1280, height: 720, framerate: 30, fast: 20, slow: 20 },
  { name: 'h264-720p-1', codec: 'h264', width: 1280, height: 720, framerate: 30, fast: 1, slow: 0 },
  { name: 'h264-720p-10', codec: 'h264', width: 1280, height: 720, framerate: 30, fast: 10, slow: 0 },
  { name: 'h264-720p-100', codec: 'h264', width: 1280, height: 720, framerate: 30, fast: 100, slow: 0 },
  // 100 KB/s: under half of the stream's 250 KB/s, but enough for its keyframes, so a slow viewer
  // has pictures to show and must skip to keyframes to keep up (20 KB/s is less than the keyframes alone).
  { name: 'h264-720p-slow', codec: 'h264', width: 1280, height: 720, framerate: 30, fast: 20, slow: 20, slowRate: 100_000 },
];

/** The codec comparison: MJPEG scenario, H.264 scenario, viewers. */
const CODEC_PAIRS: Array<[string, string, number]> = [
  ['720p-1', 'h264-720p-1', 1],
  ['720p-10', 'h264-720p-10', 10],
  ['720p-100', 'h264-720p-100', 100],
];
/** The issue's target: H.264 at least this many times smaller than MJPEG at quality 80, 720p30. */
const H264_BYTES_TARGET = 8;

type ServerKind = 'picamd' | 'baseline';

const SLOW_BYTES_PER_SECOND = 20_000;
const WARMUP_MS = 2_000;
/** Frames captured up to this long before the window ends may still arrive and count. */
const GRACE_MS = 1_000;
const JPEG_QUALITY = 80;

const { values: cli } = parseArgs({
  options: {
    only: { type: 'string' },
    server: { type: 'string' },
    'measure-ms': { type: 'string', default: '9000' },
    'slow-measure-ms': { type: 'string', default: '13000' },
    'cpu-prof': { type: 'boolean', default: false },
    /** Another build of picamd to measure, e.g. to try a change against the same baseline. */
    'picamd-main': { type: 'string', default: join(repo, 'dist/main.js') },
    /** node flags for picamd only; the default is the systemd unit's (--expose-gc, for the frame reclaimer). */
    'picamd-node-flags': { type: 'string', default: '--expose-gc' },
    'no-parser': { type: 'boolean', default: false },
  },
});
const MEASURE_MS = Number(cli['measure-ms']);
const SLOW_MEASURE_MS = Number(cli['slow-measure-ms']);

// ---------------------------------------------------------------------------------------------
// /proc readers

/** utime and stime of a process (all its threads), in ms; NaN once it is gone. */
function cpuMs(pid: number): { user: number; sys: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Fields after the command name (which may contain spaces) start at field 3 (state).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: (Number(fields[11]) * 1000) / CLK_TCK, sys: (Number(fields[12]) * 1000) / CLK_TCK };
  } catch {
    return { user: NaN, sys: NaN };
  }
}

interface Memory {
  /** VmRSS, and its parts: anonymous memory (heap, buffers) and file pages (the node binary, libraries). */
  rss: number;
  anon: number;
  file: number;
  /** VmHWM: the kernel's own RSS peak over the process's life. */
  hwm: number;
}

/** From /proc/<pid>/status, in MB (10^6 bytes). */
function memory(pid: number): Memory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    const mb = (key: string) => (Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024) / 1e6;
    return { rss: mb('VmRSS'), anon: mb('RssAnon'), file: mb('RssFile'), hwm: mb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** Jiffies of the whole machine: busy (user, system, irq, softirq), steal, and all. */
function machineTicks(): { busy: number; softirq: number; steal: number; total: number } {
  const line = readFileSync('/proc/stat', 'latin1').split('\n')[0]!;
  // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest is inside user)
  const n = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = n.reduce((a, b) => a + b, 0);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = n;
  return { busy: user + nice + system + irq + softirq, softirq, steal, total };
}

/** Other programs may use at most this much CPU (% of one core) before a run starts. */
const QUIET_PERCENT = 25;
const QUIET_WAIT_MS = 10_000;

/**
 * Waits until the machine has been quiet for a second (others share it), at most QUIET_WAIT_MS;
 * returns the seconds waited. The noise that remains is reported with every run.
 */
async function waitForQuiet(): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < QUIET_WAIT_MS) {
    const a = machineTicks();
    await sleep(1000);
    const b = machineTicks();
    if (((b.busy - a.busy) / (b.total - a.total)) * 100 * cpus().length < QUIET_PERCENT) break;
  }
  return (performance.now() - start - 1000) / 1000;
}

/** A process's descendants (children, theirs, ...), from /proc/<pid>/task/<tid>/children. */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const visit = (p: number) => {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const tid of tasks) {
      let children = '';
      try {
        children = readFileSync(`/proc/${p}/task/${tid}/children`, 'latin1');
      } catch {
        continue;
      }
      for (const c of children.split(' ').filter(Boolean).map(Number)) {
        out.push(c);
        visit(c);
      }
    }
  };
  visit(pid);
  return out;
}

/** CPU time of a process and, apart, of its descendants at this moment (those gone since are not counted). */
function treeCpuMs(pid: number): { own: number; children: Map<number, number> } {
  const own = cpuMs(pid);
  const children = new Map<number, number>();
  for (const c of descendants(pid)) {
    const t = cpuMs(c);
    if (Number.isFinite(t.user)) children.set(c, t.user + t.sys);
  }
  return { own: own.user + own.sys, children };
}

/** CPU ms used between two tree readings: the process's own, and its descendants' (those alive at the end). */
function treeCpuDelta(a: ReturnType<typeof treeCpuMs>, b: ReturnType<typeof treeCpuMs>): { own: number; children: number } {
  let children = 0;
  for (const [pid, ms] of b.children) children += ms - (a.children.get(pid) ?? 0);
  return { own: b.own - a.own, children };
}

/** Samples a process's RSS every 100 ms. */
class RssSampler {
  readonly samples: Array<{ at: number } & Memory> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly pid: number) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), 100);
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  private sample(): void {
    const m = memory(this.pid);
    if (m) this.samples.push({ at: performance.now(), ...m });
  }

  peak(from = 0, to = Number.POSITIVE_INFINITY, key: 'rss' | 'anon' | 'file' = 'rss'): number {
    return Math.max(...this.samples.filter((s) => s.at >= from && s.at <= to).map((s) => s[key]));
  }
}

// ---------------------------------------------------------------------------------------------
// Processes

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Compiles the load process and the baseline (with what they import from src/) to plain JS. */
function compileBenchScripts(outDir: string): { load: string; baseline: string } {
  const roots = ['test/bench/load.ts', 'test/bench/baseline-server.ts'].map((f) => join(repo, f));
  const program = ts.createProgram(roots, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    rootDir: repo,
    outDir,
    types: ['node'],
    skipLibCheck: true,
    sourceMap: true,
  });
  const emitted = program.emit();
  if (emitted.emitSkipped) throw new Error('cannot compile the benchmark scripts');
  // Outside the repository, the emitted .js files need their own "type": "module".
  writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }\n');
  return { load: join(outDir, 'test/bench/load.js'), baseline: join(outDir, 'test/bench/baseline-server.js') };
}

interface RunningServer {
  pid: number;
  cameraPid: number;
  port: number;
  stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

async function getJson(port: number, path: string): Promise<any> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return res.json();
}

function cameraConfig(s: Scenario) {
  const size = { width: s.width, height: s.height, framerate: s.framerate };
  // H.264: the default keyframe interval (1 s), profile and level, and the automatic bit rate.
  return s.codec === 'h264' ? { ...size, codec: 'h264' as const } : { ...size, quality: JPEG_QUALITY };
}

/** Whether GET `path` answers 200 now (the body is not read). */
async function answers200(port: number, path: string): Promise<boolean> {
  const abort = new AbortController();
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: abort.signal });
    return res.status === 200;
  } catch {
    return false;
  } finally {
    abort.abort();
  }
}

async function startServer(kind: ServerKind, s: Scenario, work: string, scripts: { baseline: string }): Promise<RunningServer> {
  const port = await freePort();
  const cameraCommand = [process.execPath, join(repo, 'dist/sim/camera.js')];
  const log = openSync(join(work, `${kind}-${s.name}.log`), 'w');
  const nodeFlags = cli['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${join(repo, 'bench-results', 'profiles')}`, `--cpu-prof-name=${kind}-${s.name}.cpuprofile`] : [];
  let child: ChildProcess;
  if (kind === 'picamd') {
    const config = {
      // Open viewing: the bench measures streaming, not the first run or the login.
      server: { host: '127.0.0.1', port, maxViewers: 1000, deviceName: 'bench', openViewing: true },
      camera: { command: cameraCommand, ...cameraConfig(s) },
      gpio: { enabled: false },
      privacy: { stateFile: join(work, 'privacy.json') },
      settings: { file: join(work, 'settings.json') },
      log: { level: 'info' },
    };
    const file = join(work, 'picamd.json');
    writeFileSync(file, JSON.stringify(config, null, 2));
    const extra = cli['picamd-node-flags']!.split(' ').filter(Boolean);
    child = spawn(process.execPath, [...nodeFlags, ...extra, cli['picamd-main']!, '--config', file], { stdio: ['ignore', log, log], cwd: repo });
  } else {
    const camera = configSchema.parse({ camera: { command: cameraCommand, ...cameraConfig(s) } }).camera;
    child = spawn(
      process.execPath,
      [...nodeFlags, scripts.baseline, '--port', String(port), '--camera', JSON.stringify(buildCameraArgv(camera))],
      { stdio: ['ignore', log, log], cwd: repo },
    );
  }
  closeSync(log);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited(child);
      clearTimeout(timer);
    }
  };
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${kind} exited with code ${child.exitCode}; see ${work}`);
      if (Date.now() > deadline) throw new Error(`${kind} did not start streaming within 30 s; see ${work}`);
      try {
        await getJson(port, '/healthz');
        const status = await getJson(port, '/api/status');
        // In H.264 mode /stream.mp4 answers 503 until the first keyframe has been packaged.
        if (status.camera?.state === 'streaming' && status.camera.pid && (s.codec !== 'h264' || (await answers200(port, '/stream.mp4')))) {
          return { pid: child.pid!, cameraPid: status.camera.pid, port, stop };
        }
      } catch {
        // not up yet
      }
      await sleep(100);
    }
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The load process, driven over IPC. */
class LoadProcess {
  private readonly child: ChildProcess;
  private readonly waiting = new Map<string, (message: any) => void>();
  private failure: ((err: Error) => void) | undefined;

  constructor(script: string) {
    this.child = fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
    this.child.on('message', (message: any) => {
      if (message.type === 'error') this.failure?.(new Error(`load: ${message.message}`));
      const resolve = this.waiting.get(message.type);
      this.waiting.delete(message.type);
      resolve?.(message);
    });
    this.child.on('exit', (code) => this.failure?.(new Error(`load process exited with code ${code}`)));
  }

  get pid(): number {
    return this.child.pid!;
  }

  request(message: unknown, reply: string, timeoutMs = 30_000): Promise<any> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`load: no ${reply} within ${timeoutMs} ms`)), timeoutMs);
      this.failure = (err) => {
        clearTimeout(timer);
        reject(err);
      };
      this.waiting.set(reply, (m) => {
        clearTimeout(timer);
        this.failure = undefined;
        resolve(m);
      });
      this.child.send(message as any);
    });
  }

  async stop(): Promise<void> {
    this.failure = undefined;
    if (this.child.connected) this.child.send({ type: 'exit' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited(this.child);
    clearTimeout(timer);
  }
}

/** What the simulated camera writes in `ms` at a scenario's settings, as a parser benchmark stream. */
async function recordCamera(s: Scenario, ms: number): Promise<Buffer> {
  const camera = configSchema.parse({
    camera: { command: [process.execPath, join(repo, 'dist/sim/camera.js')], ...cameraConfig(s), extraArgs: ['-t', String(ms)] },
  }).camera;
  const [file, ...args] = buildCameraArgv(camera);
  const child = spawn(file!, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  // 'close' rather than 'exit': it comes once stdout has been read to its end.
  await new Promise((resolve) => child.on('close', resolve));
  return Buffer.concat(chunks);
}

/**
 * The simulated camera's own share of the H.264 latency: from each picture's capture stamp to the
 * moment its stamp SEI comes out of the camera's stdout (the simulator writes a whole access unit at
 * once), read here with this machine's clock as the viewers read theirs. Includes the simulator's
 * ffmpeg and its Annex-B cutting; not picamd.
 */
async function cameraH264DelayMs(s: Scenario, ms: number): Promise<{ p50: number; p99: number; count: number }> {
  const camera = configSchema.parse({
    camera: { command: [process.execPath, join(repo, 'dist/sim/camera.js')], ...cameraConfig(s), extraArgs: ['-t', String(ms)] },
  }).camera;
  const [file, ...args] = buildCameraArgv(camera);
  const child = spawn(file!, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  const uuid = Buffer.from('picamd-sim-stamp', 'latin1');
  const delays: number[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    const now = nowUs();
    // The SEI: header, payloadType 5, payloadSize 32, then the UUID; its 16 value bytes may gain a
    // few emulation prevention bytes, so take some more and let readStampSei unescape them.
    for (let at = chunk.indexOf(uuid); at >= 3; at = chunk.indexOf(uuid, at + 1)) {
      const stamp = readStampSei(chunk.subarray(at - 3, Math.min(chunk.length, at + 16 + 16 + 8 + 1)));
      if (stamp) delays.push((now - stamp.tUs) / 1000);
    }
  });
  await new Promise((resolve) => child.on('close', resolve));
  // The first second: ffmpeg starting.
  const steady = delays.slice(Math.round(s.framerate));
  const sorted = [...steady].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
  return { p50: q(0.5), p99: q(0.99), count: sorted.length };
}

// ---------------------------------------------------------------------------------------------
// One run

interface GroupSummary {
  viewers: number;
  minFps: number;
  medianFps: number;
  /** Frames received / frames the camera was due to produce in the window, per viewer. */
  minShare: number;
  medianShare: number;
  medianKBps: number;
  latencyMs: GroupResult['latencyMs'];
  /** H.264: keyframes, gaps in the stamps and how they ended, summed over the group's viewers. */
  video?: GroupResult['video'];
}

export interface RunResult {
  scenario: string;
  server: ServerKind;
  codec: Codec;
  width: number;
  height: number;
  framerate: number;
  windowMs: number;
  captureMs: number;
  framesDue: number;
  framesSeen: number;
  fast: GroupSummary;
  slow: GroupSummary | null;
  deliveredGB: number;
  serverCpuPercent: number;
  /** Share of the server's CPU time spent in the kernel (socket writes, pipe reads). */
  serverSystemShare: number;
  serverCpuSecondsPerGB: number;
  /** User-space part only: what the HTTP layer itself costs, without the kernel's socket work. */
  serverUserCpuSecondsPerGB: number;
  serverRssPeakMB: number;
  serverRssAnonPeakMB: number;
  serverRssFilePeakMB: number;
  /** RSS peaks in the first and second half of the window: a server that queues for slow viewers grows. */
  serverRssFirstHalfPeakMB: number;
  serverRssSecondHalfPeakMB: number;
  serverHwmMB: number;
  /** The server's RSS every 100 ms from its start, with the window's start and end as indexes. */
  serverRssSeries: { mb: number[]; windowStart: number; windowEnd: number };
  /** The camera's whole process tree (% of one core): the simulated camera and, in H.264 mode, its ffmpeg. */
  cameraCpuPercent: number;
  /** Of it, the camera's child processes (the simulator's ffmpeg encoding with libx264). */
  cameraEncoderCpuPercent: number;
  cameraRssMB: number;
  /** H.264 slow viewers: time waited after the warm-up until picamd skipped pictures for as many viewers as are slow. */
  slowSettledMs?: number;
  /** H.264: what picamd's /api/status said of its viewers at the window's end (skipped pictures, per viewer). */
  serverVideoViewers?: { viewers: number; delivered: number; skipped: number; viewersWithSkips: number };
  /**
   * H.264: the viewers picamd's log says left during the run after at least a second (not the
   * start-up probe), with their tallies.
   */
  serverVideoDeparted?: { viewers: number; delivered: number; skipped: number; resyncs: number };
  loadCpuPercent: number;
  /** The whole machine, in % of one core (200% = both cores busy), steal time excluded. */
  machineBusyPercent: number;
  /** Softirq time, part of machineBusyPercent: loopback TCP work not always charged to a process. */
  machineSoftirqPercent: number;
  machineStealPercent: number;
  /** CPU used by other programs on the machine in the window (% of one core): noise. */
  otherCpuPercent: number;
  /** Seconds spent before the run waiting for other programs to quieten down. */
  waitedForQuietSeconds: number;
  unstamped: number;
  disconnected: number;
  errors: string[];
}

const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : 0);

function summarize(g: GroupResult, due: number, captureMs: number, windowMs: number): GroupSummary {
  return {
    viewers: g.viewers,
    minFps: g.frames.length ? g.frames[0]! / (captureMs / 1000) : 0,
    medianFps: median(g.frames) / (captureMs / 1000),
    minShare: g.frames.length && due ? g.frames[0]! / due : 0,
    medianShare: due ? median(g.frames) / due : 0,
    medianKBps: median(g.bytes) / 1000 / (windowMs / 1000),
    latencyMs: g.latencyMs,
    ...(g.video ? { video: g.video } : {}),
  };
}

/** The H.264 viewers that left, from picamd's log lines (mp4-route.ts, server.ts). */
function departedVideoViewers(log: string): NonNullable<RunResult['serverVideoDeparted']> {
  const out = { viewers: 0, delivered: 0, skipped: 0, resyncs: 0 };
  for (const m of log.matchAll(/H\.264 viewer \d+ \([^)]*\) left after ([\d.]+) s: (\d+) pictures delivered, (\d+) skipped, (\d+) resynchronised/g)) {
    const [seconds, delivered, skipped, resyncs] = m.slice(1).map(Number) as [number, number, number, number];
    if (seconds < 1) continue;
    out.viewers++;
    out.delivered += delivered;
    out.skipped += skipped;
    out.resyncs += resyncs;
  }
  return out;
}

async function runOne(kind: ServerKind, s: Scenario, scripts: { load: string; baseline: string }): Promise<RunResult> {
  const work = mkdtempSync(join(tmpdir(), `picamd-bench-${kind}-`));
  const measureMs = s.slow > 0 ? SLOW_MEASURE_MS : MEASURE_MS;
  const captureMs = measureMs - GRACE_MS;
  const waited = await waitForQuiet();
  const server = await startServer(kind, s, work, scripts);
  const rss = new RssSampler(server.pid);
  rss.start();
  const load = new LoadProcess(scripts.load);
  try {
    const plan: LoadPlan = {
      host: '127.0.0.1',
      port: server.port,
      path: s.codec === 'h264' ? '/stream.mp4' : '/stream.mjpg',
      fast: s.fast,
      slow: s.slow,
      slowBytesPerSecond: s.slowRate ?? SLOW_BYTES_PER_SECOND,
      captureMs,
    };
    await load.request({ type: 'start', plan }, 'ready');
    await sleep(WARMUP_MS);
    let settledMs: number | undefined;
    if (s.codec === 'h264' && s.slow > 0) {
      const start = performance.now();
      for (;;) {
        const list = ((await getJson(server.port, '/api/status')).stream?.viewerList ?? []) as Array<{ skipped: number }>;
        settledMs = performance.now() - start;
        if (list.filter((v) => v.skipped > 0).length >= s.slow || settledMs > SLOW_SETTLE_MAX_MS) break;
        await sleep(500);
      }
    }

    const t0 = performance.now();
    const server0 = cpuMs(server.pid);
    const camera0 = treeCpuMs(server.cameraPid);
    const machine0 = machineTicks();
    const self0 = process.cpuUsage();
    await load.request({ type: 'begin' }, 'begun');
    await sleep(measureMs);
    const { result } = (await load.request({ type: 'end' }, 'result')) as { result: LoadResult };
    const t1 = performance.now();
    const server1 = cpuMs(server.pid);
    const camera1 = treeCpuMs(server.cameraPid);
    const machine1 = machineTicks();
    const self1 = process.cpuUsage(self0);
    rss.stop();
    let serverVideoViewers: RunResult['serverVideoViewers'];
    if (s.codec === 'h264') {
      const list = ((await getJson(server.port, '/api/status')).stream?.viewerList ?? []).filter((v: any) => v.kind === 'h264');
      serverVideoViewers = {
        viewers: list.length,
        delivered: list.reduce((n: number, v: any) => n + v.delivered, 0),
        skipped: list.reduce((n: number, v: any) => n + v.skipped, 0),
        viewersWithSkips: list.filter((v: any) => v.skipped > 0).length,
      };
    }
    const cameraCpu = treeCpuDelta(camera0, camera1);
    const serverVideoDeparted = s.codec === 'h264' ? departedVideoViewers(readFileSync(join(work, `${kind}-${s.name}.log`), 'utf8')) : undefined;
    const seconds = (t1 - t0) / 1000;
    const hwm = memory(server.pid)?.hwm ?? NaN;
    const cameraRss = memory(server.cameraPid)?.rss ?? NaN;
    const gb = result.bytes / 1e9;
    const serverUser = server1.user - server0.user;
    const serverSys = server1.sys - server0.sys;
    const serverCpu = serverUser + serverSys;
    const machineShare = (key: 'busy' | 'softirq' | 'steal') =>
      ((machine1[key] - machine0[key]) / (machine1.total - machine0.total)) * 100 * cpus().length;
    return {
      scenario: s.name,
      server: kind,
      codec: s.codec,
      width: s.width,
      height: s.height,
      framerate: s.framerate,
      windowMs: result.windowMs,
      captureMs,
      framesDue: result.framesDue,
      framesSeen: result.framesSeen,
      fast: summarize(result.fast, result.framesDue, captureMs, result.windowMs),
      slow: s.slow ? summarize(result.slow, result.framesDue, captureMs, result.windowMs) : null,
      deliveredGB: gb,
      serverCpuPercent: (serverCpu / 1000 / seconds) * 100,
      serverSystemShare: serverSys / serverCpu,
      serverCpuSecondsPerGB: serverCpu / 1000 / gb,
      serverUserCpuSecondsPerGB: serverUser / 1000 / gb,
      serverRssPeakMB: rss.peak(),
      serverRssAnonPeakMB: rss.peak(0, Infinity, 'anon'),
      serverRssFilePeakMB: rss.peak(0, Infinity, 'file'),
      serverRssFirstHalfPeakMB: rss.peak(t0, (t0 + t1) / 2),
      serverRssSecondHalfPeakMB: rss.peak((t0 + t1) / 2, t1),
      serverHwmMB: hwm,
      serverRssSeries: {
        mb: rss.samples.map((x) => Math.round(x.rss * 10) / 10),
        windowStart: rss.samples.findIndex((x) => x.at >= t0),
        windowEnd: rss.samples.findIndex((x) => x.at >= t1),
      },
      cameraCpuPercent: ((cameraCpu.own + cameraCpu.children) / 1000 / seconds) * 100,
      cameraEncoderCpuPercent: (cameraCpu.children / 1000 / seconds) * 100,
      cameraRssMB: cameraRss,
      ...(serverVideoViewers ? { serverVideoViewers } : {}),
      ...(serverVideoDeparted ? { serverVideoDeparted } : {}),
      ...(settledMs !== undefined ? { slowSettledMs: settledMs } : {}),
      loadCpuPercent: (result.cpuMs / result.windowMs) * 100,
      machineBusyPercent: machineShare('busy'),
      machineSoftirqPercent: machineShare('softirq'),
      machineStealPercent: machineShare('steal'),
      otherCpuPercent: Math.max(
        0,
        machineShare('busy') -
          machineShare('softirq') -
          ((serverCpu + cameraCpu.own + cameraCpu.children + result.cpuMs + (self1.user + self1.system) / 1000) / 1000 / seconds) * 100,
      ),
      waitedForQuietSeconds: waited,
      unstamped: result.unstamped,
      disconnected: result.disconnected,
      errors: result.errors,
    };
  } finally {
    rss.stop();
    await load.stop();
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const f = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const pct = (n: number) => `${(n * 100).toFixed(1)}%`;
/** Runs where other programs used more than this (% of one core) are marked: their numbers are noisy. */
const NOISY_PERCENT = 30;
const noisy = (r: RunResult) => r.otherCpuPercent > NOISY_PERCENT;

function table(runs: RunResult[]): string {
  const header = [
    'scenario', 'server', 'viewers', 'fps min/med', 'frames min', 'p50 ms', 'p99 ms', 'CPU s/GB', 'RSS peak MB', 'anon MB',
    'server CPU', 'of it sys', 'camera CPU', 'load CPU', 'others CPU',
  ];
  const rows = runs.map((r) => [
    r.scenario,
    r.server,
    r.slow ? `${r.fast.viewers}+${r.slow.viewers} slow` : String(r.fast.viewers),
    `${f(r.fast.minFps)}/${f(r.fast.medianFps)}`,
    pct(r.fast.minShare),
    f(r.fast.latencyMs?.p50 ?? NaN, 2),
    f(r.fast.latencyMs?.p99 ?? NaN, 2),
    f(r.serverCpuSecondsPerGB, 2),
    f(r.serverRssPeakMB),
    f(r.serverRssAnonPeakMB),
    `${f(r.serverCpuPercent, 0)}%`,
    `${f(r.serverSystemShare * 100, 0)}%`,
    `${f(r.cameraCpuPercent, 0)}%`,
    `${f(r.loadCpuPercent, 0)}%`,
    `${f(r.otherCpuPercent, 0)}%${noisy(r) ? ' *' : ''}`,
  ]);
  return formatColumns([header, ...rows]);
}

/** A Markdown table: the first `textColumns` columns left-aligned, numbers right-aligned. */
function formatColumns(rows: string[][], textColumns = 2): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const left = (i: number) => i < textColumns;
  const line = (r: string[]) => `| ${r.map((c, i) => (left(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (left(i) ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n');
}

interface Ratio {
  scenario: string;
  cpuPerGB: number;
  userCpuPerGB: number;
  rssPeak: number;
  p99: number;
  noisy: boolean;
}

function ratios(runs: RunResult[]): Ratio[] {
  const out: Ratio[] = [];
  for (const s of SCENARIOS) {
    const p = runs.find((r) => r.scenario === s.name && r.server === 'picamd');
    const b = runs.find((r) => r.scenario === s.name && r.server === 'baseline');
    if (!p || !b) continue;
    out.push({
      scenario: s.name,
      cpuPerGB: p.serverCpuSecondsPerGB / b.serverCpuSecondsPerGB,
      userCpuPerGB: p.serverUserCpuSecondsPerGB / b.serverUserCpuSecondsPerGB,
      rssPeak: p.serverRssPeakMB / b.serverRssPeakMB,
      p99: (p.fast.latencyMs?.p99 ?? NaN) / (b.fast.latencyMs?.p99 ?? NaN),
      noisy: noisy(p) || noisy(b),
    });
  }
  return out;
}

function ratioTable(rs: Ratio[]): string {
  return formatColumns([
    ['picamd / baseline', 'CPU per GB', 'user CPU per GB', 'RSS peak', 'p99 latency'],
    ...rs.map((r) => [`${r.scenario}${r.noisy ? ' *' : ''}`, f(r.cpuPerGB, 2), f(r.userCpuPerGB, 2), f(r.rssPeak, 2), f(r.p99, 2)]),
  ], 1);
}

/** A server that queued frames for slow viewers would grow by about 54 MB/s here (20 x 30 fps x 90 KB). */
const SLOW_GROWTH_LIMIT_MB = 10;

function slowTable(runs: RunResult[]): string {
  return formatColumns([
    ['scenario', 'server', 'fast frames min', 'fast p99 ms', 'slow KB/s med', 'RSS peak 1st half MB', 'RSS peak 2nd half MB'],
    ...runs
      .filter((r) => r.slow && r.codec === 'mjpeg')
      .map((r) => [
        r.scenario,
        r.server,
        pct(r.fast.minShare),
        f(r.fast.latencyMs?.p99 ?? NaN, 2),
        f(r.slow!.medianKBps),
        f(r.serverRssFirstHalfPeakMB),
        f(r.serverRssSecondHalfPeakMB),
      ]),
  ]);
}

interface CodecComparison {
  viewers: number;
  mjpeg: CodecFigures;
  h264: CodecFigures;
  /** MJPEG bytes per viewer per second / H.264's (the target is >= H264_BYTES_TARGET). */
  bytesRatio: number;
  noisy: boolean;
}

interface CodecFigures {
  scenario: string;
  /** Median fast viewer, KB (10^3 bytes) per second. */
  kBPerViewerPerSecond: number;
  /** picamd's CPU (% of one core) divided by the viewers. */
  serverCpuPercentPerViewer: number;
  serverCpuPercent: number;
  p50Ms: number;
  p99Ms: number;
  rssPeakMB: number;
  rssAnonPeakMB: number;
  /** The simulated camera's process tree, and of it the encoder (ffmpeg); the simulator's, not a Pi's. */
  cameraCpuPercent: number;
  cameraEncoderCpuPercent: number;
}

function codecFigures(r: RunResult): CodecFigures {
  return {
    scenario: r.scenario,
    kBPerViewerPerSecond: r.fast.medianKBps,
    serverCpuPercentPerViewer: r.serverCpuPercent / r.fast.viewers,
    serverCpuPercent: r.serverCpuPercent,
    p50Ms: r.fast.latencyMs?.p50 ?? NaN,
    p99Ms: r.fast.latencyMs?.p99 ?? NaN,
    rssPeakMB: r.serverRssPeakMB,
    rssAnonPeakMB: r.serverRssAnonPeakMB,
    cameraCpuPercent: r.cameraCpuPercent,
    cameraEncoderCpuPercent: r.cameraEncoderCpuPercent,
  };
}

function codecComparison(runs: RunResult[]): CodecComparison[] {
  const out: CodecComparison[] = [];
  for (const [mjpegName, h264Name, viewers] of CODEC_PAIRS) {
    const m = runs.find((r) => r.scenario === mjpegName && r.server === 'picamd');
    const h = runs.find((r) => r.scenario === h264Name && r.server === 'picamd');
    if (!m || !h) continue;
    out.push({
      viewers,
      mjpeg: codecFigures(m),
      h264: codecFigures(h),
      bytesRatio: m.fast.medianKBps / h.fast.medianKBps,
      noisy: noisy(m) || noisy(h),
    });
  }
  return out;
}

function comparisonTable(cs: CodecComparison[]): string {
  const pair = (c: CodecComparison, get: (x: CodecFigures) => string) => `${get(c.mjpeg)} / ${get(c.h264)}`;
  return formatColumns([
    [
      '720p30, MJPEG q80 / H.264', 'KB/s per viewer', 'MJPEG / H.264 bytes', 'picamd CPU per viewer', 'p50 ms', 'p99 ms',
      'RSS peak MB', 'anon MB', 'camera CPU (sim)', 'of it ffmpeg',
    ],
    ...cs.map((c) => [
      `${c.viewers} viewer${c.viewers === 1 ? '' : 's'}${c.noisy ? ' *' : ''}`,
      pair(c, (x) => f(x.kBPerViewerPerSecond, 0)),
      `${f(c.bytesRatio, 1)}x`,
      pair(c, (x) => `${f(x.serverCpuPercentPerViewer, 2)}%`),
      pair(c, (x) => f(x.p50Ms, 1)),
      pair(c, (x) => f(x.p99Ms, 1)),
      pair(c, (x) => f(x.rssPeakMB)),
      pair(c, (x) => f(x.rssAnonPeakMB)),
      pair(c, (x) => `${f(x.cameraCpuPercent, 0)}%`),
      pair(c, (x) => `${f(x.cameraEncoderCpuPercent, 0)}%`),
    ]),
  ], 1);
}

/** The H.264 runs' stream checks: keyframes, gaps in the stamps, how viewers resynchronised. */
function videoTable(runs: RunResult[]): string {
  const rows: string[][] = [];
  for (const r of runs.filter((x) => x.codec === 'h264')) {
    for (const [group, g] of [['fast', r.fast], ['slow', r.slow]] as const) {
      if (!g?.video) continue;
      const v = g.video;
      rows.push([
        r.scenario,
        `${g.viewers} ${group}`,
        f(g.medianKBps),
        `${f(g.medianFps)}`,
        f(g.latencyMs?.p50 ?? NaN, 1),
        f(g.latencyMs?.p99 ?? NaN, 1),
        String(v.keyframes),
        String(v.resyncs),
        String(v.skipped),
        String(v.brokenChains + v.startedWithoutKeyframe),
        v.lagMs ? `${f(v.lagMs.median / 1000, 1)} / ${f(v.lagMs.max / 1000, 1)}` : '-',
        String(v.cameraGaps),
      ]);
    }
    const sv = r.serverVideoViewers;
    if (sv) rows.push([r.scenario, `picamd: ${sv.viewers} connected`, '', '', '', '', '', '', `${sv.skipped} (${sv.viewersWithSkips} viewers)`, '', '', '']);
    const d = r.serverVideoDeparted;
    if (d?.viewers) {
      rows.push([r.scenario, `picamd: ${d.viewers} left`, '', '', '', '', '', String(d.resyncs), String(d.skipped), '', '', '']);
    }
  }
  return formatColumns([
    ['scenario', 'viewers', 'KB/s med', 'fps med', 'p50 ms', 'p99 ms', 'keyframes', 'resyncs to a keyframe', 'pictures skipped', 'broken chains', 'behind at the end s med/max', 'camera drops'],
    ...rows,
  ]);
}

interface Target {
  name: string;
  met: boolean;
  value: string;
  noisy: boolean;
}

function targets(runs: RunResult[]): Target[] {
  const p = (name: string) => runs.find((r) => r.scenario === name && r.server === 'picamd');
  const out: Target[] = [];
  const r300 = p('720p-300');
  if (r300) {
    out.push({
      name: '300 viewers at 720p30: >= 99% of frames to every viewer',
      met: r300.fast.minShare >= 0.99,
      value: `min ${pct(r300.fast.minShare)}`,
      noisy: noisy(r300),
    });
    out.push({
      name: 'RSS under 60 MB at 300 viewers',
      met: r300.serverRssPeakMB < 60,
      value: `peak ${f(r300.serverRssPeakMB)} MB (anonymous ${f(r300.serverRssAnonPeakMB)} MB, file pages ${f(r300.serverRssFilePeakMB)} MB)`,
      noisy: false,
    });
  }
  const r100 = p('720p-100');
  if (r100) {
    const p99 = r100.fast.latencyMs?.p99 ?? NaN;
    out.push({ name: 'p99 latency under 10 ms at 100 viewers (720p30)', met: p99 < 10, value: `p99 ${f(p99, 2)} ms`, noisy: noisy(r100) });
  }
  const cpu = ratios(runs).filter((r) => ['720p-100', '720p-300', '1080p-100'].includes(r.scenario) && Number.isFinite(r.cpuPerGB));
  if (cpu.length) {
    out.push({
      name: 'CPU per GB at most half the node:http baseline (100+ viewers)',
      met: Math.max(...cpu.map((r) => r.cpuPerGB)) <= 0.5,
      value: cpu.map((r) => `${r.scenario} ${f(r.cpuPerGB, 2)}`).join(', '),
      noisy: cpu.some((r) => r.noisy),
    });
  }
  for (const c of codecComparison(runs)) {
    out.push({
      name: `H.264 at least ${H264_BYTES_TARGET}x smaller than MJPEG q80 at 720p30, ${c.viewers} viewer${c.viewers === 1 ? '' : 's'}`,
      met: c.bytesRatio >= H264_BYTES_TARGET,
      value: `${f(c.mjpeg.kBPerViewerPerSecond, 0)} / ${f(c.h264.kBPerViewerPerSecond, 0)} KB/s per viewer = ${f(c.bytesRatio, 1)}x`,
      noisy: false,
    });
  }
  const videoRuns = runs.filter((r) => r.codec === 'h264');
  if (videoRuns.length) {
    const broken = videoRuns.reduce((n, r) => n + [r.fast, r.slow].reduce((m, g) => m + (g?.video ? g.video.brokenChains + g.video.startedWithoutKeyframe : 0), 0), 0);
    out.push({
      name: 'H.264: every viewer starts and resynchronises on a keyframe (no broken reference chains)',
      met: broken === 0,
      value: `${broken} broken`,
      noisy: false,
    });
  }
  const slowVideo = p('h264-720p-slow');
  if (slowVideo?.slow?.video) {
    const growth = slowVideo.serverRssSecondHalfPeakMB - slowVideo.serverRssFirstHalfPeakMB;
    const v = slowVideo.slow.video;
    const fastVideo = slowVideo.fast.video!;
    const d = slowVideo.serverVideoDeparted;
    const sv = slowVideo.serverVideoViewers;
    // picamd's own count (the viewers still connected, and those that left) and what the viewers saw.
    const resyncs = v.resyncs + (d?.resyncs ?? 0);
    const skipped = (sv?.skipped ?? 0) + (d?.skipped ?? 0);
    out.push({
      name: `H.264 slow viewers skip to keyframes: the fast ones miss no picture, RSS grows < ${SLOW_GROWTH_LIMIT_MB} MB over the window`,
      met: fastVideo.skipped === 0 && fastVideo.brokenChains === 0 && skipped > 0 && growth < SLOW_GROWTH_LIMIT_MB,
      value:
        `fast viewers missed ${fastVideo.skipped} pictures picamd packaged (frames min ${pct(slowVideo.fast.minShare)} of the camera's); ` +
        `picamd skipped ${skipped} pictures for the slow viewers, resyncs ${resyncs} (seen by the slow viewers: ${v.resyncs}); ` +
        `${d?.viewers ?? 0} viewers left during the run, ${(sv?.viewers ?? 0) - slowVideo.fast.viewers} slow ones still connected at the end; ` +
        `RSS peak ${f(slowVideo.serverRssFirstHalfPeakMB)} then ${f(slowVideo.serverRssSecondHalfPeakMB)} MB`,
      noisy: noisy(slowVideo),
    });
  }
  const slow = p('720p-slow');
  if (slow) {
    const growth = slow.serverRssSecondHalfPeakMB - slow.serverRssFirstHalfPeakMB;
    out.push({
      name: `slow viewers: the fast ones get >= 99% of frames, RSS grows < ${SLOW_GROWTH_LIMIT_MB} MB over the window`,
      met: slow.fast.minShare >= 0.99 && growth < SLOW_GROWTH_LIMIT_MB,
      value: `fast min ${pct(slow.fast.minShare)}, RSS peak ${f(slow.serverRssFirstHalfPeakMB)} then ${f(slow.serverRssSecondHalfPeakMB)} MB`,
      noisy: noisy(slow),
    });
  }
  return out;
}

function machine(): Record<string, string | number> {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    model = /^Model name:\s*(.+)$/m.exec(execFileSync('lscpu', { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } }))?.[1]?.trim() ?? model;
  } catch {
    // lscpu missing: keep what os.cpus() says
  }
  return {
    cpu: model,
    cores: cpus().length,
    memoryGB: Math.round(totalmem() / 1e8) / 10,
    kernel: release(),
    node: process.version,
  };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const only = cli.only ? new Set(cli.only.split(',')) : undefined;
  const kinds: ServerKind[] = cli.server ? [cli.server as ServerKind] : ['picamd', 'baseline'];
  // The node:http baseline serves MJPEG only: H.264 scenarios run on picamd alone.
  const kindsFor = (s: Scenario) => (s.codec === 'h264' ? kinds.filter((k) => k === 'picamd') : kinds);
  const scenarios = SCENARIOS.filter((s) => !only || only.has(s.name));
  const startedAt = new Date();
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

  const build = mkdtempSync(join(tmpdir(), 'picamd-bench-js-'));
  const scripts = compileBenchScripts(build);
  if (cli['cpu-prof']) mkdirSync(join(repo, 'bench-results', 'profiles'), { recursive: true });

  let parser: { recorded: ParserBenchResult; generated: ParserBenchResult } | undefined;
  if (!cli['no-parser']) {
    log('parser throughput ...');
    const recording = await recordCamera(SCENARIOS[0]!, 4_000);
    parser = { recorded: await runParserBench({ stream: recording, rounds: 15 }), generated: await runParserBench() };
  }

  let cameraDelay: Awaited<ReturnType<typeof cameraH264DelayMs>> | undefined;
  const h264Scenario = scenarios.find((s) => s.codec === 'h264');
  if (h264Scenario) {
    log('the simulated camera\'s own H.264 delay ...');
    cameraDelay = await cameraH264DelayMs(h264Scenario, 5_000);
  }

  const runs: RunResult[] = [];
  try {
    for (const s of scenarios) {
      // Interleaved, so both servers see the same machine; never both at once.
      for (const kind of kindsFor(s)) {
        log(`${s.name} on ${kind} ...`);
        const r = await runOne(kind, s, scripts);
        runs.push(r);
        log(
          `  frames min ${pct(r.fast.minShare)}, p99 ${f(r.fast.latencyMs?.p99 ?? NaN, 2)} ms, ` +
            `${f(r.serverCpuSecondsPerGB, 2)} CPU s/GB, RSS peak ${f(r.serverRssPeakMB)} MB` +
            (r.errors.length ? `, errors: ${r.errors.join('; ')}` : ''),
        );
        await sleep(500);
      }
    }
  } finally {
    rmSync(build, { recursive: true, force: true });
  }

  const host = machine();
  const out: string[] = [];
  out.push(`picamd benchmark, ${startedAt.toISOString()}`);
  out.push(`machine: ${host.cpu}, ${host.cores} cores, ${host.memoryGB} GB, Linux ${host.kernel}, Node ${host.node}`);
  out.push(
    `camera: simulated, JPEG quality ${JPEG_QUALITY}; warm-up ${WARMUP_MS / 1000} s, window ${MEASURE_MS / 1000} s ` +
      `(slow viewers ${SLOW_MEASURE_MS / 1000} s); frames counted when captured in the window minus the last ${GRACE_MS / 1000} s`,
  );
  if (runs.some((r) => r.codec === 'h264')) {
    out.push(
      'H.264: camera.codec "h264", automatic bit rate, keyframe every second, viewers on /stream.mp4; the simulated camera ' +
        'encodes its pictures with ffmpeg (libx264, ultrafast, zerolatency). No baseline server: the node:http baseline serves MJPEG only.',
    );
    out.push(
      'H.264 latency runs from the capture stamp to the picture\'s last byte at the viewer and includes the simulator\'s ffmpeg ' +
        '(it encodes a picture when the next one arrives) and its own Annex-B cutting (a unit is complete when the next begins), ' +
        'about a frame each, plus picamd\'s Annex-B parser, which also emits a unit when the next one begins: about one frame interval (33 ms).',
    );
    if (cameraDelay) {
      out.push(
        `Of it, the simulated camera alone (capture stamp to its stdout, measured apart from picamd): p50 ${f(cameraDelay.p50, 1)} ms, ` +
          `p99 ${f(cameraDelay.p99, 1)} ms over ${cameraDelay.count} pictures.`,
      );
    }
    out.push('camera CPU is the simulated camera\'s process tree (its ffmpeg included): the simulator\'s cost on this machine, not a Pi\'s.');
  }
  out.push('');
  out.push(table(runs));
  const rs = ratios(runs);
  if (rs.length) {
    out.push('');
    out.push(ratioTable(rs));
  }
  if (runs.some((r) => r.slow && r.codec === 'mjpeg')) {
    out.push('');
    out.push(`slow viewers read at ${SLOW_BYTES_PER_SECOND / 1000} KB/s:`);
    out.push(slowTable(runs));
  }
  const cs = codecComparison(runs);
  if (cs.length) {
    out.push('');
    out.push('codecs compared (MJPEG / H.264; picamd CPU per viewer is picamd\'s CPU, camera parsing included, divided by the viewers):');
    out.push(comparisonTable(cs));
  }
  if (runs.some((r) => r.codec === 'h264')) {
    out.push('');
    const slowRate = SCENARIOS.find((x) => x.name === 'h264-720p-slow')!.slowRate!;
    out.push(`H.264 streams as the viewers received them (slow viewers read at ${slowRate / 1000} KB/s):`);
    out.push(videoTable(runs));
    for (const r of runs.filter((x) => x.slowSettledMs !== undefined)) {
      out.push(
        `${r.scenario}: measured after picamd had skipped pictures for the slow viewers, ${f(r.slowSettledMs! / 1000)} s after the warm-up ` +
          '(the kernel\'s send buffers, up to tcp_wmem\'s maximum per socket, filled first).',
      );
    }
  }
  if (parser) {
    out.push('');
    const row = (name: string, p: ParserBenchResult) => [
      name,
      `${p.frames} x ${f(p.meanFrameBytes / 1000)} KB`,
      f(p.parserMBps, 0),
      f(p.naiveMBps, 0),
      f(p.parserCorePercentAt30fps100KB, 2),
    ];
    out.push(
      formatColumns([
        ['parser (best of passes, 64 KiB chunks)', 'stream', 'FrameParser MB/s', 'naive indexOf MB/s', '% of a core for 30 fps x 100 KB'],
        row('recorded from the simulated camera, 720p', parser.recorded),
        row('generated by jpeg-js (dense entropy data)', parser.generated),
      ]),
    );
  }
  const ts_ = targets(runs);
  if (ts_.length) {
    out.push('');
    out.push('targets:');
    for (const t of ts_) out.push(`  [${t.met ? 'met' : 'MISSED'}] ${t.name}: ${t.value}${t.noisy ? ' *' : ''}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);

  mkdirSync(join(repo, 'bench-results'), { recursive: true });
  const file = join(repo, 'bench-results', `bench-${startedAt.toISOString().replace(/[:]/g, '-').replace(/\..+$/, '')}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ startedAt: startedAt.toISOString(), machine: host, settings: { warmupMs: WARMUP_MS, measureMs: MEASURE_MS, slowMeasureMs: SLOW_MEASURE_MS, graceMs: GRACE_MS, jpegQuality: JPEG_QUALITY, slowBytesPerSecond: SLOW_BYTES_PER_SECOND, clockTicks: CLK_TCK }, runs, ratios: rs, codecComparison: cs, cameraH264DelayMs: cameraDelay, parser, targets: ts_ }, null, 2)}\n`,
  );
  log(`results written to ${file}`);
}

await main();
