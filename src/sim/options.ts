// Command line of the simulated camera: rpicam-vid's own flags, with rpicam-apps' spelling, value
// syntax and error messages (core/options.cpp, parsed by Boost.Program_options; the parsing rules
// below were checked against Boost 1.74, the version on Raspberry Pi OS Bookworm), so the sim can
// stand in for rpicam-vid with an identical argv. The sim takes only the flags picamd's settings use,
// and refuses what it cannot honour (another codec or output) as rpicam-vid refuses a bad option.
// Fault injection and the emulated sensor come only through the environment.

export interface SimOptions {
  width: number;
  height: number;
  framerate: number;
  /** --codec: mjpeg, or h264 (encoded by Debian's ffmpeg with libx264, see h264.ts). */
  codec: 'mjpeg' | 'h264';
  quality: number;
  /** H.264: --inline, SPS and PPS before every IDR frame (else only before the first). */
  inline: boolean;
  /** H.264: --intra, frames from one IDR to the next; 0 means the encoder's default. */
  intra: number;
  /** H.264: --profile, or null for the encoder's default. */
  profile: string | null;
  /** H.264: --level, or null for the encoder's default. */
  level: string | null;
  /** H.264: --bitrate in bits per second; 0 means the encoder's default. */
  bitrateBps: number;
  /** -t: run this long, then exit 0; 0 runs until stopped. rpicam-vid's default is 5 s. */
  timeoutMs: number;
  hflip: boolean;
  vflip: boolean;
  rotation: 0 | 180;
  camera: number;
  /** --tuning-file, or null for the sensor's own. */
  tuningFile: string | null;
  // Picture: clamped as rpicam-apps clamps them.
  brightness: number;
  contrast: number;
  saturation: number;
  sharpness: number;
  denoise: string;
  hdr: string;
  awb: string;
  /** --awbgains red,blue; null when not given or either is 0 (rpicam-apps then leaves AWB on). */
  awbGains: readonly [red: number, blue: number] | null;
  // Focus
  autofocusMode: string;
  autofocusRange: string;
  autofocusSpeed: string;
  /** Dioptres, 'default' (the lens's hyperfocal position) or null (leave the lens alone). */
  lensPosition: number | 'default' | null;
  // Exposure
  exposure: string;
  ev: number;
  /** 0: automatic. */
  shutterUs: number;
  /** 0: automatic. */
  gain: number;
  metering: string;
  /** 0: no flicker avoidance. */
  flickerPeriodUs: number;
  /** --help was given: print the usage and exit 0. */
  help: boolean;
}

/** A command line the simulated camera refuses; the message is printed as rpicam-vid would. */
export class SimUsageError extends Error {
  override name = 'SimUsageError';
}

/** rpicam-vid's exit status after an error: `return -1` from main. */
export const SIM_ERROR_EXIT_CODE = 255;

export const SIM_USAGE = `Usage: camera.js -t 0 -n --codec mjpeg|h264 --flush -o - [options]
Simulated rpicam-vid for picamd: writes an MJPEG or H.264 (Annex-B) test pattern to stdout.
  -t, --timeout <time>   stop after this long (0 = never, default 5sec; units min, sec, s, ms, us, ns)
  -n, --nopreview        accepted (there is no preview)
  --codec mjpeg|h264     default h264, which needs ffmpeg (libx264) on the PATH
  --flush                accepted (every frame is written at once)
  -o, --output -         the only output: stdout
  --width, --height <px> default 640x480
  --framerate <fps>      default 30
  -q, --quality <1-100>  JPEG quality, default 50 (mjpeg)
  --inline               SPS/PPS before every keyframe (h264; else only before the first)
  -g, --intra <frames>   keyframe period (h264; 0 = the frame rate)
  --profile baseline|main|high, --level 4|4.1|4.2   (h264)
  -b, --bitrate <rate>   bits per second, or with a unit: 2mbps, 500kbps (h264; 0 = CRF 23)
  --libav-format h264, --low-latency   accepted (what a Pi 5 needs; the sim always encodes that way)
  --hflip, --vflip       mirror the picture
  --rotation <0|180>     180 = upside down
  --camera <n>           accepted (0-7)
  --brightness, --contrast, --saturation <n>   change the picture's pixels
  --sharpness, --denoise, --hdr[=mode], --awb, --awbgains r,b, --autofocus-mode,
  --autofocus-range, --autofocus-speed, --lens-position, --exposure, --ev, --shutter,
  --gain, --analoggain, --metering, --flicker-period, --tuning-file
                         checked as rpicam-vid checks them, listed in the picture's overlay
Environment:
  PICAMD_SIM_FAULT=crash-after=N,stall-after=N,garbage-every=N,truncate-every=N
  PICAMD_SIM_SENSOR=imx708|imx477|imx219|ov5647|WxH@fps,...   refuse modes that sensor cannot do
`;

