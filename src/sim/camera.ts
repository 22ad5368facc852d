// Simulated camera: a drop-in stand-in for `rpicam-vid ... -o -` (MJPEG, or H.264 through ffmpeg) for
// demos, tests and benchmarks without a Pi camera. It behaves like a camera, not a file; usage, faults
// and sensors: docs/camera-settings.md#the-simulated-camera. Run as `node dist/sim/camera.js <flags>`.

import { randomBytes } from 'node:crypto';
import { fstatSync, readFileSync } from 'node:fs';
import {
  parseSimArgs,
  parseSimFaults,
  SIM_ERROR_EXIT_CODE,
  SIM_USAGE,
  SimUsageError,
  type SimFaults,
  type SimOptions,
} from './options.js';
import { prerenderSimFrames, type SimFrames } from './frames.js';
import { simGopFrames, SimH264Encoder } from './h264.js';
import { pace } from './pacer.js';
import { chooseSensorMode, parseSimSensor, type SimSensor } from './sensor.js';
import { nowUs, readSimStamp } from './stamp.js';
import { simSettingsSummary } from './summary.js';

/** JPEG quality of the pictures ffmpeg encodes in H.264 mode. */
const H264_SOURCE_QUALITY = 85;

/** How often to check that the parent is still there (stdin is usually /dev/null, so no EOF tells us). */
const PARENT_CHECK_MS = 500;

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function main(): void {
  // A closed stderr must not crash us; stdout errors are handled by the run.
  process.stderr.on('error', () => {});
  const parentPid = process.ppid;
  const { options, faults, sensor } = readInvocation();
  if (options.help) {
    process.stdout.write(SIM_USAGE);
    return;
  }
  log(`picamd-sim: simulated camera ${options.camera} (pid ${process.pid}), no libcamera involved`);
  if (options.tuningFile !== null) loadTuningFile(options.tuningFile);
  selectMode(options, sensor);
  // rotation 180 is hflip + vflip, as in rpicam-apps.
  const hflip = options.hflip !== (options.rotation === 180);
  const vflip = options.vflip !== (options.rotation === 180);
  const frames = prerender(options, hflip, vflip);
  log(`configuring streams: (0) ${describeStream(options, hflip, vflip)}${describeFaults(faults)}`);
  const run = new SimRun(options, faults, frames);
  armEndings(run, parentPid, options.timeoutMs);
  run.start();
}

/** Usage error: the line rpicam-vid prints, and its exit status. */
function fail(message: string): never {
  log(`ERROR: *** ${message} ***`);
  process.exit(SIM_ERROR_EXIT_CODE);
}

/** The argv, and the faults and sensor the environment asks for. */
function readInvocation(): { options: SimOptions; faults: SimFaults; sensor: SimSensor | undefined } {
  try {
    const options = parseSimArgs(process.argv.slice(2));
    const faults = parseSimFaults(process.env.PICAMD_SIM_FAULT);
    const sensor = parseSimSensor(process.env.PICAMD_SIM_SENSOR);
    // A cut access unit cannot be told from a whole one in Annex-B, so there is nothing to test with it.
    if (options.codec === 'h264' && faults.truncateEvery) {
      throw new SimUsageError("PICAMD_SIM_FAULT: 'truncate-every' is for mjpeg only");
    }
    return { options, faults, sensor };
  } catch (err) {
    if (!(err instanceof SimUsageError)) throw err;
    fail(err.message);
  }
}

/** A tuning file libcamera cannot load fails its IPA, so no camera registers; these are its lines. */
function loadTuningFile(path: string): void {
  const problem = tuningFileProblem(path);
  if (!problem) return;
  log(problem);
  log(`ERROR IPARPI ipa_base.cpp: Failed to load tuning data file ${path}`);
  fail('no cameras available');
}

/** The sensor mode for the requested size and rate, logged as libcamera logs it. */
function selectMode(options: SimOptions, sensor: SimSensor | undefined): void {
  const { width, height, framerate } = options;
  log(`Mode selection for ${width}:${height}:12:P`);
  if (!sensor) {
    log(`    SIMULATED_YUV420,${width}x${height}/${framerate} - Score: 0`);
    return;
  }
  const choice = chooseSensorMode(sensor, { width, height, framerate, hdr: options.hdr });
  if (!choice.ok) fail(choice.reason);
  log(`    SIMULATED_${sensor.name},${choice.mode.width}x${choice.mode.height}/${choice.mode.fps}${choice.hdr ? ' (HDR)' : ''}`);
}

