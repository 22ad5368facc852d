// The benchmark's viewers: one process, many raw sockets, run apart from the server under test and
// driven by test/bench/run.ts over IPC (child_process.fork):
//   run → load   {type:'start', ...LoadPlan}   open the viewers, answer {type:'ready'} once every
//                                               response head has arrived
//   run → load   {type:'begin'}                start the measurement window, answer {type:'begun'}
//   run → load   {type:'end'}                  answer {type:'result', result: LoadResult}
//   run → load   {type:'exit'}                 close everything and exit
//
// Fast viewers read with one shared buffer for all sockets (net's `onread`), so reading allocates
// nothing; slow viewers read small pieces and pause to hold their rate. Frames are counted by
// MultipartCounter (/stream.mjpg) or Mp4Counter (/stream.mp4, one picture per moof + mdat, stamped
// in an SEI NAL unit); latency is the time from the simulated camera's stamp to the frame's last byte
// arriving here (both clocks are this machine's wall clock, so no synchronisation is needed).

import { connect, type Socket } from 'node:net';
import { nowUs } from '../../src/sim/stamp.js';
import { Mp4Counter } from './mp4-counter.js';
import { MultipartCounter } from './multipart-counter.js';

export interface LoadPlan {
  host: string;
  port: number;
  path: string;
  fast: number;
  slow: number;
  /** Read rate of each slow viewer. */
  slowBytesPerSecond: number;
  /** Frames count if the camera stamped them in [begin, begin + captureMs). */
  captureMs: number;
}

export interface GroupResult {
  viewers: number;
  /** Frames each viewer received that were captured in the window, ascending. */
  frames: number[];
  /** Bytes each viewer received in the measurement window, ascending. */
  bytes: number[];
  /** Latency percentiles in ms over every counted frame of the group; null without frames. */
  latencyMs: { p50: number; p90: number; p99: number; max: number; count: number } | null;
  /** /stream.mp4 only: what the group's viewers received in the window, summed over them. */
  video?: VideoGroupResult;
}

export interface VideoGroupResult {
  keyframes: number;
  /** Pictures a viewer was not sent, found in the decode times (tfdt; each viewer's fragments are numbered 1, 2, 3...), and how many. */
  gaps: number;
  skipped: number;
  /** Gaps that ended on a keyframe (the viewer went on from there, as it should). */
  resyncs: number;
  /** Gaps that ended on another picture: a broken reference chain (must be 0). */
  brokenChains: number;
  /** Gaps in the stamps where the decode times showed none: frames the camera dropped before encoding. */
  cameraGaps: number;
  /** Viewers whose first picture was not a keyframe (must be 0). */
  startedWithoutKeyframe: number;
  /** Init segments received (one per viewer, plus parameter-set changes). */
  inits: number;
  /**
   * How far behind the camera the viewers were at the window's end: now minus the capture time of
   * the last picture each received, median and worst over the group, in ms.
   */
  lagMs: { median: number; max: number } | null;
}

export interface LoadResult {
  /** From begin to end, for bytes and CPU. */
  windowMs: number;
  captureMs: number;
  /** Distinct stamped frames captured in the window that reached at least one viewer. */
  framesSeen: number;
  /** Frames the camera was due to produce in the window: last seq - first seq + 1 of those seen. */
  framesDue: number;
  fast: GroupResult;
  slow: GroupResult;
  /** Bytes received by all viewers in the window. */
  bytes: number;
  /** This process's own CPU time in the window, in ms (user + system). */
  cpuMs: number;
  /** Frames without a stamp (placeholders, or a server that altered the JPEG). */
  unstamped: number;
  errors: string[];
  disconnected: number;
}

type Message = { type: 'start'; plan: LoadPlan } | { type: 'begin' } | { type: 'end' } | { type: 'exit' };

/**
 * Latency histogram: 10 µs steps up to 100 ms, then 1 ms steps up to 10 s (the last bucket holds
 * everything longer). Constant memory, one increment per frame.
 */
class LatencyHistogram {
  private readonly fine = new Uint32Array(10_000);
  private readonly coarse = new Uint32Array(9_901);
  count = 0;
  private maxUs = 0;

  add(us: number): void {
    if (us < 0) us = 0;
    this.count++;
    if (us > this.maxUs) this.maxUs = us;
    if (us < 100_000) this.fine[Math.floor(us / 10)]!++;
    else this.coarse[Math.min(9_900, Math.floor((us - 100_000) / 1000))]!++;
  }

