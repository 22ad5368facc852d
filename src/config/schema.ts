import { z } from 'zod';
import { parsePasswordHash } from '../auth/password.js';
import './meta.js';

// One schema for the whole config file. Defaults live here and nowhere else; every object is
// strict, so a misspelt key is an error rather than a silently ignored setting. A leaf with
// `.meta({ group, title, description, unit?, applies })` is settable from the page (see meta.ts).

const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** BCM GPIO numbers on the 40-pin header. */
const bcmPin = int(0, 27);

const userSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[^:\x00-\x1f\x7f]+$/, 'must not contain ":" or control characters'),
  /** From `picamd hash-password`. */
  passwordHash: z.string().superRefine((value, ctx) => {
    const parsed = parsePasswordHash(value);
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
  }),
  /** Declared only to refuse it with a clear message. */
  password: z
    .unknown()
    .refine((v) => v === undefined, 'plain-text passwords are refused; put the output of `picamd hash-password` in passwordHash')
    .optional(),
});

const authSchema = z.strictObject({
  users: z
    .array(userSchema)
    .min(1)
    .max(16)
    .superRefine((users, ctx) => {
      const seen = new Set<string>();
      users.forEach((user, i) => {
        if (seen.has(user.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `${user.name} is listed twice` });
        seen.add(user.name);
      });
    }),
});

const tlsSchema = z.strictObject({
  /** PEM certificate (chain) file. */
  cert: z.string().min(1),
  /** PEM private key file, unencrypted. */
  key: z.string().min(1),
});

const serverSchema = z.strictObject({
  /** Address to listen on; 0.0.0.0 for every interface. */
  host: z.string().min(1).default('0.0.0.0'),
  port: int(0, 65535).default(80),
  /** Concurrent /stream.mjpg viewers; one more is answered 503 with Retry-After. */
  maxViewers: int(1, 1000).default(16).meta({
    group: 'Device',
    title: 'Maximum viewers',
    description: 'How many may watch at once; one more is turned away until someone leaves.',
    applies: 'live',
  }),
  /** Name shown on the page and in /api/status; empty means the host name. */
  deviceName: z.string().max(64).default('').meta({
    group: 'Device',
    title: 'Device name',
    description: 'Name shown on the page and in the status; empty means the host name.',
    applies: 'live',
  }),
  /** A viewer with a frame in flight and none delivered for this long is disconnected. */
  viewerStallTimeoutMs: int(1_000, 600_000).default(10_000).meta({
    group: 'Device',
    title: 'Viewer stall timeout',
    description: 'A viewer that has received nothing for this long is disconnected.',
    unit: 'ms',
    applies: 'live',
  }),
  /** Anyone who can reach the device may watch without a password (users still manage settings). */
  openViewing: z.boolean().default(false).meta({
    group: 'Device',
    title: 'Open viewing',
    description: 'Anyone on the network may watch without a password.',
    applies: 'live',
  }),
  /** null: no login (fine on a trusted network only). See docs/security.md. */
  auth: authSchema.nullable().default(null),
  /** HTTPS with this certificate and key (PEM files); null: plain HTTP. */
  tls: tlsSchema.nullable().default(null),
  /**
   * Host names picamd answers to besides its IP addresses, localhost, its host name and
   * <host>.local (requests for any other name get 421: DNS rebinding). ["*"]: any, for a reverse
   * proxy that passes another Host.
   */
  allowedHosts: z.array(z.string().min(1).max(253)).max(32).default([]),
});

const backoffSchema = z.strictObject({
  initialMs: int(50, 60_000).default(500),
  maxMs: int(100, 600_000).default(30_000),
  /** Streaming this long without trouble resets the delay to initialMs. */
  resetAfterMs: int(1_000, 3_600_000).default(60_000),
});