/** The defaults rpicam-vid has (those that matter here). */
export function defaultSimOptions(): SimOptions {
  return {
    width: 640,
    height: 480,
    framerate: 30,
    codec: 'h264',
    quality: 50,
    inline: false,
    intra: 0,
    profile: null,
    level: null,
    bitrateBps: 0,
    timeoutMs: 5000,
    hflip: false,
    vflip: false,
    rotation: 0,
    camera: 0,
    tuningFile: null,
    brightness: 0,
    contrast: 1,
    saturation: 1,
    sharpness: 1,
    denoise: 'auto',
    hdr: 'off',
    awb: 'auto',
    awbGains: null,
    autofocusMode: 'default',
    autofocusRange: 'normal',
    autofocusSpeed: 'normal',
    lensPosition: null,
    exposure: 'normal',
    ev: 0,
    shutterUs: 0,
    gain: 0,
    metering: 'centre',
    flickerPeriodUs: 0,
    help: false,
  };
}

// Each name list is the keyword set rpicam-apps accepts, synonyms included, and the message is the
// one it throws for anything else.
const METERING = ['centre', 'spot', 'average', 'matrix', 'custom'];
const EXPOSURE = ['normal', 'sport', 'short', 'long', 'custom'];
const AF_MODE = ['default', 'manual', 'auto', 'continuous'];
const AF_RANGE = ['normal', 'macro', 'full'];
const AF_SPEED = ['normal', 'fast'];
const AWB = ['auto', 'normal', 'incandescent', 'tungsten', 'fluorescent', 'indoor', 'daylight', 'cloudy', 'custom'];
const DENOISE = ['auto', 'off', 'cdn_off', 'cdn_fast', 'cdn_hq'];
const HDR = ['off', 'auto', 'sensor', 'single-exp'];
const PROFILES = ['baseline', 'main', 'high'];
const LEVELS = ['4', '4.1', '4.2'];

/** A handler gets the option's value (undefined for an implicit-valued option given bare). */
type Handler = (value: string | undefined, name: string) => void;
interface OptionSpec {
  handler: Handler;
  /** Boost "implicit value": the value may be left out. */
  implicit: boolean;
  /** The long name, which Boost's messages use whichever name was given. */
  canonical: string;
}

/** rpicam-vid's short options (core and video): a required value is never taken from one of these. */
const SHORT_OPTIONS = ['-h', '-v', '-c', '-t', '-o', '-n', '-p', '-f', '-b', '-g', '-q', '-l', '-k', '-s', '-i'];

