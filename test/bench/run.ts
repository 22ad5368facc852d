// `npm run bench`: picamd against a node:http baseline and against the limit (a minimal C epoll
// fan-out, test/bench/limit-server.c, built with the system's cc) on the same simulated camera and
// the same load, one server at a time, plus the frame parser's throughput; then picamd in H.264 mode
// (/stream.mp4, the simulated camera encoding with ffmpeg's libx264) on the same scene, compared with
// MJPEG; then picamd's idle cost (camera streaming, no viewer) against a bare node process that only
// reads the camera pipe; then RTSP viewers beside as many HTTP viewers on one picamd (runRtsp; the
// viewer is test/bench/rtsp-counter.ts). Prints tables and writes bench-results/bench-<date>.json.
// Runs for a few minutes; not part of `npm test`.
//
//   node --import tsx test/bench/run.ts [--only <scenario,...>] [--server picamd,baseline,limit]
//       [--measure-ms N] [--slow-measure-ms N] [--idle-ms N] [--idle-settle-ms N] [--rounds N] [--rest-ms N] [--no-parser]
//       [--cpu-prof (to bench-results/profiles/)]
//       [--picamd-main <another build's main.js>] [--picamd-node-flags "<node flags for picamd>"]
//       [--no-unit-env (picamd without the unit's MALLOC_ settings)]
//
// Each run starts a fresh server (picamd: dist/main.js with a temporary config; baseline:
// test/bench/baseline-server.ts), waits for the camera to stream, opens the viewers in a separate
// load process (test/bench/load.ts), warms up, then measures: the viewers count frames and
// latencies; this process samples the server's and the camera's CPU time (/proc/<pid>/stat) and the
// server's RSS (/proc/<pid>/status, every 100 ms); the camera's CPU is its whole process tree (in
// H.264 mode the simulated camera's ffmpeg is its child). The load process, the baseline and the bare
// reader run as plain JavaScript compiled for the run, so no TypeScript loader runs inside the
// measured processes; the C limit is compiled into the same temporary directory. The idle scenario
// opens no viewer: it reads each process's threads' run time and context switches (/proc/<pid>/task).

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
import { RtspViewer } from './rtsp-counter.js';

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
  /** No viewer: picamd with the camera streaming against a bare node process reading the same camera (runIdle). */
  idle?: boolean;
  /** `fast` viewers over HTTP, then as many over RTSP (RTP over interleaved TCP), on the same picamd (runRtsp). */
  rtsp?: boolean;
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
  { name: 'h264-720p-rtsp', codec: 'h264', width: 1280, height: 720, framerate: 30, fast: 50, slow: 0, rtsp: true },
  { name: '720p-rtsp', codec: 'mjpeg', width: 1280, height: 720, framerate: 30, fast: 10, slow: 0, rtsp: true },
  { name: 'idle-720p', codec: 'mjpeg', width: 1280, height: 720, framerate: 30, fast: 0, slow: 0, idle: true },
];

/** The codec comparison: MJPEG scenario, H.264 scenario, viewers. */
const CODEC_PAIRS: Array<[string, string, number]> = [
  ['720p-1', 'h264-720p-1', 1],
  ['720p-10', 'h264-720p-10', 10],
  ['720p-100', 'h264-720p-100', 100],
];
/** The issue's target: H.264 at least this many times smaller than MJPEG at quality 80, 720p30. */
const H264_BYTES_TARGET = 8;

/** limit: the minimal C epoll fan-out (test/bench/limit-server.c), what this kernel and machine allow. */
type ServerKind = 'picamd' | 'baseline' | 'limit';
const SERVER_KINDS: readonly ServerKind[] = ['picamd', 'baseline', 'limit'];