/** Every picture is built before the first frame is due, so a frame costs almost nothing. */
function prerender(options: SimOptions, hflip: boolean, vflip: boolean): SimFrames {
  const settings = simSettingsSummary(options);
  if (settings.length) log(`picamd-sim: settings ${settings.join(' ')}`);
  const prerenderStart = performance.now();
  const h264 = options.codec === 'h264';
  const frames = prerenderSimFrames({
    width: options.width,
    height: options.height,
    // In H.264 mode the JPEGs are only ffmpeg's input: a clean source whatever -q says.
    quality: h264 ? H264_SOURCE_QUALITY : options.quality,
    ...(h264 ? { codecLabel: 'h264' } : {}),
    framerate: options.framerate,
    hflip,
    vflip,
    brightness: options.brightness,
    contrast: options.contrast,
    saturation: options.saturation,
    caption: settings,
  });
  log(
    `picamd-sim: pre-rendered in ${Math.round(performance.now() - prerenderStart)} ms, ` +
      `frames about ${Math.round(frames.approxFrameBytes / 1024)} KiB`,
  );
  return frames;
}

/** The stream as rpicam-vid's "configuring streams" line would show it. */
function describeStream(options: SimOptions, hflip: boolean, vflip: boolean): string {
  const codec =
    options.codec === 'h264'
      ? `h264 ${options.profile ?? 'high'} level ${options.level ?? 'auto'} intra ${simGopFrames(options)} ` +
        `${options.bitrateBps > 0 ? `${options.bitrateBps} bps` : 'crf 23'}${options.inline ? ' inline' : ''}`
      : `mjpeg q${options.quality}`;
  const flips = `hflip=${Number(hflip)} vflip=${Number(vflip)}`;
  return `${options.width}x${options.height}-YUV420 ${codec} ${options.framerate} fps ${flips}`;
}

function describeFaults(faults: SimFaults): string {
  return Object.keys(faults).length ? ` faults=${process.env.PICAMD_SIM_FAULT}` : '';
}

/**
 * One run of the camera: frames paced by the clock, written to stdout (through ffmpeg in H.264 mode)
 * with the faults asked for, dropped while the reader is busy, and one summary line at the end.
 */
class SimRun {
  private readonly out = process.stdout;
  private readonly encoder: SimH264Encoder | undefined;
  private readonly periodMs: number;
  private startMs = 0;
  private nextSeq = 0;
  private written = 0;
  private droppedBusy = 0;
  private skippedLate = 0;
  private busy = false;
  private producing = true;
  private frameTimer: NodeJS.Timeout | undefined;
  private finished = false;

  constructor(
    private readonly options: SimOptions,
    private readonly faults: SimFaults,
    private readonly frames: SimFrames,
  ) {
    this.periodMs = 1000 / options.framerate;
    this.encoder =
      options.codec === 'h264'
        ? new SimH264Encoder({
            settings: options,
            inline: options.inline,
            onUnit: (unit) => {
              // After a stall or a crash nothing more comes out, as from a camera that stopped.
              if (this.producing) this.write(unit);
            },
            onFailure: (lines) => {
              for (const line of lines.slice(0, -1)) log(line);
              log(`ERROR: *** ${lines.at(-1)} ***`);
              this.finish(SIM_ERROR_EXIT_CODE, 'the H.264 encoder failed');
            },
          })
        : undefined;
  }

  start(): void {
    this.startMs = performance.now();
    this.out.on('drain', () => (this.busy = false));
    this.out.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') this.finish(0, 'stdout closed');
      else this.finish(1, `ERROR: stdout: ${err.message}`);
    });
    if (this.encoder) {
      this.encoder.start();
      log(`picamd-sim: encoding with ${this.encoder.commandLine.join(' ')} (pid ${this.encoder.pid ?? 'none'})`);
    }
    if (this.faults.crashAfter === 0) this.finish(1, 'ERROR: simulated crash after 0 frames');
    else if (this.faults.stallAfter === 0) this.stall();
    else this.tick();
  }

  /** Stops producing, logs the tallies and exits; only the first call counts. */
  finish(code: number, reason: string): void {
    if (this.finished) return;
    this.finished = true;
    this.producing = false;
    clearTimeout(this.frameTimer);
    this.encoder?.stop();
    log(
      `picamd-sim: ${reason}; ${this.written} frames written, ${this.droppedBusy} dropped while ` +
        `${this.encoder ? 'stdout or the encoder was' : 'stdout was'} busy, ${this.skippedLate} skipped late`,
    );
    process.exit(code);
  }

  private tick(): void {
    this.frameTimer = undefined;
    const step = pace(this.startMs, this.periodMs, this.nextSeq, performance.now());
    this.nextSeq = step.nextSeq;
    this.skippedLate += step.skipped;
    if (step.seq !== undefined) {
      // A camera drops a frame it cannot deliver; queueing would only add latency.
      if (this.busy || this.encoder?.busy) this.droppedBusy++;
      else this.send(step.seq);
    }
    if (this.producing) this.frameTimer = setTimeout(() => this.tick(), Math.ceil(step.delayMs));
  }

  /** Captures frame `seq` and writes it, or gives it to the encoder. */
  private send(seq: number): void {
    const frame = this.frames.frame(seq, nowUs());
    if (this.encoder) {
      // The stamp of the JPEG is the frame's capture time; the encoder carries it to the SEI.
      const stamp = readSimStamp(frame)!;
      if (!this.encoder.encode(frame, stamp.seq, stamp.tUs)) this.droppedBusy++;
    } else {
      this.write(frame);
    }
  }

  /** Writes one encoded frame (a JPEG, or an H.264 access unit) with the faults that apply to it. */
  private write(frame: Buffer): void {
    const { faults, out } = this;
    this.written++;
    if (faults.truncateEvery && this.written % faults.truncateEvery === 0) frame = truncated(frame);
    let ready = out.write(frame);
    if (faults.garbageEvery && this.written % faults.garbageEvery === 0) {
      ready = out.write(this.encoder ? h264Garbage() : garbage()) && ready;
    }
    if (!ready) this.busy = true;
    if (faults.crashAfter !== undefined && this.written >= faults.crashAfter) {
      this.producing = false;
      // Crash once the frames are out, so the reader sees exactly crashAfter frames.
      const count = this.written;
      out.write(Buffer.alloc(0), () => this.finish(1, `ERROR: simulated crash after ${count} frames`));
      return;
    }
    if (faults.stallAfter !== undefined && this.written >= faults.stallAfter) this.stall();
  }

  private stall(): void {
    this.producing = false;
    log(`picamd-sim: simulated stall after ${this.written} frames (still running, writing nothing)`);
  }
}