export function parseSimArgs(argv: readonly string[]): SimOptions {
  const options = defaultSimOptions();
  let codec = 'h264';
  let output: string | undefined;
  let libavFormat: string | undefined;

  const specs = new Map<string, OptionSpec>();
  const define = (names: string[], handler: Handler, implicit: boolean) => {
    const canonical = names.find((n) => n.startsWith('--'))!;
    names.forEach((n) => specs.set(n, { handler, implicit, canonical }));
  };
  const valued = (names: string[], handler: (value: string, name: string) => void) =>
    define(names, (v, name) => handler(v!, name), false);
  const implicit = (names: string[], handler: Handler) => define(names, handler, true);
  const keyword = (list: string[], message: (v: string) => string) => (value: string) => {
    if (!list.includes(value)) throw new SimUsageError(message(value));
    return value;
  };

  valued(['-t', '--timeout'], (v) => (options.timeoutMs = timeString(v, 1_000)));
  valued(['--codec'], (v) => (codec = v));
  valued(['-o', '--output'], (v) => (output = v));
  valued(['--width'], (v, f) => (options.width = within(unsigned(v, f), f, 16, 8192)));
  valued(['--height'], (v, f) => (options.height = within(unsigned(v, f), f, 16, 8192)));
  valued(['--framerate'], (v, f) => (options.framerate = within(float(v, f), f, 0.1, 240)));
  valued(['-q', '--quality'], (v, f) => (options.quality = within(unsigned(v, f), f, 1, 100)));
  // H.264 (core/video_options.hpp). Profile and level are checked after parsing, by the encoder, as
  // rpicam-vid checks them when it opens the encoder.
  valued(['-g', '--intra'], (v, f) => (options.intra = unsigned(v, f)));
  valued(['--profile'], (v) => (options.profile = v));
  valued(['--level'], (v) => (options.level = v));
  valued(['-b', '--bitrate'], (v) => (options.bitrateBps = bitrate(v)));
  valued(['--libav-format'], (v) => (libavFormat = v));
  valued(['--rotation'], (v, f) => (options.rotation = rotation(signed(v, f))));
  valued(['--camera'], (v, f) => (options.camera = within(unsigned(v, f), f, 0, 7)));
  // rpicam-apps' "-" means no tuning file; the file itself is checked when the camera starts.
  valued(['--tuning-file'], (v) => (options.tuningFile = v === '-' ? null : v));

  valued(['--brightness'], (v, f) => (options.brightness = clamp(float(v, f), -1, 1)));
  valued(['--contrast'], (v, f) => (options.contrast = clamp(float(v, f), 0, 15.99)));
  valued(['--saturation'], (v, f) => (options.saturation = clamp(float(v, f), 0, 15.99)));
  valued(['--sharpness'], (v, f) => (options.sharpness = clamp(float(v, f), 0, 15.99)));
  valued(['--denoise'], (v) => (options.denoise = keyword(DENOISE, (x) => `Invalid denoise mode ${x}`)(v)));
  implicit(['--hdr'], (v) => (options.hdr = keyword(HDR, (x) => `Invalid HDR option provided: ${x}`)(v ?? 'auto')));
  valued(['--awb'], (v) => (options.awb = keyword(AWB, (x) => `Invalid AWB mode: ${x}`)(v)));
  valued(['--awbgains'], (v) => (options.awbGains = awbGains(v)));

  valued(['--autofocus-mode'], (v) => (options.autofocusMode = keyword(AF_MODE, (x) => `Invalid AfMode:${x}`)(v)));
  // rpicam-apps' own message quotes the exposure mode here (a slip); the range is more use to a reader.
  valued(['--autofocus-range'], (v) => (options.autofocusRange = keyword(AF_RANGE, (x) => `Invalid AfRange mode:${x}`)(v)));
  valued(['--autofocus-speed'], (v) => (options.autofocusSpeed = keyword(AF_SPEED, (x) => `Invalid afSpeed mode:${x}`)(v)));
  valued(['--lens-position'], (v) => (options.lensPosition = lensPosition(v)));

  valued(['--exposure'], (v) => (options.exposure = keyword(EXPOSURE, (x) => `Invalid exposure mode:${x}`)(v)));
  valued(['--ev'], (v, f) => (options.ev = float(v, f)));
  valued(['--shutter'], (v) => (options.shutterUs = timeString(v, 1)));
  valued(['--gain', '--analoggain'], (v, f) => (options.gain = float(v, f)));
  valued(['--metering'], (v) => (options.metering = keyword(METERING, (x) => `Invalid metering mode: ${x}`)(v)));
  valued(['--flicker-period'], (v) => (options.flickerPeriodUs = timeString(v, 1)));

  implicit(['-n', '--nopreview'], (v, f) => void bool(v, f));
  implicit(['--flush'], (v, f) => void bool(v, f));
  implicit(['--inline'], (v, f) => (options.inline = bool(v, f)));
  // libx264's low-latency presets on a Pi 5; the sim always encodes that way.
  implicit(['--low-latency'], (v, f) => void bool(v, f));
  implicit(['--hflip'], (v, f) => (options.hflip = bool(v, f)));
  implicit(['--vflip'], (v, f) => (options.vflip = bool(v, f)));
  implicit(['-v', '--verbose'], (v, f) => void (v === undefined || unsigned(v, f)));
  implicit(['-h', '--help'], (v, f) => (options.help = bool(v, f)));

  // Boost 1.74's rules: "--name=value" for a long option (an empty value is an error), "-Xvalue" or
  // "-X value" for a short one. A required value is the next word, whatever it looks like, unless it
  // is one of rpicam-vid's short options; an optional value is the next word only if that does not
  // look like an option. Words that are not options are ignored, as is everything after "--".
  // Unlike Boost, the sim wants full option names (Boost also takes an unambiguous prefix), and it
  // takes a repeated option with the last value winning where rpicam-vid refuses it: the benchmark
  // overrides -t through extraArgs.
  const looksLikeOption = (word: string) => word.length > 1 && word.startsWith('-');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    if (!looksLikeOption(arg)) continue;
    let name: string;
    let value: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq > 0 ? arg.slice(0, eq) : arg;
      value = eq > 0 ? arg.slice(eq + 1) : undefined;
    } else {
      name = arg.slice(0, 2);
      value = arg.length > 2 ? arg.slice(2) : undefined;
    }
    const spec = specs.get(name);
    if (!spec) throw new SimUsageError(`unrecognised option '${arg}'`);
    if (value === '') {
      throw new SimUsageError(`the argument for option '${spec.canonical}' should follow immediately after the equal sign`);
    }
    const next = argv[i + 1];
    if (value === undefined && next !== undefined) {
      if (spec.implicit ? !looksLikeOption(next) : !SHORT_OPTIONS.includes(next)) {
        value = next;
        i++;
      }
    }
    if (value === undefined && !spec.implicit) {
      throw new SimUsageError(`the required argument for option '${spec.canonical}' is missing`);
    }
    spec.handler(value, spec.canonical);
  }

  if (options.help) return options;
  // rpicam-apps compares the codec without case (ParseVideo) and knows libav and yuv420 too.
  const codecName = codec.toLowerCase();
  if (!['h264', 'mjpeg', 'libav', 'yuv420'].includes(codecName)) throw new SimUsageError(`unrecognised codec ${codec}`);
  if (codecName !== 'mjpeg' && codecName !== 'h264') {
    throw new SimUsageError(`codec '${codec}' is not supported by the simulated camera (only mjpeg and h264)`);
  }
  options.codec = codecName;
  if (options.codec === 'h264') {
    // The hardware encoder's own lists and messages (encoder/h264_encoder.cpp).
    if (options.profile !== null && !PROFILES.includes(options.profile)) throw new SimUsageError(`no such profile ${options.profile}`);
    if (options.level !== null && !LEVELS.includes(options.level)) throw new SimUsageError(`no such level ${options.level}`);
    // libav with an output of "-" cannot guess a container; the sim writes raw H.264 only.
    if (libavFormat !== undefined && libavFormat !== 'h264') {
      throw new SimUsageError(`--libav-format '${libavFormat}' is not supported by the simulated camera (only h264)`);
    }
    // ParseVideo: a size and rate beyond level 4.1's macroblock rate get level 4.2, whatever was asked.
    const macroblocksPerSecond = Math.ceil(options.width / 16) * Math.ceil(options.height / 16) * options.framerate;
    if (macroblocksPerSecond > 245_760) options.level = '4.2';
  }
  if (output !== '-') {
    throw new SimUsageError(
      output === undefined ? 'no output given: use -o - (stdout)' : `output '${output}' is not supported (only -o -)`,
    );
  }
  return options;
}