  /** The upper edge of the bucket holding the q-quantile, in ms. */
  quantileMs(q: number): number {
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < this.fine.length; i++) {
      seen += this.fine[i]!;
      if (seen >= rank) return ((i + 1) * 10) / 1000;
    }
    for (let i = 0; i < this.coarse.length; i++) {
      seen += this.coarse[i]!;
      if (seen >= rank) return 100 + i + 1;
    }
    return this.maxUs / 1000;
  }

  summary(): GroupResult['latencyMs'] {
    if (this.count === 0) return null;
    return {
      p50: this.quantileMs(0.5),
      p90: this.quantileMs(0.9),
      p99: this.quantileMs(0.99),
      max: this.maxUs / 1000,
      count: this.count,
    };
  }
}

const VIDEO_KEYS = ['keyframes', 'gaps', 'skipped', 'resyncs', 'brokenChains', 'cameraGaps', 'inits'] as const;

class LoadViewer {
  readonly counter: MultipartCounter | Mp4Counter;
  /** The Mp4Counter's tallies when the window began. */
  videoAtBegin: Record<(typeof VIDEO_KEYS)[number], number> | undefined;
  socket!: Socket;
  /** Frames captured in the window. */
  frames = 0;
  /** Capture time of the last stamped frame received. */
  lastTUs = -1;
  bytesAtBegin = 0;
  closed = false;

  constructor(
    readonly slow: boolean,
    mp4: boolean,
    onFrame: (viewer: LoadViewer, seq: number, tUs: number) => void,
  ) {
    this.counter = mp4 ? new Mp4Counter((seq, tUs) => onFrame(this, seq, tUs)) : new MultipartCounter((seq, tUs) => onFrame(this, seq, tUs));
  }

  /** The Mp4Counter's tallies since the window began; undefined for MJPEG. */
  videoInWindow(): Omit<VideoGroupResult, 'lagMs'> | undefined {
    const c = this.counter;
    if (!(c instanceof Mp4Counter)) return undefined;
    const at = this.videoAtBegin;
    const since = (k: (typeof VIDEO_KEYS)[number]) => c[k] - (at?.[k] ?? 0);
    return {
      keyframes: since('keyframes'),
      gaps: since('gaps'),
      skipped: since('skipped'),
      resyncs: since('resyncs'),
      brokenChains: since('brokenChains'),
      cameraGaps: since('cameraGaps'),
      inits: since('inits'),
      startedWithoutKeyframe: c.startedWithoutKeyframe ? 1 : 0,
    };
  }
}

/** One buffer for every fast socket: onread hands each read to the counter before the next one. */
const SHARED_READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

class Load {
  private readonly viewers: LoadViewer[] = [];
  private readonly fastLatency = new LatencyHistogram();
  private readonly slowLatency = new LatencyHistogram();
  private readonly seen = new Set<number>();
  private minSeq = Number.POSITIVE_INFINITY;
  private maxSeq = Number.NEGATIVE_INFINITY;
  private windowStartUs = Number.POSITIVE_INFINITY;
  private captureEndUs = Number.NEGATIVE_INFINITY;
  private beganAt = 0;
  private cpuAtBegin = process.cpuUsage();
  private unstamped = 0;
  private readonly errors: string[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly plan: LoadPlan) {}