/** Ends the run on SIGTERM/SIGINT, at the -t timeout, and when the parent is gone: it never lingers. */
function armEndings(run: SimRun, parentPid: number, timeoutMs: number): void {
  process.on('SIGTERM', () => run.finish(0, 'stopping on SIGTERM'));
  process.on('SIGINT', () => run.finish(0, 'stopping on SIGINT'));
  // A parent that dies without stopping us shows up as a new ppid (we were adopted).
  setInterval(() => {
    if (process.ppid !== parentPid) run.finish(0, `parent ${parentPid} is gone`);
  }, PARENT_CHECK_MS);
  // When stdin is a pipe, its end means the parent is gone (or wants us gone). Usually it is /dev/null.
  if (stdinIsPipe()) {
    process.stdin.on('data', () => {});
    process.stdin.on('end', () => run.finish(0, 'stdin closed'));
    process.stdin.on('error', () => run.finish(0, 'stdin closed'));
  }
  if (timeoutMs > 0) {
    // setTimeout fires at once for delays past 2^31 - 1 ms (~24.8 days); such a timeout is "never".
    const ms = Math.min(timeoutMs, 2 ** 31 - 1);
    setTimeout(() => run.finish(0, `timeout of ${timeoutMs} ms reached`), ms);
  }
}

/**
 * Somewhere in the entropy-coded data, well before the EOI. A cut ending on 0xFF, followed by garbage
 * starting with D9, would form a real EOI: a cut frame no parser could tell from a whole one. A
 * camera's own truncation is not that unlucky on purpose, so neither is the simulator's.
 */
function truncated(frame: Buffer): Buffer {
  let cut = frame.subarray(0, Math.floor(frame.length * (0.25 + 0.65 * Math.random())));
  while (cut.at(-1) === 0xff) cut = cut.subarray(0, -1);
  return cut;
}

/**
 * What libcamera would say of this tuning file, or undefined if it would load: it must be readable and
 * parse (as JSON here; libcamera's YAML parser takes JSON), and a version 2 file needs "algorithms".
 */
function tuningFileProblem(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return ` WARN RPiController controller.cpp: Failed to open tuning file '${path}'`;
  }
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    // Not the parser's message: Node's quotes a piece of the file, which could end up on the page.
    return `ERROR YamlParser yaml_parser.cpp: ${path} is not valid JSON or YAML`;
  }
  if (typeof root !== 'object' || root === null || Array.isArray(root)) {
    return `ERROR RPiController controller.cpp: Tuning file ${path} is not a dictionary`;
  }
  const version = (root as { version?: unknown }).version;
  if (typeof version === 'number' && version >= 2 && !Array.isArray((root as { algorithms?: unknown }).algorithms)) {
    return `ERROR RPiController controller.cpp: Tuning file ${path} does not have an "algorithms" list!`;
  }
  return undefined;
}

function stdinIsPipe(): boolean {
  try {
    const stat = fstatSync(0);
    return stat.isFIFO() || stat.isSocket();
  } catch {
    return false;
  }
}

/**
 * H.264 garbage a parser can recognise: a NAL unit with forbidden_zero_bit set (random bytes appended
 * to a slice would only corrupt it unnoticed), without zero bytes, so it holds no start code.
 */
function h264Garbage(): Buffer {
  const bytes = randomBytes(64 + Math.floor(Math.random() * 4000));
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0) bytes[i] = 0x5a;
  bytes[0]! |= 0x80;
  return Buffer.concat([Buffer.from([0, 0, 0, 1]), bytes]);
}

/** Random bytes that cannot be mistaken for the start or end of a frame. */
function garbage(): Buffer {
  const bytes = randomBytes(64 + Math.floor(Math.random() * 4000));
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0xff && (i === bytes.length - 1 || bytes[i + 1] === 0xd8 || bytes[i + 1] === 0xd9)) {
      bytes[i] = 0x00;
    }
  }
  return bytes;
}

main();