/** Boost's message for a value its lexical_cast refuses. */
const invalid = (value: string, flag: string) => new SimUsageError(`the argument ('${value}') for option '${flag}' is invalid`);

/** lexical_cast<unsigned int>: a leading minus wraps round, as in C. */
function unsigned(value: string, flag: string): number {
  const match = /^([+-]?)(\d+)$/.exec(value);
  if (!match || Number(match[2]) > 0xffff_ffff) throw invalid(value, flag);
  const n = Number(match[2]);
  return match[1] === '-' && n !== 0 ? 2 ** 32 - n : n;
}

function signed(value: string, flag: string): number {
  if (!/^[+-]?\d+$/.test(value)) throw invalid(value, flag);
  return Number(value);
}

const FLOAT = '[+-]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?';

/** lexical_cast<float>, less "inf" and "nan", which Boost takes and the sim cannot picture. */
function float(value: string, flag: string): number {
  if (!new RegExp(`^${FLOAT}$`).test(value)) throw invalid(value, flag);
  return Number(value);
}

/** A limit of the simulator rather than of rpicam-vid (which leaves such values to libcamera). */
function within(n: number, flag: string, min: number, max: number): number {
  if (n < min || n > max) throw new SimUsageError(`option '${flag}' must be between ${min} and ${max} (got ${n})`);
  return n;
}

const clamp = (n: number, min: number, max: number) => Math.min(max, Math.max(min, n));

/** Boost's bool values (it lower-cases the word first). */
function bool(value: string | undefined, flag: string): boolean {
  if (value === undefined) return true;
  const word = value.toLowerCase();
  if (['on', 'yes', '1', 'true'].includes(word)) return true;
  if (['off', 'no', '0', 'false'].includes(word)) return false;
  throw new SimUsageError(
    `the argument ('${value}') for option '${flag}' is invalid. Valid choices are 'on|off', 'yes|no', '1|0' and 'true|false'`,
  );
}

