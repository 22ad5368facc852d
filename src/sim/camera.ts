// Simulated camera: a drop-in stand-in for `rpicam-vid -t 0 -n --codec mjpeg --flush -o - ...` (or
// `--codec h264 --inline`) for demos, tests and benchmarks on machines without a Pi camera. Run as
// `node dist/sim/camera.js <flags>`. H.264 is encoded by ffmpeg (libx264) from the same pictures; see
// h264.ts. MJPEG needs nothing but Node.js.
//
// It behaves like a camera, not like a file: frames are paced by a drift-free clock, a frame that
// cannot be written because stdout is still busy is dropped (never queued), and it never outlives
// its parent. Fault injection for tests comes through PICAMD_SIM_FAULT (see args.ts) and an emulated
// sensor's limits through PICAMD_SIM_SENSOR (see sensor.ts), so the argv stays exactly what rpicam-vid
// gets. Errors end it at once the way rpicam-vid ends: "ERROR: *** message ***" and exit status 255.

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
import { prerenderSimFrames } from './frames.js';
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
  // A closed stderr must not crash us; stdout errors are handled below.
  process.stderr.on('error', () => {});
  const parentPid = process.ppid;

  let options: SimOptions;
  let faults: SimFaults;
  let sensor: SimSensor | undefined;
  try {
    options = parseSimArgs(process.argv.slice(2));
    faults = parseSimFaults(process.env.PICAMD_SIM_FAULT);
    sensor = parseSimSensor(process.env.PICAMD_SIM_SENSOR);
    // A cut access unit cannot be told from a whole one in Annex-B, so there is nothing to test with it.
    if (options.codec === 'h264' && faults.truncateEvery) {
      throw new SimUsageError("PICAMD_SIM_FAULT: 'truncate-every' is for mjpeg only");
    }
  } catch (err) {
    if (!(err instanceof SimUsageError)) throw err;
    log(`ERROR: *** ${err.message} ***`);
    process.exit(SIM_ERROR_EXIT_CODE);
  }
  if (options.help) {
    process.stdout.write(SIM_USAGE);
    return;
  }

  const { width, height, framerate } = options;
  log(`picamd-sim: simulated camera ${options.camera} (pid ${process.pid}), no libcamera involved`);
  if (options.tuningFile !== null) {
    const problem = tuningFileProblem(options.tuningFile);
    if (problem) {
      // libcamera's IPA fails to load, so the camera never registers; these are its lines.
      log(problem);
      log(`ERROR IPARPI ipa_base.cpp: Failed to load tuning data file ${options.tuningFile}`);
      log('ERROR: *** no cameras available ***');
      process.exit(SIM_ERROR_EXIT_CODE);
    }
  }
  log(`Mode selection for ${width}:${height}:12:P`);
  if (sensor) {
    const choice = chooseSensorMode(sensor, { width, height, framerate, hdr: options.hdr });
    if (!choice.ok) {
      log(`ERROR: *** ${choice.reason} ***`);
      process.exit(SIM_ERROR_EXIT_CODE);
    }
    log(`    SIMULATED_${sensor.name},${choice.mode.width}x${choice.mode.height}/${choice.mode.fps}${choice.hdr ? ' (HDR)' : ''}`);
  } else {
    log(`    SIMULATED_YUV420,${width}x${height}/${framerate} - Score: 0`);
  }
  // rotation 180 is hflip + vflip, as in rpicam-apps.
  const hflip = options.hflip !== (options.rotation === 180);
  const vflip = options.vflip !== (options.rotation === 180);
  const settings = simSettingsSummary(options);
  if (settings.length) log(`picamd-sim: settings ${settings.join(' ')}`);
  const prerenderStart = performance.now();
  const h264 = options.codec === 'h264';
  const frames = prerenderSimFrames({
    width,
    height,
    // In H.264 mode the JPEGs are only ffmpeg's input: a clean source whatever -q says.
    quality: h264 ? H264_SOURCE_QUALITY : options.quality,
    ...(h264 ? { codecLabel: 'h264' } : {}),
    framerate,
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
  log(
    `configuring streams: (0) ${width}x${height}-YUV420 ` +
      (h264
        ? `h264 ${options.profile ?? 'high'} level ${options.level ?? 'auto'} intra ${simGopFrames(options)} ` +
          `${options.bitrateBps > 0 ? `${options.bitrateBps} bps` : 'crf 23'}${options.inline ? ' inline' : ''}`
        : `mjpeg q${options.quality}`) +
      ` ${framerate} fps` +
      ` hflip=${Number(hflip)} vflip=${Number(vflip)}` +
      (Object.keys(faults).length ? ` faults=${process.env.PICAMD_SIM_FAULT}` : ''),
  );

  const out = process.stdout;
  const periodMs = 1000 / framerate;
  const start = performance.now();
  let nextSeq = 0;
  let written = 0;
  let droppedBusy = 0;
  let skippedLate = 0;
  let busy = false;
  let producing = true;
  let frameTimer: NodeJS.Timeout | undefined;
  let finished = false;

  const finish = (code: number, reason: string) => {
    if (finished) return;
    finished = true;
    producing = false;
    clearTimeout(frameTimer);
    encoder?.stop();
    log(
      `picamd-sim: ${reason}; ${written} frames written, ${droppedBusy} dropped while ` +
        `${encoder ? 'stdout or the encoder was' : 'stdout was'} busy, ${skippedLate} skipped late`,
    );
    process.exit(code);
  };

  out.on('drain', () => (busy = false));
  out.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') finish(0, 'stdout closed');
    else finish(1, `ERROR: stdout: ${err.message}`);
  });

  /** Writes one encoded frame (a JPEG, or an H.264 access unit) with the faults that apply to it. */
  const write = (frame: Buffer) => {
    written++;
    if (faults.truncateEvery && written % faults.truncateEvery === 0) {
      // Somewhere in the entropy-coded data, well before the EOI.
      frame = frame.subarray(0, Math.floor(frame.length * (0.25 + 0.65 * Math.random())));
      // A cut ending on 0xFF, followed by garbage starting with D9, would form a real EOI: a cut
      // frame no parser could tell from a whole one. A camera's own truncation is not that unlucky
      // on purpose, so neither is the simulator's.
      while (frame.at(-1) === 0xff) frame = frame.subarray(0, -1);
    }
    let ready = out.write(frame);
    if (faults.garbageEvery && written % faults.garbageEvery === 0) ready = out.write(h264 ? h264Garbage() : garbage()) && ready;
    if (!ready) busy = true;
    if (faults.crashAfter !== undefined && written >= faults.crashAfter) {
      producing = false;
      // Crash once the frames are out, so the reader sees exactly crashAfter frames.
      const count = written;
      out.write(Buffer.alloc(0), () => finish(1, `ERROR: simulated crash after ${count} frames`));
      return;
    }
    if (faults.stallAfter !== undefined && written >= faults.stallAfter) stall();
  };

  const encoder = h264
    ? new SimH264Encoder({
        settings: options,
        inline: options.inline,
        onUnit: (unit) => {
          // After a stall or a crash nothing more comes out, as from a camera that stopped.
          if (producing) write(unit);
        },
        onFailure: (lines) => {
          for (const line of lines.slice(0, -1)) log(line);
          log(`ERROR: *** ${lines.at(-1)} ***`);
          finish(SIM_ERROR_EXIT_CODE, 'the H.264 encoder failed');
        },
      })
    : undefined;

  const send = (seq: number) => {
    const frame = frames.frame(seq, nowUs());
    if (encoder) {
      // The stamp of the JPEG is the frame's capture time; the encoder carries it to the SEI.
      const stamp = readSimStamp(frame)!;
      if (!encoder.encode(frame, stamp.seq, stamp.tUs)) droppedBusy++;
    } else {
      write(frame);
    }
  };

  const stall = () => {
    producing = false;
    log(`picamd-sim: simulated stall after ${written} frames (still running, writing nothing)`);
  };

  const tick = () => {
    frameTimer = undefined;
    const step = pace(start, periodMs, nextSeq, performance.now());
    nextSeq = step.nextSeq;
    skippedLate += step.skipped;
    if (step.seq !== undefined) {
      // A camera drops a frame it cannot deliver; queueing would only add latency.
      if (busy || encoder?.busy) droppedBusy++;
      else send(step.seq);
    }
    if (producing) frameTimer = setTimeout(tick, Math.ceil(step.delayMs));
  };

  process.on('SIGTERM', () => finish(0, 'stopping on SIGTERM'));
  process.on('SIGINT', () => finish(0, 'stopping on SIGINT'));

  // Never linger: a parent that dies without stopping us shows up as a new ppid (we were adopted).
  setInterval(() => {
    if (process.ppid !== parentPid) finish(0, `parent ${parentPid} is gone`);
  }, PARENT_CHECK_MS);
  // When stdin is a pipe, its end means the parent is gone (or wants us gone). Usually it is /dev/null.
  if (stdinIsPipe()) {
    process.stdin.on('data', () => {});
    process.stdin.on('end', () => finish(0, 'stdin closed'));
    process.stdin.on('error', () => finish(0, 'stdin closed'));
  }
  if (options.timeoutMs > 0) {
    // setTimeout fires at once for delays past 2^31 - 1 ms (~24.8 days); such a timeout is "never".
    const ms = Math.min(options.timeoutMs, 2 ** 31 - 1);
    setTimeout(() => finish(0, `timeout of ${options.timeoutMs} ms reached`), ms);
  }

  if (encoder) {
    encoder.start();
    log(`picamd-sim: encoding with ${encoder.commandLine.join(' ')} (pid ${encoder.pid ?? 'none'})`);
  }
  if (faults.crashAfter === 0) finish(1, 'ERROR: simulated crash after 0 frames');
  else if (faults.stallAfter === 0) stall();
  else tick();
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