  /** Opens every viewer; resolves once each has its response head. */
  async start(): Promise<void> {
    const onFrame = (viewer: LoadViewer, seq: number, tUs: number) => this.onFrame(viewer, seq, tUs);
    for (let i = 0; i < this.plan.fast + this.plan.slow; i++) {
      const viewer = new LoadViewer(i >= this.plan.fast, this.plan.path.endsWith('.mp4'), onFrame);
      this.viewers.push(viewer);
      this.open(viewer);
      // Let the server accept in batches rather than overflowing its listen backlog.
      if (i % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const deadline = Date.now() + 20_000;
    while (this.viewers.some((v) => v.counter.status === 0 && !v.closed && !v.counter.failed)) {
      if (Date.now() > deadline) throw new Error('viewers did not all get a response head within 20 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const broken = this.viewers.filter((v) => v.counter.status !== 200);
    if (broken.length) {
      throw new Error(`${broken.length} viewers failed to connect: ${broken[0]!.counter.error ?? 'connection closed'}`);
    }
  }

  private open(viewer: LoadViewer): void {
    const { host, port, path } = this.plan;
    const onData = (n: number, buf: Uint8Array): boolean => {
      viewer.counter.push(buf, 0, n);
      if (viewer.counter.failed) {
        this.errors.push(viewer.counter.error!);
        viewer.socket.destroy();
        return false;
      }
      if (!viewer.slow) return true;
      // Hold the rate: after n bytes, wait n / rate before reading again.
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (!viewer.closed) viewer.socket.resume();
      }, (n / this.plan.slowBytesPerSecond) * 1000);
      this.timers.add(timer);
      return false;
    };
    // A slow viewer reads a tenth of a second's worth at a time.
    const buffer = viewer.slow ? Buffer.allocUnsafe(Math.max(256, Math.floor(this.plan.slowBytesPerSecond / 10))) : SHARED_READ_BUFFER;
    const socket = connect({ host, port, onread: { buffer, callback: onData } });
    viewer.socket = socket;
    socket.setNoDelay(true);
    socket.on('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`));
    socket.on('error', (err) => this.errors.push(`socket: ${err.message}`));
    socket.on('close', () => (viewer.closed = true));
  }

  private onFrame(viewer: LoadViewer, seq: number, tUs: number): void {
    if (seq < 0) {
      this.unstamped++;
      return;
    }
    viewer.lastTUs = tUs;
    if (tUs < this.windowStartUs || tUs >= this.captureEndUs) return;
    viewer.frames++;
    (viewer.slow ? this.slowLatency : this.fastLatency).add(nowUs() - tUs);
    if (!this.seen.has(seq)) {
      this.seen.add(seq);
      if (seq < this.minSeq) this.minSeq = seq;
      if (seq > this.maxSeq) this.maxSeq = seq;
    }
  }

  begin(): void {
    this.beganAt = performance.now();
    this.cpuAtBegin = process.cpuUsage();
    this.windowStartUs = nowUs();
    this.captureEndUs = this.windowStartUs + this.plan.captureMs * 1000;
    for (const viewer of this.viewers) {
      viewer.bytesAtBegin = viewer.counter.bytes;
      const c = viewer.counter;
      if (c instanceof Mp4Counter) viewer.videoAtBegin = Object.fromEntries(VIDEO_KEYS.map((k) => [k, c[k]])) as LoadViewer['videoAtBegin'];
    }
    this.errors.length = 0;
  }

  end(): LoadResult {
    const windowMs = performance.now() - this.beganAt;
    const cpu = process.cpuUsage(this.cpuAtBegin);
    const group = (slow: boolean, latency: LatencyHistogram): GroupResult => {
      const members = this.viewers.filter((v) => v.slow === slow);
      const result: GroupResult = {
        viewers: members.length,
        frames: members.map((v) => v.frames).sort((a, b) => a - b),
        bytes: members.map((v) => v.counter.bytes - v.bytesAtBegin).sort((a, b) => a - b),
        latencyMs: latency.summary(),
      };
      if (this.plan.path.endsWith('.mp4')) {
        const sums = { keyframes: 0, gaps: 0, skipped: 0, resyncs: 0, brokenChains: 0, cameraGaps: 0, startedWithoutKeyframe: 0, inits: 0 };
        for (const v of members) {
          const w = v.videoInWindow()!;
          for (const k of Object.keys(sums) as Array<keyof typeof sums>) sums[k] += w[k];
        }
        const now = nowUs();
        const lags = members.filter((v) => v.lastTUs >= 0).map((v) => (now - v.lastTUs) / 1000).sort((a, b) => a - b);
        result.video = { ...sums, lagMs: lags.length ? { median: lags[Math.floor(lags.length / 2)]!, max: lags[lags.length - 1]! } : null };
      }
      return result;
    };
    const fast = group(false, this.fastLatency);
    const slow = group(true, this.slowLatency);
    return {
      windowMs,
      captureMs: this.plan.captureMs,
      framesSeen: this.seen.size,
      framesDue: this.seen.size ? this.maxSeq - this.minSeq + 1 : 0,
      fast,
      slow,
      bytes: [...fast.bytes, ...slow.bytes].reduce((a, b) => a + b, 0),
      cpuMs: (cpu.user + cpu.system) / 1000,
      unstamped: this.unstamped,
      errors: [...new Set(this.errors)].slice(0, 10),
      disconnected: this.viewers.filter((v) => v.closed).length,
    };
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const viewer of this.viewers) viewer.socket.destroy();
  }
}

function send(message: unknown): void {
  process.send!(message);
}

if (process.send) {
  let load: Load | undefined;
  process.on('message', (message: Message) => {
    switch (message.type) {
      case 'start':
        load = new Load(message.plan);
        load.start().then(
          () => send({ type: 'ready' }),
          (err: Error) => send({ type: 'error', message: err.message }),
        );
        break;
      case 'begin':
        load?.begin();
        send({ type: 'begun' });
        break;
      case 'end':
        send({ type: 'result', result: load?.end() });
        break;
      case 'exit':
        load?.stop();
        process.disconnect();
        break;
    }
  });
  // The orchestrator is gone: nothing left to measure for.
  process.on('disconnect', () => {
    load?.stop();
    setTimeout(() => process.exit(0), 100).unref();
  });
}