const cameraSchema = z.strictObject({
  /** argv prefix; picamd appends the rpicam-vid flags to it. */
  command: z.array(z.string().min(1)).min(1).default(['rpicam-vid']),
  width: int(64, 4608).default(1280),
  height: int(64, 3456).default(720),
  framerate: int(1, 120).default(30),
  quality: int(1, 100).default(80),
  hflip: z.boolean().default(false),
  vflip: z.boolean().default(false),
  rotation: z.literal([0, 180]).default(0),
  /** --camera N for boards with more than one camera; null leaves the flag out. */
  index: int(0, 7).nullable().default(null),
  extraArgs: z.array(z.string()).default([]),
  /** A frame larger than this is dropped (and counted) instead of buffered. */
  maxFrameBytes: int(65_536, 64 * 1024 * 1024).default(8 * 1024 * 1024),
  /** No frame for this long while streaming counts as a stall and restarts the camera. */
  stallTimeoutMs: int(500, 600_000).default(5_000),
  /** Allowance for the first frame after a start (sensor and ISP bring-up). */
  startTimeoutMs: int(1_000, 600_000).default(15_000),
  /** Time between SIGTERM and SIGKILL when stopping the camera. */
  stopGraceMs: int(100, 60_000).default(2_000),
  backoff: backoffSchema.prefault({}),
});

const ledSchema = z.strictObject({
  pin: bcmPin.default(17).meta({
    group: 'Device',
    title: 'LED pin',
    description: 'BCM GPIO number of the status LED.',
    applies: 'gpio',
  }),
  activeLow: z.boolean().default(false).meta({
    group: 'Device',
    title: 'LED active low',
    description: 'The LED lights when its line is low.',
    applies: 'gpio',
  }),
});

const privacyInputSchema = z.strictObject({
  pin: bcmPin.default(27).meta({
    group: 'Device',
    title: 'Privacy input pin',
    description: 'BCM GPIO number of the privacy button or switch.',
    applies: 'gpio',
  }),
  /** button: momentary, each press toggles; switch: latching, its level is the state. */
  mode: z.enum(['button', 'switch']).default('button').meta({
    group: 'Device',
    title: 'Privacy input type',
    description: 'button: each press toggles privacy; switch: its position is the privacy state.',
    applies: 'gpio',
  }),
  activeLow: z.boolean().default(true).meta({
    group: 'Device',
    title: 'Privacy input active low',
    description: 'Pressed or on reads as a low line (a button to ground with the pull-up).',
    applies: 'gpio',
  }),
  debounceMs: int(0, 1_000).default(50).meta({
    group: 'Device',
    title: 'Privacy input debounce',
    description: 'A level must hold this long before it counts.',
    unit: 'ms',
    applies: 'gpio',
  }),
});

const gpioSchema = z.strictObject({
  enabled: z.boolean().default(true).meta({
    group: 'Device',
    title: 'GPIO',
    description: 'Use the privacy button or switch and the status LED on the GPIO header.',
    applies: 'gpio',
  }),
  led: ledSchema.nullable().prefault({}),
  privacy: privacyInputSchema.nullable().prefault({}),
  /** Where the kernel's GPIO sysfs tree lives; only tests change it. */
  sysfsRoot: z.string().min(1).default('/sys/class/gpio'),
});

const privacySchema = z.strictObject({
  /** Written atomically on every change so privacy survives a power cut. */
  stateFile: z.string().min(1).default('/var/lib/picamd/privacy.json'),
  /** Force privacy on at every boot, whatever the saved state says. */
  startPaused: z.boolean().default(false).meta({
    group: 'Device',
    title: 'Private at start-up',
    description: 'Privacy is on after every start, whatever it was before.',
    applies: 'live',
  }),
});

const logSchema = z.strictObject({
  level: z.enum(['debug', 'info', 'warn', 'error']).default('info').meta({
    group: 'Device',
    title: 'Log level',
    description: 'How much picamd writes to the system journal.',
    applies: 'live',
  }),
});

const settingsSchema = z.strictObject({
  /** Settings changed from the page (and the users), written atomically; see src/config/store.ts. */
  file: z.string().min(1).default('/var/lib/picamd/settings.json'),
});

export const configSchema = z.strictObject({
  server: serverSchema.prefault({}),
  camera: cameraSchema.prefault({}),
  gpio: gpioSchema.prefault({}),
  privacy: privacySchema.prefault({}),
  log: logSchema.prefault({}),
  settings: settingsSchema.prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type CameraConfig = Config['camera'];
export type ServerConfig = Config['server'];
export type GpioConfig = Config['gpio'];
