// The simulated camera's H.264 path: its JPEGs go through Debian's ffmpeg (libx264) and come out as
// Annex-B access units stamped with picamd's SEI. The pure parts (ffmpeg's argv, stamping) are apart
// from the process; the chain and its delay: docs/camera-settings.md#the-simulated-camera.

import { spawn as nodeSpawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { NalType, type AccessUnit } from '../formats/h264/access-unit.js';
import { AnnexBParser } from '../formats/h264/annexb.js';
import { buildStampSei } from '../formats/h264/sei.js';

export interface SimH264Settings {
  width: number;
  height: number;
  framerate: number;
  /** Frames from one IDR to the next; 0: one second's worth (libav's default in rpicam-apps). */
  intra: number;
  profile: string | null;
  level: string | null;
  /** 0: constant quality (CRF 23) instead of a bit rate. */
  bitrateBps: number;
}

/** The keyframe period the sim encodes with. */
export function simGopFrames(settings: Pick<SimH264Settings, 'intra' | 'framerate'>): number {
  return settings.intra > 0 ? settings.intra : Math.max(1, Math.round(settings.framerate));
}

/** ffmpeg's command line: JPEGs on stdin, raw H.264 (Annex-B) on stdout, one packet flushed at a time. */
export function simFfmpegArgs(settings: SimH264Settings): string[] {
  const gop = String(simGopFrames(settings));
  // ultrafast turns CABAC and 8x8 transforms off, and x264 then writes the lowest profile that fits
  // (constrained baseline). The Pi's encoder writes the profile it was asked for, so turn back on what
  // main and high are about.
  const x264 = ['repeat-headers=1'];
  if (settings.profile === 'main' || settings.profile === 'high' || settings.profile === null) x264.push('cabac=1');
  if (settings.profile === 'high' || settings.profile === null) x264.push('8x8dct=1');
  return [
    '-hide_banner', '-loglevel', 'error',
    // Start at once: the input format is given, so no probing, and no input buffering.
    '-probesize', '32', '-analyzeduration', '0', '-fflags', 'nobuffer',
    '-threads', '1',
    '-f', 'mjpeg', '-framerate', String(settings.framerate), '-i', 'pipe:0',
    // One frame out for every frame in: no duplicates or drops to fit a constant rate.
    '-fps_mode', 'passthrough',
    '-pix_fmt', 'yuv420p',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency',
    // IDR every `gop` frames exactly: no extra ones at scene cuts.
    '-g', gop, '-keyint_min', gop, '-sc_threshold', '0',
    ...(settings.profile ? ['-profile:v', settings.profile] : []),
    ...(settings.level ? ['-level:v', settings.level] : []),
    // A bit rate with a one-second buffer, as steady as a camera's encoder; or constant quality.
    ...(settings.bitrateBps > 0
      ? ['-b:v', String(settings.bitrateBps), '-maxrate', String(settings.bitrateBps), '-bufsize', String(settings.bitrateBps)]
      : ['-crf', '23']),
    '-x264-params', x264.join(':'),
    '-flush_packets', '1',
    '-f', 'h264', 'pipe:1',
  ];
}

const START_CODE = Buffer.from([0, 0, 0, 1]);
/** How every sim JPEG begins: SOI, then the COM marker of its stamp (frames.ts, stamp.ts). */
const FRAME_START = Buffer.from([0xff, 0xd8, 0xff, 0xfe]);

/**
 * One access unit as Annex-B bytes with the stamp SEI right before its first slice. Without --inline
 * (`keepParameterSets` false) SPS and PPS are left out, as rpicam-vid writes them only once.
 */
export function stampedAnnexB(unit: AccessUnit, stamp: { seq: number; tUs: number } | undefined, keepParameterSets: boolean): Buffer {
  const parts: Buffer[] = [];
  let stamped = stamp === undefined;
  for (const nal of unit.nals) {
    const type = nal[0]! & 0x1f;
    if (!keepParameterSets && (type === NalType.sps || type === NalType.pps)) continue;
    if (!stamped && (type === NalType.slice || type === NalType.idr)) {
      parts.push(START_CODE, buildStampSei(stamp!.seq, stamp!.tUs));
      stamped = true;
    }
    parts.push(START_CODE, nal);
  }
  return Buffer.concat(parts);
}

type FfmpegProcess = ChildProcessByStdio<Writable, Readable, Readable>;

export interface SimH264EncoderOptions {
  settings: SimH264Settings;
  /** --inline: SPS/PPS before every IDR; otherwise only the first unit keeps them. */
  inline: boolean;
  /** Each stamped access unit, Annex-B, in order. */
  onUnit(annexB: Buffer, unit: AccessUnit): void;
  /** ffmpeg could not start or ended by itself: `lines` is what it said (last lines of stderr) and why. */
  onFailure(lines: string[]): void;
  /** Frames given to ffmpeg and not yet out: more than this and the encoder is busy. */
  maxInFlight?: number;
  command?: string;
  spawn?: typeof nodeSpawn;
}

/** ffmpeg as the simulated camera's encoder. start() spawns it, stop() kills it. */
export class SimH264Encoder {
  private child: FfmpegProcess | undefined;
  private readonly parser = new AnnexBParser({ maxAccessUnitBytes: 16 * 1024 * 1024 });
  /** Capture stamps of the frames in ffmpeg, oldest first. */
  private readonly stamps: { seq: number; tUs: number }[] = [];
  private stdinBusy = false;
  /** The next frame's first bytes are already in ffmpeg's stdin (see encode). */
  private nextStartWritten = false;
  private stopping = false;
  private unitsOut = 0;
  private stderrTail: string[] = [];
  private readonly maxInFlight: number;

  constructor(private readonly options: SimH264EncoderOptions) {
    this.maxInFlight = options.maxInFlight ?? 3;
  }

  /** ffmpeg's process id once started. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The command line, for the log. */
  get commandLine(): string[] {
    return [this.options.command ?? 'ffmpeg', ...simFfmpegArgs(this.options.settings)];
  }

  /** Access units written, and what the parser dropped (it should drop nothing from ffmpeg). */
  get stats(): { units: number; inFlight: number; drops: Readonly<Record<string, number>> } {
    return { units: this.unitsOut, inFlight: this.stamps.length, drops: this.parser.drops };
  }

  /** True while a new frame would only wait: ffmpeg's stdin is full or enough frames are in it. */
  get busy(): boolean {
    return this.stdinBusy || this.stamps.length >= this.maxInFlight;
  }

  start(): void {
    const [command, ...args] = this.commandLine;
    const spawn = this.options.spawn ?? nodeSpawn;
    const child = spawn(command!, args, { stdio: ['pipe', 'pipe', 'pipe'] }) as FfmpegProcess;
    this.child = child;
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (this.stopping) return;
      this.stopping = true;
      this.options.onFailure([
        err.code === 'ENOENT'
          ? `${command} not found on the PATH: --codec h264 needs ffmpeg with libx264 (apt-get install ffmpeg)`
          : `cannot start ${command}: ${err.message}`,
      ]);
    });
    child.stdin.on('drain', () => (this.stdinBusy = false));
    // EPIPE when ffmpeg has gone; its exit is reported below.
    child.stdin.on('error', () => {});
    child.stdout.on('data', (chunk: Buffer) => {
      for (const unit of this.parser.push(chunk)) {
        this.unitsOut++;
        this.options.onUnit(stampedAnnexB(unit, this.stamps.shift(), this.options.inline || this.unitsOut === 1), unit);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      this.stderrTail = [...this.stderrTail, ...text.split('\n').filter((l) => l.trim())].slice(-5);
    });
    // 'close' rather than 'exit': by then its last words on stderr have been read.
    child.on('close', (code, signal) => {
      if (this.stopping) return;
      this.stopping = true;
      this.options.onFailure([...this.stderrTail, `${command} exited with ${signal ?? `code ${code}`}`]);
    });
  }

  /**
   * Gives ffmpeg one captured frame. False (the frame is dropped, as a camera drops one it cannot
   * deliver) while busy.
   */
  encode(jpeg: Buffer, seq: number, tUs: number): boolean {
    const child = this.child;
    if (!child || this.stopping || this.busy) return false;
    this.stamps.push({ seq, tUs });
    // ffmpeg's JPEG parser ends a frame only where it sees the next one begin (SOI and a marker), so
    // each frame is followed at once by the first bytes of the next: every sim frame starts with the
    // same SOI and stamp COM marker. That saves a frame of delay.
    if (!jpeg.subarray(0, FRAME_START.length).equals(FRAME_START)) throw new Error('a sim frame must start with SOI and its stamp COM segment');
    let ready = child.stdin.write(this.nextStartWritten ? jpeg.subarray(FRAME_START.length) : jpeg);
    ready = child.stdin.write(FRAME_START) && ready;
    this.nextStartWritten = true;
    if (!ready) this.stdinBusy = true;
    return true;
  }

  /** Kills ffmpeg at once (what is still inside it is a camera's unsent frames). Safe to call twice. */
  stop(): void {
    this.stopping = true;
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
