// Command line of the simulated camera: the rpicam-vid flags picamd uses, nothing else, so the sim
// can stand in for rpicam-vid with an identical argv. Anything it cannot honour is an error (exit 1),
// as rpicam-vid does with a bad option. Fault injection comes only through the environment.

export interface SimOptions {
  width: number;
  height: number;
  framerate: number;
  quality: number;
  /** -t: run this long, then exit 0; 0 runs until stopped. rpicam-vid's default is 5 s. */
  timeoutMs: number;
  hflip: boolean;
  vflip: boolean;
  rotation: 0 | 180;
  camera: number;
  /** --help was given: print the usage and exit 0. */
  help: boolean;
}

/** A command line the simulated camera refuses; the message is printed as rpicam-vid would. */
export class SimUsageError extends Error {
  override name = 'SimUsageError';
}

export const SIM_USAGE = `Usage: camera.js -t 0 -n --codec mjpeg --flush -o - [options]
Simulated rpicam-vid for picamd: writes an MJPEG test pattern to stdout.
  -t, --timeout <ms>     stop after this long (0 = never, default 5000; 5s, 500ms also accepted)
  -n, --nopreview        accepted (there is no preview)
  --codec mjpeg          the only codec
  --flush                accepted (every frame is written at once)
  -o, --output -         the only output: stdout
  --width <px>           default 640
  --height <px>          default 480
  --framerate <fps>      default 30
  -q, --quality <1-100>  JPEG quality, default 50
  --hflip, --vflip       mirror the pattern
  --rotation <0|180>     180 = both flips
  --camera <n>           accepted (0-7)
Environment: PICAMD_SIM_FAULT=crash-after=N,stall-after=N,garbage-every=N,truncate-every=N
`;

type Handler = (value: string | undefined, flag: string) => void;

export function parseSimArgs(argv: readonly string[]): SimOptions {
  const options: SimOptions = {
    width: 640,
    height: 480,
    framerate: 30,
    quality: 50,
    timeoutMs: 5000,
    hflip: false,
    vflip: false,
    rotation: 0,
    camera: 0,
    help: false,
  };
  let codec = 'h264';
  let output: string | undefined;

  const valued = new Map<string, Handler>();
  const switches = new Map<string, Handler>();
  const withValue = (names: string[], handler: Handler) => names.forEach((n) => valued.set(n, handler));
  const withoutValue = (names: string[], handler: Handler) => names.forEach((n) => switches.set(n, handler));

  withValue(['-t', '--timeout'], (v, f) => (options.timeoutMs = duration(v!, f)));
  withValue(['--codec'], (v) => (codec = v!));
  withValue(['-o', '--output'], (v) => (output = v));
  withValue(['--width'], (v, f) => (options.width = integer(v!, f, 16, 8192)));
  withValue(['--height'], (v, f) => (options.height = integer(v!, f, 16, 8192)));
  withValue(['--framerate'], (v, f) => (options.framerate = decimal(v!, f, 0.1, 240)));
  withValue(['-q', '--quality'], (v, f) => (options.quality = integer(v!, f, 1, 100)));
  withValue(['--rotation'], (v, f) => {
    const degrees = integer(v!, f, 0, 359);
    if (degrees !== 0 && degrees !== 180) throw new SimUsageError('transforms requiring transpose not supported');
    options.rotation = degrees;
  });
  withValue(['--camera'], (v, f) => (options.camera = integer(v!, f, 0, 7)));
  withoutValue(['-n', '--nopreview'], (v, f) => void flag(v, f));
  withoutValue(['--flush'], (v, f) => void flag(v, f));
  withoutValue(['--hflip'], (v, f) => (options.hflip = flag(v, f)));
  withoutValue(['--vflip'], (v, f) => (options.vflip = flag(v, f)));
  withoutValue(['-h', '--help'], (v, f) => (options.help = flag(v, f)));

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const valueHandler = valued.get(name);
    if (valueHandler) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new SimUsageError(`option '${name}' requires a value`);
      valueHandler(value, name);
      continue;
    }
    const switchHandler = switches.get(name);
    if (switchHandler) {
      switchHandler(inline, name);
      continue;
    }
    throw new SimUsageError(`unrecognised option '${arg}'`);
  }

  if (options.help) return options;
  if (codec !== 'mjpeg') throw new SimUsageError(`codec '${codec}' is not supported by the simulated camera (only mjpeg)`);
  if (output !== '-') {
    throw new SimUsageError(
      output === undefined ? 'no output given: use -o - (stdout)' : `output '${output}' is not supported (only -o -)`,
    );
  }
  return options;
}

function integer(value: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(value)) throw new SimUsageError(`invalid value '${value}' for option '${flag}'`);
  const n = Number(value);
  if (n < min || n > max) throw new SimUsageError(`option '${flag}' must be between ${min} and ${max} (got ${value})`);
  return n;
}

function decimal(value: string, flag: string, min: number, max: number): number {
  if (!/^\d+(\.\d+)?$/.test(value)) throw new SimUsageError(`invalid value '${value}' for option '${flag}'`);
  const n = Number(value);
  if (n < min || n > max) throw new SimUsageError(`option '${flag}' must be between ${min} and ${max} (got ${value})`);
  return n;
}

/** rpicam-apps timeouts: plain milliseconds, or with a unit (ms, s, min). */
function duration(value: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|min)?$/.exec(value);
  if (!match) throw new SimUsageError(`invalid value '${value}' for option '${flag}'`);
  const factor = match[2] === 's' ? 1000 : match[2] === 'min' ? 60_000 : 1;
  return Math.round(Number(match[1]) * factor);
}

/** A switch, optionally spelt --flag=1/0/true/false. */
function flag(value: string | undefined, name: string): boolean {
  if (value === undefined || value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  throw new SimUsageError(`invalid value '${value}' for option '${name}'`);
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