/** The issue-26 bounds at 300 viewers, 720p30: picamd / the C limit, and picamd's anonymous RSS. */
const LIMIT_RATIO_TARGET = 1.25;
const ANON_RSS_TARGET_MB = 32;
/** Idle: picamd's CPU at most this many times the bare reader's. */
const IDLE_RATIO_TARGET = 1.25;

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
    'idle-ms': { type: 'string', default: '15000' },
    /**
     * Idle: how long each process streams before its window. Start-up is not idle: V8 compiles the
     * hot paths on its threads and its memory reducer makes its first full collections some seconds
     * after start (about 8 s in picamd), and the bare reader itself costs less after its first
     * minute. A device streams with nobody watching for hours: the figure is taken after 90 s.
     */
    'idle-settle-ms': { type: 'string', default: '90000' },
    /**
     * Each MJPEG scenario's servers this many times, round after round (picamd, baseline, limit,
     * picamd, ...): the ratios are then medians over the rounds, each round's servers compared with
     * each other, which a burst of load from other programs disturbs less than one long run.
     */
    rounds: { type: 'string', default: '1' },
    /**
     * How long a server streams with no viewer before the viewers come (default 0: at once). V8
     * sizes its young generation up while picamd starts and down again after some quiet seconds; on
     * a device viewers come long after boot.
     */
    'rest-ms': { type: 'string', default: '0' },
    'cpu-prof': { type: 'boolean', default: false },
    /** Another build of picamd to measure, e.g. to try a change against the same baseline. */
    'picamd-main': { type: 'string', default: join(repo, 'dist/main.js') },
    /** node flags for picamd only; the default is the systemd unit's (--expose-gc for the frame reclaimer, the young generation's cap). */
    'picamd-node-flags': { type: 'string', default: '--expose-gc --max-semi-space-size=1' },
    'no-parser': { type: 'boolean', default: false },
    /** Leave out the unit's malloc settings (MALLOC_MMAP_THRESHOLD_, MALLOC_ARENA_MAX), e.g. to measure what they save. */
    'no-unit-env': { type: 'boolean', default: false },
  },
});
/** picamd's environment as the systemd unit sets it: its glibc malloc settings bound its anonymous memory. */
const UNIT_ENV: Record<string, string> = cli['no-unit-env']
  ? {}
  : Object.fromEntries(
      [...readFileSync(join(repo, 'systemd/picamd.service'), 'utf8').matchAll(/^Environment=(MALLOC_\w+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!]),
    );
const MEASURE_MS = Number(cli['measure-ms']);
const SLOW_MEASURE_MS = Number(cli['slow-measure-ms']);
const IDLE_MS = Number(cli['idle-ms']);
const IDLE_SETTLE_MS = Number(cli['idle-settle-ms']);
const ROUNDS = Math.max(1, Math.floor(Number(cli.rounds)));
const REST_MS = Number(cli['rest-ms']);

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

interface BenchScripts {
  load: string;
  baseline: string;
  bareReader: string;
  /** The C limit's executable; undefined where it could not be built (limitSkipped says why). */
  limit?: string;
  limitSkipped?: string;
}

/** Compiles the load process, the baseline and the bare reader (with what they import from src/) to plain JS. */
function compileBenchScripts(outDir: string): BenchScripts {
  const roots = ['test/bench/load.ts', 'test/bench/baseline-server.ts', 'test/bench/bare-reader.ts'].map((f) => join(repo, f));
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
  return {
    load: join(outDir, 'test/bench/load.js'),
    baseline: join(outDir, 'test/bench/baseline-server.js'),
    bareReader: join(outDir, 'test/bench/bare-reader.js'),
    ...buildLimitServer(outDir),
  };
}

/** Builds the C limit with the system's C compiler ($CC, else cc); where there is none it is skipped, with the reason. */
function buildLimitServer(outDir: string): { limit: string } | { limitSkipped: string } {
  const compiler = process.env.CC || 'cc';
  const out = join(outDir, 'limit-server');
  try {
    execFileSync(compiler, ['-O2', '-Wall', '-o', out, join(repo, 'test/bench/limit-server.c')], { stdio: ['ignore', 'ignore', 'pipe'] });
    return { limit: out };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') return { limitSkipped: `no C compiler (${compiler} not found; apt-get install gcc, or set CC)` };
    return { limitSkipped: `${compiler} could not build test/bench/limit-server.c: ${e.stderr?.toString().trim() || e.message}` };
  }
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

/** The camera command line picamd would run for a scenario (the baseline, the C limit and the bare reader run it too). */
function cameraArgv(s: Scenario): string[] {
  const cameraCommand = [process.execPath, join(repo, 'dist/sim/camera.js')];
  return buildCameraArgv(configSchema.parse({ camera: { command: cameraCommand, ...cameraConfig(s) } }).camera);
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

async function startServer(kind: ServerKind, s: Scenario, work: string, scripts: BenchScripts, rtspPort = 0): Promise<RunningServer> {
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
      // RTSP only where a scenario measures it (its default, 554, may be taken).
      rtsp: { port: rtspPort },
      log: { level: 'info' },
    };
    const file = join(work, 'picamd.json');
    writeFileSync(file, JSON.stringify(config, null, 2));
    const extra = cli['picamd-node-flags']!.split(' ').filter(Boolean);
    child = spawn(process.execPath, [...nodeFlags, ...extra, cli['picamd-main']!, '--config', file], {
      stdio: ['ignore', log, log],
      cwd: repo,
      env: { ...process.env, ...UNIT_ENV },
    });
  } else if (kind === 'baseline') {
    child = spawn(
      process.execPath,
      [...nodeFlags, scripts.baseline, '--port', String(port), '--camera', JSON.stringify(cameraArgv(s))],
      { stdio: ['ignore', log, log], cwd: repo },
    );
  } else {
    child = spawn(scripts.limit!, [String(port), ...cameraArgv(s)], { stdio: ['ignore', log, log], cwd: repo });
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
  /** 1, 2, ... with --rounds. */
  round: number;
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
  /** The anonymous peak within the measurement window only: the start-up transient left out. */
  serverRssAnonWindowPeakMB: number;
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

/** The H.264 viewers that left, from picamd's log lines (stream-route.ts with mp4-route.ts, server.ts). */
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

async function runOne(kind: ServerKind, s: Scenario, scripts: BenchScripts, round: number): Promise<RunResult> {
  const work = mkdtempSync(join(tmpdir(), `picamd-bench-${kind}-`));
  const measureMs = s.slow > 0 ? SLOW_MEASURE_MS : MEASURE_MS;
  const captureMs = measureMs - GRACE_MS;
  const waited = await waitForQuiet();
  const server = await startServer(kind, s, work, scripts);
  const rss = new RssSampler(server.pid);
  rss.start();
  if (REST_MS > 0) await sleep(REST_MS);
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
      round,
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
      serverRssAnonWindowPeakMB: rss.peak(t0, t1, 'anon'),
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
// Idle: the camera streaming, no viewer

/** One thread's counters: run time (schedstat, ns), and voluntary (it slept and was woken) and involuntary context switches. */
interface ThreadCounters {
  name: string;
  runNs: number;
  voluntary: number;
  involuntary: number;
}

/** Every thread of a process, by thread id (threads that end between two readings are lost; node's live as long as it does). */
function threadCounters(pid: number): Map<number, ThreadCounters> {
  const out = new Map<number, ThreadCounters>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const dir = `/proc/${pid}/task/${tid}`;
      const status = readFileSync(`${dir}/status`, 'latin1');
      const field = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
      out.set(Number(tid), {
        name: readFileSync(`${dir}/comm`, 'latin1').trim(),
        runNs: Number(readFileSync(`${dir}/schedstat`, 'latin1').split(' ')[0]),
        voluntary: field('voluntary_ctxt_switches'),
        involuntary: field('nonvoluntary_ctxt_switches'),
      });
    } catch {
      // the thread ended while being read
    }
  }
  return out;
}

type IdleKind = 'picamd' | 'bare reader' | 'reader + parser';
const IDLE_KINDS: readonly IdleKind[] = ['bare reader', 'reader + parser', 'picamd'];

/** Bytes a process has written (wchar, /proc/<pid>/io): the camera's output, whoever reads it. */
function bytesWritten(pid: number): number {
  try {
    return Number(/^wchar:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'latin1'))?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

export interface IdleFigures {
  server: IdleKind;
  /** % of one core, from the threads' schedstat run time (ns), which ticks would round away at 2%. */
  cpuPercent: number;
  /** The same from /proc/<pid>/stat (10 ms ticks), a cross-check, and the kernel's share of it. */
  cpuTicksPercent: number;
  systemShare: number;
  /** Voluntary context switches per second over every thread: each is the thread going to sleep, then woken. */
  wakeupsPerSecond: number;
  involuntaryPerSecond: number;
  threads: number;
  /** The main thread (JavaScript, libuv's loop), then every other thread (V8's platform workers, libuv's pool), busiest first. */
  byThread: Array<{ name: string; main: boolean; cpuPercent: number; wakeupsPerSecond: number }>;
  rssMB: number;
  rssAnonMB: number;
  rssFileMB: number;
  cameraCpuPercent: number;
  /** What the camera wrote in the window, MB/s: the three processes must have read the same stream (a busy machine makes the camera drop frames). */
  cameraMBps: number;
  otherCpuPercent: number;
  waitedForQuietSeconds: number;
}

export interface IdleResult {
  scenario: string;
  windowMs: number;
  reader: IdleFigures;
  /** The bare reader with picamd's FrameParser: picamd's cost beyond this is not the parser's. */
  parser: IdleFigures;
  picamd: IdleFigures;
  cpuRatio: number;
  cpuRatioToParser: number;
  wakeupsRatio: number;
}

/** The bare reader: node reading the camera pipe and nothing else. */
async function startBareReader(
  s: Scenario,
  work: string,
  scripts: BenchScripts,
  parse: boolean,
): Promise<{ pid: number; cameraPid: number; stop(): Promise<void> }> {
  const log = openSync(join(work, `reader-${s.name}.log`), 'w');
  const args = [scripts.bareReader, JSON.stringify(cameraArgv(s)), ...(parse ? ['--parse'] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', log], cwd: repo });
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
    const cameraPid = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the bare reader did not stream within 30 s; see ${work}`)), 30_000);
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString('latin1');
        const m = /^streaming (\d+)$/m.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the bare reader exited with code ${code}; see ${work}`));
      });
    });
    return { pid: child.pid!, cameraPid, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function measureIdle(server: IdleKind, pid: number, cameraPid: number, waited: number): Promise<IdleFigures> {
  await sleep(IDLE_SETTLE_MS);
  const t0 = performance.now();
  const ticks0 = cpuMs(pid);
  const threads0 = threadCounters(pid);
  const camera0 = treeCpuMs(cameraPid);
  const written0 = bytesWritten(cameraPid);
  const machine0 = machineTicks();
  const self0 = process.cpuUsage();
  await sleep(IDLE_MS);
  const t1 = performance.now();
  const ticks1 = cpuMs(pid);
  const threads1 = threadCounters(pid);
  const camera1 = treeCpuMs(cameraPid);
  const written1 = bytesWritten(cameraPid);
  const machine1 = machineTicks();
  const self1 = process.cpuUsage(self0);
  const m = memory(pid);
  const seconds = (t1 - t0) / 1000;
  // Node 20 names none of its threads (all are "node"): the main thread is the one whose id is the pid.
  const deltas = [...threads1].map(([tid, b]) => {
    const a = threads0.get(tid);
    return {
      name: b.name,
      main: tid === pid,
      runNs: b.runNs - (a?.runNs ?? 0),
      voluntary: b.voluntary - (a?.voluntary ?? 0),
      involuntary: b.involuntary - (a?.involuntary ?? 0),
    };
  });
  const total = deltas.reduce(
    (t, x) => ({ runNs: t.runNs + x.runNs, voluntary: t.voluntary + x.voluntary, involuntary: t.involuntary + x.involuntary }),
    { runNs: 0, voluntary: 0, involuntary: 0 },
  );
  const cpuPercent = (total.runNs / 1e9 / seconds) * 100;
  const camera = treeCpuDelta(camera0, camera1);
  const cameraCpuPercent = ((camera.own + camera.children) / 1000 / seconds) * 100;
  const busy = ((machine1.busy - machine0.busy) / (machine1.total - machine0.total)) * 100 * cpus().length;
  const softirq = ((machine1.softirq - machine0.softirq) / (machine1.total - machine0.total)) * 100 * cpus().length;
  return {
    server,
    cpuPercent,
    cpuTicksPercent: ((ticks1.user + ticks1.sys - ticks0.user - ticks0.sys) / 1000 / seconds) * 100,
    systemShare: (ticks1.sys - ticks0.sys) / (ticks1.user + ticks1.sys - ticks0.user - ticks0.sys),
    wakeupsPerSecond: total.voluntary / seconds,
    involuntaryPerSecond: total.involuntary / seconds,
    threads: threads1.size,
    byThread: deltas
      .map((x) => ({ name: x.name, main: x.main, cpuPercent: (x.runNs / 1e9 / seconds) * 100, wakeupsPerSecond: x.voluntary / seconds }))
      .sort((a, b) => Number(b.main) - Number(a.main) || b.wakeupsPerSecond - a.wakeupsPerSecond),
    rssMB: m?.rss ?? NaN,
    rssAnonMB: m?.anon ?? NaN,
    rssFileMB: m?.file ?? NaN,
    cameraCpuPercent,
    cameraMBps: (written1 - written0) / 1e6 / seconds,
    otherCpuPercent: Math.max(0, busy - softirq - cpuPercent - cameraCpuPercent - ((self1.user + self1.system) / 1000 / 1000 / seconds) * 100),
    waitedForQuietSeconds: waited,
  };
}

/** The bare reader, the reader with the parser, then picamd with the camera streaming and no viewer, one at a time. */
async function runIdle(s: Scenario, scripts: BenchScripts): Promise<IdleResult> {
  const work = mkdtempSync(join(tmpdir(), 'picamd-bench-idle-'));
  try {
    const figures: Partial<Record<IdleKind, IdleFigures>> = {};
    for (const kind of IDLE_KINDS) {
      const waited = await waitForQuiet();
      const server =
        kind === 'picamd' ? await startServer('picamd', s, work, scripts) : await startBareReader(s, work, scripts, kind === 'reader + parser');
      try {
        figures[kind] = await measureIdle(kind, server.pid, server.cameraPid, waited);
      } finally {
        await server.stop();
      }
      await sleep(500);
    }
    const reader = figures['bare reader']!;
    const parser = figures['reader + parser']!;
    const picamd = figures.picamd!;
    return {
      scenario: s.name,
      windowMs: IDLE_MS,
      reader,
      parser,
      picamd,
      cpuRatio: picamd.cpuPercent / reader.cpuPercent,
      cpuRatioToParser: picamd.cpuPercent / parser.cpuPercent,
      wakeupsRatio: picamd.wakeupsPerSecond / reader.wakeupsPerSecond,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Whether the camera wrote within 5% of the same bytes for the three processes. */
function sameStream(r: IdleResult): boolean {
  const rates = [r.reader, r.parser, r.picamd].map((x) => x.cameraMBps);
  return Math.max(...rates) <= Math.min(...rates) * 1.05;
}

function idleTable(r: IdleResult): string {
  const row = (x: IdleFigures) => [
    x.server,
    `${f(x.cpuPercent, 2)}%`,
    `${f(x.cpuTicksPercent, 1)}%`,
    `${f(x.systemShare * 100, 0)}%`,
    f(x.wakeupsPerSecond, 1),
    f(x.involuntaryPerSecond, 1),
    String(x.threads),
    f(x.rssMB),
    f(x.rssAnonMB),
    f(x.rssFileMB),
    `${f(x.cameraCpuPercent, 1)}%`,
    f(x.cameraMBps, 2),
    `${f(x.otherCpuPercent, 0)}%${x.otherCpuPercent > NOISY_PERCENT ? ' *' : ''}`,
  ];
  const byThread = (x: IdleFigures) => {
    const [main, ...others] = x.byThread;
    const busy = others.filter((t) => t.wakeupsPerSecond >= 0.05);
    return (
      `${x.server} by thread, wakeups/s and CPU: main ${f(main?.wakeupsPerSecond ?? NaN)}/s ${f(main?.cpuPercent ?? NaN, 2)}%; ` +
      `${others.length} others ${busy.map((t) => `${f(t.wakeupsPerSecond)}/s ${f(t.cpuPercent, 2)}%`).join(', ') || 'asleep'}`
    );
  };
  return [
    formatColumns(
      [
        [
          `${r.scenario}, no viewer`, 'CPU', 'CPU (ticks)', 'of it sys', 'wakeups/s', 'involuntary/s', 'threads', 'RSS MB', 'anon MB',
          'file MB', 'camera CPU', 'camera MB/s', 'others CPU',
        ],
        row(r.reader),
        row(r.parser),
        row(r.picamd),
      ],
      1,
    ),
    `picamd / bare reader: CPU ${f(r.cpuRatio, 2)}x, wakeups ${f(r.wakeupsRatio, 2)}x; picamd / reader + parser: CPU ${f(r.cpuRatioToParser, 2)}x` +
      (sameStream(r) ? '' : ' (the camera wrote more than 5% less or more for one of them: the machine was too busy, compare with care)'),
    byThread(r.reader),
    byThread(r.parser),
    byThread(r.picamd),
  ].join('\n');
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
    ROUNDS > 1 ? `${r.scenario} #${r.round}` : r.scenario,
    r.server === 'limit' ? 'C limit' : r.server,
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

/** picamd's runs of a scenario, each with the other server's run of the same round. */
function roundPairs(runs: RunResult[], scenario: string, other: ServerKind): Array<[RunResult, RunResult]> {
  const out: Array<[RunResult, RunResult]> = [];
  for (const p of runs.filter((r) => r.scenario === scenario && r.server === 'picamd')) {
    const o = runs.find((r) => r.scenario === scenario && r.server === other && r.round === p.round);
    if (o) out.push([p, o]);
  }
  return out;
}

/** The median of a ratio over rounds, with its smallest and largest. */
interface Spread {
  median: number;
  min: number;
  max: number;
}

function spread(xs: number[]): Spread {
  const finite = xs.filter(Number.isFinite);
  if (!finite.length) return { median: NaN, min: NaN, max: NaN };
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite) };
}

/** A ratio, and with several rounds its range: "1.12 (1.05-1.20)". */
const fs = (x: Spread, digits = 2) => (x.min === x.max ? f(x.median, digits) : `${f(x.median, digits)} (${f(x.min, digits)}-${f(x.max, digits)})`);

function ratios(runs: RunResult[]): Ratio[] {
  const out: Ratio[] = [];
  for (const s of SCENARIOS) {
    const pairs = roundPairs(runs, s.name, 'baseline');
    if (!pairs.length) continue;
    const of = (get: (p: RunResult, b: RunResult) => number) => median(pairs.map(([p, b]) => get(p, b)));
    out.push({
      scenario: s.name,
      cpuPerGB: of((p, b) => p.serverCpuSecondsPerGB / b.serverCpuSecondsPerGB),
      userCpuPerGB: of((p, b) => p.serverUserCpuSecondsPerGB / b.serverUserCpuSecondsPerGB),
      rssPeak: of((p, b) => p.serverRssPeakMB / b.serverRssPeakMB),
      p99: of((p, b) => (p.fast.latencyMs?.p99 ?? NaN) / (b.fast.latencyMs?.p99 ?? NaN)),
      noisy: pairs.some(([p, b]) => noisy(p) || noisy(b)),
    });
  }
  return out;
}

interface LimitRatio {
  scenario: string;
  /** Rounds compared; the ratios are medians over them (see --rounds). */
  rounds: number;
  cpuPerGB: Spread;
  p99: Spread;
  p50: Spread;
  /** picamd's anonymous and file-backed RSS peaks (MB), and the C limit's RSS peak. */
  picamdAnonMB: number;
  picamdAnonWindowMB: number;
  picamdFileMB: number;
  limitRssMB: number;
  /** Frames to picamd's and the limit's worst viewer. */
  picamdMinShare: number;
  limitMinShare: number;
  noisy: boolean;
}

function limitRatios(runs: RunResult[]): LimitRatio[] {
  const out: LimitRatio[] = [];
  for (const s of SCENARIOS) {
    const pairs = roundPairs(runs, s.name, 'limit');
    if (!pairs.length) continue;
    const of = (get: (p: RunResult, c: RunResult) => number) => spread(pairs.map(([p, c]) => get(p, c)));
    out.push({
      scenario: s.name,
      rounds: pairs.length,
      cpuPerGB: of((p, c) => p.serverCpuSecondsPerGB / c.serverCpuSecondsPerGB),
      p99: of((p, c) => (p.fast.latencyMs?.p99 ?? NaN) / (c.fast.latencyMs?.p99 ?? NaN)),
      p50: of((p, c) => (p.fast.latencyMs?.p50 ?? NaN) / (c.fast.latencyMs?.p50 ?? NaN)),
      picamdAnonMB: Math.max(...pairs.map(([p]) => p.serverRssAnonPeakMB)),
      picamdAnonWindowMB: Math.max(...pairs.map(([p]) => p.serverRssAnonWindowPeakMB)),
      picamdFileMB: Math.max(...pairs.map(([p]) => p.serverRssFilePeakMB)),
      limitRssMB: Math.max(...pairs.map(([, c]) => c.serverRssPeakMB)),
      picamdMinShare: Math.min(...pairs.map(([p]) => p.fast.minShare)),
      limitMinShare: Math.min(...pairs.map(([, c]) => c.fast.minShare)),
      noisy: pairs.some(([p, c]) => noisy(p) || noisy(c)),
    });
  }
  return out;
}

function limitTable(ls: LimitRatio[]): string {
  return formatColumns([
    [
      'picamd / C limit', 'rounds', 'CPU per GB', 'p99 latency', 'p50 latency', 'picamd anon MB', 'of it in the window', 'picamd file MB',
      'C limit RSS MB', 'frames min picamd / C',
    ],
    ...ls.map((r) => [
      `${r.scenario}${r.noisy ? ' *' : ''}`,
      String(r.rounds),
      fs(r.cpuPerGB),
      fs(r.p99),
      fs(r.p50),
      f(r.picamdAnonMB),
      f(r.picamdAnonWindowMB),
      f(r.picamdFileMB),
      f(r.limitRssMB),
      `${pct(r.picamdMinShare)} / ${pct(r.limitMinShare)}`,
    ]),
  ], 1);
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

function targets(runs: RunResult[], idleRuns: IdleResult[]): Target[] {
  const p = (name: string) => runs.find((r) => r.scenario === name && r.server === 'picamd');
  const out: Target[] = [];
  const limit300 = limitRatios(runs).find((r) => r.scenario === '720p-300');
  if (limit300) {
    out.push({
      name: `300 viewers at 720p30: CPU per GB and p99 at most ${LIMIT_RATIO_TARGET}x the C limit's, every frame delivered`,
      met: limit300.cpuPerGB.median <= LIMIT_RATIO_TARGET && limit300.p99.median <= LIMIT_RATIO_TARGET && limit300.picamdMinShare >= 1,
      value:
        `CPU per GB ${fs(limit300.cpuPerGB)}x, p99 ${fs(limit300.p99)}x` +
        `${limit300.rounds > 1 ? ` (medians of ${limit300.rounds} rounds, range)` : ''}, frames min ${pct(limit300.picamdMinShare)}`,
      noisy: limit300.noisy,
    });
  }
  const p300s = runs.filter((r) => r.scenario === '720p-300' && r.server === 'picamd');
  if (p300s.length) {
    const anon = Math.max(...p300s.map((r) => r.serverRssAnonPeakMB));
    out.push({
      name: `anonymous RSS at most ${ANON_RSS_TARGET_MB} MB at 300 viewers (720p30)`,
      met: anon <= ANON_RSS_TARGET_MB,
      value:
        `peak ${f(anon)} MB anonymous over picamd's life, ${f(Math.max(...p300s.map((r) => r.serverRssAnonWindowPeakMB)))} MB in the window ` +
        `(file pages ${f(Math.max(...p300s.map((r) => r.serverRssFilePeakMB)))} MB)`,
      noisy: false,
    });
  }
  for (const r of idleRuns) {
    out.push({
      name: `idle (camera streaming, no viewer): picamd's CPU at most ${IDLE_RATIO_TARGET}x a bare node process reading the camera`,
      met: r.cpuRatio <= IDLE_RATIO_TARGET,
      value:
        `${f(r.picamd.cpuPercent, 2)}% / ${f(r.reader.cpuPercent, 2)}% of a core = ${f(r.cpuRatio, 2)}x; ` +
        `wakeups ${f(r.picamd.wakeupsPerSecond)} / ${f(r.reader.wakeupsPerSecond)} per second = ${f(r.wakeupsRatio, 2)}x`,
      noisy: [r.picamd, r.parser, r.reader].some((x) => x.otherCpuPercent > NOISY_PERCENT) || !sameStream(r),
    });
  }
  const r300 = p('720p-300');
  if (r300) {
    // With --rounds, the worst round.
    const share = Math.min(...p300s.map((r) => r.fast.minShare));
    out.push({
      name: '300 viewers at 720p30: >= 99% of frames to every viewer',
      met: share >= 0.99,
      value: `min ${pct(share)}`,
      noisy: p300s.some(noisy),
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

// ---------------------------------------------------------------------------------------------
// RTSP beside HTTP: the same viewers over both, on the same picamd

const httpPath = (s: Scenario) => (s.codec === 'h264' ? '/stream.mp4' : '/stream.mjpg');

interface TransportFigures {
  transport: 'http' | 'rtsp';
  viewers: number;
  windowMs: number;
  serverCpuPercent: number;
  /** (picamd's CPU - its CPU with no viewer) / viewers, % of one core. */
  perViewerCpuPercent: number;
  serverCpuSecondsPerGB: number;
  serverSystemShare: number;
  deliveredGB: number;
  /** Pictures each viewer received per second (RTSP: RTP packets with the marker bit). */
  minPicturesPerSecond: number;
  medianPicturesPerSecond: number;
  /** RTSP: RTP packets missing by sequence number, over all viewers (must be 0: TCP loses nothing, picamd skips whole pictures). */
  lostPackets?: number;
  gaps?: number;
  machineBusyPercent: number;
  otherCpuPercent: number;
  errors: string[];
}

export interface RtspResult {
  scenario: string;
  codec: Codec;
  viewers: number;
  idleCpuPercent: number;
  http: TransportFigures;
  rtsp: TransportFigures;
  /** RTSP / HTTP. */
  perViewerRatio: number;
  perGBRatio: number;
}

/** picamd's CPU (ms, user and system), the machine's and this process's over the next `ms`. */
async function measureWindow(pid: number, ms: number): Promise<{ seconds: number; user: number; sys: number; busyPercent: number; softirqPercent: number; selfMs: number }> {
  const t0 = performance.now();
  const a = cpuMs(pid);
  const m0 = machineTicks();
  const self0 = process.cpuUsage();
  await sleep(ms);
  const t1 = performance.now();
  const b = cpuMs(pid);
  const m1 = machineTicks();
  const self1 = process.cpuUsage(self0);
  const share = (key: 'busy' | 'softirq') => ((m1[key] - m0[key]) / (m1.total - m0.total)) * 100 * cpus().length;
  return { seconds: (t1 - t0) / 1000, user: b.user - a.user, sys: b.sys - a.sys, busyPercent: share('busy'), softirqPercent: share('softirq'), selfMs: (self1.user + self1.system) / 1000 };
}

async function runRtsp(s: Scenario, scripts: BenchScripts): Promise<RtspResult> {
  const work = mkdtempSync(join(tmpdir(), 'picamd-bench-rtsp-'));
  const rtspPort = await freePort();
  await waitForQuiet();
  const server = await startServer('picamd', s, work, scripts, rtspPort);
  const n = s.fast;
  const figures = (transport: 'http' | 'rtsp', w: Awaited<ReturnType<typeof measureWindow>>, bytes: number, pictures: number[], otherMs: number, errors: string[]) => {
    const cpu = (w.user + w.sys) / 1000 / w.seconds;
    const sorted = [...pictures].sort((x, y) => x - y);
    return {
      transport,
      viewers: n,
      windowMs: w.seconds * 1000,
      serverCpuPercent: cpu * 100,
      perViewerCpuPercent: 0,
      serverCpuSecondsPerGB: (w.user + w.sys) / 1000 / (bytes / 1e9),
      serverSystemShare: w.sys / (w.user + w.sys),
      deliveredGB: bytes / 1e9,
      minPicturesPerSecond: (sorted[0] ?? 0) / w.seconds,
      medianPicturesPerSecond: median(sorted) / w.seconds,
      machineBusyPercent: w.busyPercent,
      // Others: the machine less picamd, the viewers (load process or this one) and the kernel's softirq.
      otherCpuPercent: Math.max(0, w.busyPercent - w.softirqPercent - cpu * 100 - ((otherMs + w.selfMs) / 1000 / w.seconds) * 100),
      errors,
    } satisfies TransportFigures as TransportFigures;
  };
  try {
    // Idle: the camera streaming, no viewer, after the first start-up work (the per-viewer figures subtract it).
    await sleep(3_000);
    const idleWindow = await measureWindow(server.pid, Math.min(MEASURE_MS, 5_000));
    const idleCpuPercent = ((idleWindow.user + idleWindow.sys) / 1000 / idleWindow.seconds) * 100;

    // HTTP: the load process, as in runOne.
    const load = new LoadProcess(scripts.load);
    let http: TransportFigures;
    try {
      const plan: LoadPlan = { host: '127.0.0.1', port: server.port, path: httpPath(s), fast: n, slow: 0, slowBytesPerSecond: SLOW_BYTES_PER_SECOND, captureMs: MEASURE_MS - GRACE_MS };
      await load.request({ type: 'start', plan }, 'ready');
      await sleep(WARMUP_MS);
      await load.request({ type: 'begin' }, 'begun');
      const w = await measureWindow(server.pid, MEASURE_MS);
      const { result } = (await load.request({ type: 'end' }, 'result')) as { result: LoadResult };
      // The load counts pictures captured in the window less its grace: per second of that.
      const pictures = result.fast.frames.map((x) => (x * MEASURE_MS) / (MEASURE_MS - GRACE_MS));
      http = figures('http', w, result.bytes, pictures, result.cpuMs, result.errors);
    } finally {
      await load.stop();
    }
    await sleep(1_000);

    // RTSP: the viewers in this process (its CPU is counted apart, as the load process's is).
    const url = `rtsp://127.0.0.1:${rtspPort}/stream`;
    // 16 a source address (picamd's per-address cap, DEFAULT_RTSP_LIMITS), from 127.0.0.2 on.
    const viewers = Array.from({ length: n }, (_, i) => new RtspViewer(url, undefined, `127.0.0.${2 + Math.floor(i / 16)}`));
    let rtsp: TransportFigures;
    try {
      await Promise.all(viewers.map((v) => v.start()));
      await sleep(WARMUP_MS);
      const before = viewers.map((v) => ({ ...v.tally }));
      const w = await measureWindow(server.pid, MEASURE_MS);
      const after = viewers.map((v) => ({ ...v.tally }));
      const bytes = after.reduce((sum, a, i) => sum + a.bytes - before[i]!.bytes, 0);
      const errors = viewers.flatMap((v, i) => (v.error ? [`viewer ${i + 1}: ${v.error}`] : v.closed ? [`viewer ${i + 1}: closed by picamd`] : []));
      rtsp = {
        ...figures('rtsp', w, bytes, after.map((a, i) => a.pictures - before[i]!.pictures), 0, errors),
        lostPackets: after.reduce((sum, a) => sum + a.lost, 0),
        gaps: after.reduce((sum, a) => sum + a.gaps, 0),
      };
    } finally {
      for (const v of viewers) v.close();
    }
    http.perViewerCpuPercent = (http.serverCpuPercent - idleCpuPercent) / n;
    rtsp.perViewerCpuPercent = (rtsp.serverCpuPercent - idleCpuPercent) / n;
    return {
      scenario: s.name,
      codec: s.codec,
      viewers: n,
      idleCpuPercent,
      http,
      rtsp,
      perViewerRatio: rtsp.perViewerCpuPercent / http.perViewerCpuPercent,
      perGBRatio: rtsp.serverCpuSecondsPerGB / http.serverCpuSecondsPerGB,
    };
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

function rtspTable(rs: RtspResult[]): string {
  const problems: string[] = [];
  const rows = [['scenario', 'over', 'viewers', 'picamd CPU', 'idle', 'per viewer', 'CPU s/GB', 'kernel', 'pictures/s min/median', 'MB/s', 'lost RTP', 'machine busy', 'others', 'RTSP/HTTP per viewer', 'per GB']];
  for (const r of rs) {
    for (const x of [r.http, r.rtsp]) {
      rows.push([
        r.scenario,
        x.transport === 'http' ? (r.codec === 'h264' ? '/stream.mp4' : '/stream.mjpg') : 'RTSP',
        String(x.viewers),
        `${f(x.serverCpuPercent)}%`,
        `${f(r.idleCpuPercent)}%`,
        `${f(x.perViewerCpuPercent, 2)}%`,
        f(x.serverCpuSecondsPerGB, 2),
        `${f(x.serverSystemShare * 100, 0)}%`,
        `${f(x.minPicturesPerSecond)}/${f(x.medianPicturesPerSecond)}`,
        f((x.deliveredGB * 1000) / (x.windowMs / 1000)),
        x.lostPackets === undefined ? '' : String(x.lostPackets),
        `${f(x.machineBusyPercent, 0)}%`,
        `${f(x.otherCpuPercent, 0)}%`,
        x.transport === 'rtsp' ? f(r.perViewerRatio, 2) : '',
        x.transport === 'rtsp' ? f(r.perGBRatio, 2) : '',
      ]);
      if (x.errors.length) problems.push(`${r.scenario} ${x.transport}: ${x.errors.length} errors: ${x.errors.slice(0, 3).join('; ')}`);
    }
  }
  return [formatColumns(rows), ...problems].join('\n');
}

async function main(): Promise<void> {
  const only = cli.only ? new Set(cli.only.split(',')) : undefined;
  if (only) {
    const unknown = [...only].filter((name) => !SCENARIOS.some((s) => s.name === name));
    if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  }
  let kinds: ServerKind[] = cli.server ? (cli.server.split(',') as ServerKind[]) : [...SERVER_KINDS];
  const badKind = kinds.find((k) => !SERVER_KINDS.includes(k));
  if (badKind) throw new Error(`unknown server ${badKind}; known: ${SERVER_KINDS.join(', ')}`);
  const startedAt = new Date();
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

  const build = mkdtempSync(join(tmpdir(), 'picamd-bench-js-'));
  const scripts = compileBenchScripts(build);
  const limitSkipped = kinds.includes('limit') ? scripts.limitSkipped : undefined;
  if (limitSkipped) {
    log(`the C limit is skipped: ${limitSkipped}`);
    kinds = kinds.filter((k) => k !== 'limit');
  }
  // The node:http baseline and the C limit serve MJPEG only: H.264 scenarios run on picamd alone.
  const kindsFor = (s: Scenario) => (s.codec === 'h264' ? kinds.filter((k) => k === 'picamd') : kinds);
  const scenarios = SCENARIOS.filter((s) => !only || only.has(s.name));
  if (cli['cpu-prof']) mkdirSync(join(repo, 'bench-results', 'profiles'), { recursive: true });

  let parser: { recorded: ParserBenchResult; generated: ParserBenchResult } | undefined;
  if (!cli['no-parser']) {
    log('parser throughput ...');
    const recording = await recordCamera(SCENARIOS[0]!, 4_000);
    parser = { recorded: await runParserBench({ stream: recording, rounds: 15 }), generated: await runParserBench() };
  }

  let cameraDelay: Awaited<ReturnType<typeof cameraH264DelayMs>> | undefined;
  const h264Scenario = scenarios.find((s) => s.codec === 'h264' && !s.rtsp);
  if (h264Scenario) {
    log('the simulated camera\'s own H.264 delay ...');
    cameraDelay = await cameraH264DelayMs(h264Scenario, 5_000);
  }

  const runs: RunResult[] = [];
  const idleRuns: IdleResult[] = [];
  const rtspRuns: RtspResult[] = [];
  try {
    for (const s of scenarios) {
      if (s.rtsp) {
        log(`${s.name}: picamd idle, then ${s.fast} viewers of ${httpPath(s)}, then ${s.fast} RTSP viewers, ${MEASURE_MS / 1000} s each ...`);
        const r = await runRtsp(s, scripts);
        rtspRuns.push(r);
        log(`  CPU per viewer: HTTP ${f(r.http.perViewerCpuPercent, 2)}%, RTSP ${f(r.rtsp.perViewerCpuPercent, 2)}% of a core (RTSP / HTTP ${f(r.perViewerRatio, 2)})`);
        continue;
      }
      if (s.idle) {
        for (let round = 1; round <= ROUNDS; round++) {
          log(`${s.name}: the bare reader, the reader with the parser, then picamd, ${IDLE_MS / 1000} s each${ROUNDS > 1 ? ` (round ${round} of ${ROUNDS})` : ''} ...`);
          const r = await runIdle(s, scripts);
          idleRuns.push(r);
          log(
            `  picamd ${f(r.picamd.cpuPercent, 2)}% of a core, ${f(r.picamd.wakeupsPerSecond)} wakeups/s; ` +
              `bare reader ${f(r.reader.cpuPercent, 2)}%, ${f(r.reader.wakeupsPerSecond)}/s`,
          );
        }
        continue;
      }
      // Interleaved, so every server sees the same machine; never two at once.
      const rounds = s.codec === 'mjpeg' ? ROUNDS : 1;
      for (let round = 1; round <= rounds; round++) for (const kind of kindsFor(s)) {
        log(`${s.name} on ${kind}${rounds > 1 ? ` (round ${round} of ${rounds})` : ''} ...`);
        const r = await runOne(kind, s, scripts, round);
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
  out.push(`picamd: node ${cli['picamd-node-flags']}; ${Object.entries(UNIT_ENV).map(([k, v]) => `${k}=${v}`).join(' ') || 'without the unit\'s malloc settings'}`);
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
  if (limitSkipped) out.push(`C limit: skipped: ${limitSkipped}`);
  if (runs.length) {
    out.push('');
    out.push(table(runs));
  }
  const rs = ratios(runs);
  if (rs.length) {
    out.push('');
    out.push(ratioTable(rs));
  }
  const ls = limitRatios(runs);
  if (ls.length) {
    out.push('');
    out.push(
      'picamd against the limit: a minimal C epoll fan-out (test/bench/limit-server.c: the same camera, frames cut and laid out once, ' +
        'one send() per viewer per frame, the newest frame for a busy viewer), what this kernel and machine allow:',
    );
    out.push(limitTable(ls));
  }
  for (const r of idleRuns) {
    out.push('');
    out.push(
      `idle: the camera streaming (${r.scenario}), no viewer, ${r.windowMs / 1000} s after ${IDLE_SETTLE_MS / 1000} s of rest; ` +
        'picamd against a bare node process that only reads the same camera pipe, and that reader with picamd\'s FrameParser. ' +
        'CPU from the threads\' run time (schedstat), and from /proc/<pid>/stat\'s ticks as a cross-check; ' +
        'wakeups are voluntary context switches, summed over all threads:',
    );
    out.push(idleTable(r));
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
  if (rtspRuns.length) {
    out.push('');
    out.push(
      'RTSP beside HTTP, on one picamd: idle, then the HTTP viewers, then as many RTSP viewers (RTP over interleaved TCP, ' +
        'test/bench/rtsp-counter.ts, in this process); CPU per viewer = (picamd\'s CPU - idle) / viewers:',
    );
    out.push(rtspTable(rtspRuns));
  }
  const ts_ = targets(runs, idleRuns);
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
    `${JSON.stringify({ startedAt: startedAt.toISOString(), machine: host, settings: { warmupMs: WARMUP_MS, measureMs: MEASURE_MS, slowMeasureMs: SLOW_MEASURE_MS, idleMs: IDLE_MS, idleSettleMs: IDLE_SETTLE_MS, rounds: ROUNDS, restMs: REST_MS, limitSkipped, graceMs: GRACE_MS, jpegQuality: JPEG_QUALITY, slowBytesPerSecond: SLOW_BYTES_PER_SECOND, clockTicks: CLK_TCK }, runs, ratios: rs, limitRatios: ls, idle: idleRuns, rtsp: rtspRuns, codecComparison: cs, cameraH264DelayMs: cameraDelay, parser, targets: ts_ }, null, 2)}\n`,
  );
  log(`results written to ${file}`);
}

await main();