/** libcamera's transformFromRotation: multiples of 90 only; 90 and 270 need a transpose rpicam-apps refuses. */
function rotation(degrees: number): 0 | 180 {
  const normal = ((degrees % 360) + 360) % 360;
  if (normal % 90 !== 0) throw new SimUsageError('illegal rotation value');
  if (normal === 90 || normal === 270) throw new SimUsageError('transforms requiring transpose not supported');
  return normal as 0 | 180;
}

const TIME_UNITS: Record<string, number> = { min: 60e6, sec: 1e6, s: 1e6, ms: 1e3, us: 1, ns: 1e-3 };

/**
 * rpicam-apps' TimeVal: a number (std::stof, so leading blanks and trailing junk pass) and an optional
 * unit; without a known unit the option's default unit applies. Returns the default unit.
 */
function timeString(value: string, defaultUnitUs: number): number {
  const match = new RegExp(`^\\s*(${FLOAT})(.*)$`).exec(value);
  if (!match) throw new SimUsageError('Invalid time string provided');
  const unitUs = TIME_UNITS[match[2]!] ?? defaultUnitUs;
  return Math.round((Number(match[1]) * unitUs) / defaultUnitUs);
}

/** rpicam-apps' Bitrate: a number (std::stof) and an optional unit, bits per second without one. */
const BITRATE_UNITS: Record<string, number> = { bps: 1, b: 1, kbps: 1e3, k: 1e3, K: 1e3, mbps: 1e6, m: 1e6, M: 1e3 };

function bitrate(value: string): number {
  const match = new RegExp(`^\\s*(${FLOAT})(.*)$`).exec(value);
  // Upstream's table maps "M" to 1000 (not a million); the sim keeps that, as rpicam-vid reads it.
  // A negative rate is undefined behaviour there (a negative float into an unsigned); refused here.
  if (!match || Number(match[1]) < 0) throw new SimUsageError('Invalid bitrate string provided');
  return Math.round(Number(match[1]) * (BITRATE_UNITS[match[2]!] ?? 1));
}

/** sscanf("%f,%f"): two numbers around a comma, anything after is ignored. */
function awbGains(value: string): readonly [number, number] | null {
  const match = new RegExp(`^\\s*(${FLOAT}),\\s*(${FLOAT})`).exec(value);
  if (!match) throw new SimUsageError('Invalid AWB gains');
  const red = Number(match[1]);
  const blue = Number(match[2]);
  return red && blue ? [red, blue] : null;
}

/** istringstream >> float, else "default", else (when not empty) an error. */
function lensPosition(value: string): number | 'default' | null {
  const match = new RegExp(`^\\s*(${FLOAT})`).exec(value);
  if (match) return Number(match[1]);
  if (value === 'default') return 'default';
  if (value === '') return null;
  throw new SimUsageError(`Invalid lens position: ${value}`);
}

/** PICAMD_SIM_FAULT: comma-separated `name=N` faults for tests of the supervisor and parser. */
export interface SimFaults {
  /** Exit with code 1 once this many frames have been written. */
  crashAfter?: number;
  /** Stop writing (but stay alive) once this many frames have been written. */
  stallAfter?: number;
  /** After every Nth frame, write random bytes that contain no JPEG SOI or EOI marker. */
  garbageEvery?: number;
  /** Cut every Nth frame short: part of it, without its EOI. */
  truncateEvery?: number;
}

const faultKeys = {
  'crash-after': ['crashAfter', 0],
  'stall-after': ['stallAfter', 0],
  'garbage-every': ['garbageEvery', 1],
  'truncate-every': ['truncateEvery', 1],
} as const;

export function parseSimFaults(spec: string | undefined): SimFaults {
  const faults: SimFaults = {};
  if (!spec || !spec.trim()) return faults;
  for (const part of spec.split(',')) {
    const [key, value, ...rest] = part.trim().split('=');
    const known = faultKeys[key as keyof typeof faultKeys];
    if (!known) throw new SimUsageError(`PICAMD_SIM_FAULT: unknown fault '${part.trim()}'`);
    if (value === undefined || rest.length > 0 || !/^\d+$/.test(value) || Number(value) < known[1]) {
      throw new SimUsageError(`PICAMD_SIM_FAULT: '${key}' needs a whole number >= ${known[1]}`);
    }
    faults[known[0]] = Number(value);
  }
  return faults;
}
