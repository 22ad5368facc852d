import { posix } from 'node:path';
import { z } from 'zod';
import { passwordHashSchema, userNameSchema } from '../accounts/rules.js';
import type { SettingGroup, SettingMeta } from './meta.js';
import './meta.js';
import { metricsSchema } from './metrics-schema.js';
import { rtspSchema } from './rtsp-schema.js';
import { mqttSchema } from './mqtt-schema.js';
import { onvifSchema } from './onvif-schema.js';
import { proxyEntryProblem } from '../../platform/net-address.js';

// No generated parsers (zod compiles one per object schema with new Function at its first parse):
// the config is parsed at start and at a settings change, so the speed is not needed and the
// generated code would stay in memory (about 0.15 MB).
z.config({ jitless: true });

// One schema for the whole config file. Defaults live here and nowhere else; every object is
// strict, so a misspelt key is an error rather than a silently ignored setting. A leaf with
// `.meta({ group, title, description, unit?, applies })` is settable from the page (see meta.ts).

const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** BCM GPIO numbers on the 40-pin header. */
const bcmPin = int(0, 27);

/** The config file's users are owners (the accounts file holds the page's users and their roles). */
const userSchema = z.strictObject({
  name: userNameSchema,
  /** From `picamd hash-password`. */
  passwordHash: passwordHashSchema,
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
  /**
   * Reverse proxies in front of picamd (IP addresses or CIDR prefixes, IPv4 and IPv6). From these
   * alone X-Forwarded-For/-Proto/-Host and Forwarded are believed: the client's address (login
   * limiter, logs, viewer list), its scheme and Host (the origin and Host checks). See
   * docs/security.md.
   */
  trustedProxies: z
    .array(
      z.string().superRefine((entry, ctx) => {
        const problem = proxyEntryProblem(entry);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
    )
    .max(64)
    .default([]),
});

const backoffSchema = z.strictObject({
  initialMs: int(50, 60_000).default(500),
  maxMs: int(100, 600_000).default(30_000),
  /** Streaming this long without trouble resets the delay to initialMs. */
  resetAfterMs: int(1_000, 3_600_000).default(60_000),
});

// --- Camera settings ---------------------------------------------------------------------------
// Every leaf with `.meta({ group, ... })` is settable from the page (see the settings API); the
// value ranges are rpicam-apps' and libcamera's own, and src/device/camera/argv.ts maps each onto the
// rpicam-vid flag of the same meaning. A setting at rpicam-apps' default adds no flag, so older
// rpicam-apps versions keep working. docs/camera-settings.md lists them all.

/** H.264 levels 4-4.2: MaxFS, and level 4.2's MaxMBPS (ITU-T H.264 table A-1). */
const H264_MAX_FRAME_MACROBLOCKS = 8192;
const H264_MAX_MACROBLOCKS_PER_SECOND = 522_240;

/** Meta for a camera setting: changing it restarts rpicam-vid. */
const cameraSetting = (meta: Omit<SettingMeta, 'applies'> & { group: Exclude<SettingGroup, 'Device'> }) => ({ ...meta, applies: 'camera' as const });

/** A decimal number in [min, max] (rpicam-apps takes floats for these). */
const decimal = (min: number, max: number) => z.number().min(min).max(max);

/** Red or blue colour gain (libcamera's ColourGains go to 32; rpicam-apps takes 0 as "not set"). */
const colourGain = z.number().min(0.01).max(32).nullable().default(null);

const cameraSchema = z
  .strictObject({
    /** argv prefix; picamd appends the rpicam-vid flags to it. */
    command: z.array(z.string().min(1)).min(1).default(['rpicam-vid']),
    // Even sizes: the stream is YUV 4:2:0, which libcamera would otherwise round silently. The
    // largest is the biggest sensor in Raspberry Pi's range (Camera Module 3, 4608x2592) and its 4:3
    // height; what a given sensor really does is only known to the camera (docs/camera-settings.md).
    width: int(64, 4608).multipleOf(2, 'must be even').default(1280).meta(cameraSetting({
      group: 'Camera', title: 'Width', unit: 'px', description: 'Width of the picture in pixels (even).',
    })),
    height: int(64, 3456).multipleOf(2, 'must be even').default(720).meta(cameraSetting({
      group: 'Camera', title: 'Height', unit: 'px', description: 'Height of the picture in pixels (even).',
    })),
    framerate: int(1, 120).default(30).meta(cameraSetting({
      group: 'Camera', title: 'Frame rate', unit: 'fps',
      description: 'Frames per second; the sensor mode chosen for the size sets the real upper limit.',
    })),
    rotation: z.literal([0, 180]).default(0).meta(cameraSetting({
      group: 'Camera', title: 'Rotation', unit: '°', description: 'Turn the picture upside down (180) for a camera mounted that way.',
    })),
    hflip: z.boolean().default(false).meta(cameraSetting({
      group: 'Camera', title: 'Mirror horizontally', description: 'Flip the picture left to right.',
    })),
    vflip: z.boolean().default(false).meta(cameraSetting({
      group: 'Camera', title: 'Flip vertically', description: 'Flip the picture top to bottom.',
    })),
    /** --camera N for boards with more than one camera; null leaves the flag out. */
    index: int(0, 7).nullable().default(null).meta(cameraSetting({
      group: 'Camera', title: 'Camera number',
      description: 'Which camera to use on a board with more than one (as rpicam-hello --list-cameras numbers them); empty means the first.',
    })),
    /** --tuning-file; null: libcamera's own tuning for the sensor. */
    tuningFile: z
      .string()
      .regex(/^\/[^\x00-\x1f\x7f]*\.json$/, 'must be an absolute path to a .json tuning file')
      .max(4096)
      // The path as written is the file read: no "..", "." or "//" that a check of the text could
      // read one way and libcamera another (/usr/share/libcamera/../../../home/x.json).
      .refine((v) => !v.startsWith('/') || posix.normalize(v) === v, 'must be a normalized path (no "..", "." or "//" segments)')
      .nullable()
      .default(null)
      .meta(cameraSetting({
        group: 'Camera', title: 'Tuning file',
        description: 'Absolute path of a libcamera tuning file (e.g. /usr/share/libcamera/ipa/rpi/vc4/imx219_noir.json); empty uses the one for the sensor.',
      })),

    // How the picture is encoded. MJPEG: every frame a JPEG (CPU-encoded, simple, big). H.264: the
    // Pi's hardware encoder (software libx264 on a Pi 5, which has none), a fraction of the bandwidth.
    // The H.264 ranges are what rpicam-vid's hardware encoder takes (encoder/h264_encoder.cpp).
    codec: z.enum(['mjpeg', 'h264']).default('mjpeg').meta(cameraSetting({
      group: 'Video', title: 'Codec',
      description:
        'mjpeg: every frame a JPEG, works with every MJPEG client and gives JPEG snapshots. ' +
        'h264: a tenth of the bandwidth, encoded by the Pi (in software on a Pi 5); the page plays it and other programs read /stream.mp4, ' +
        'but /stream.mjpg then shows only a notice and /snapshot.jpg answers 503, so MJPEG-only tools (printer front ends, motion, Home Assistant\'s MJPEG camera) need mjpeg.',
    })),
    quality: int(1, 100).default(80).meta(cameraSetting({
      group: 'Video', title: 'JPEG quality', unit: '%', description: 'MJPEG only: higher is sharper and uses more bandwidth.',
    })),
    // rpicam-vid takes the keyframe interval in frames (--intra); picamd converts with the frame rate.
    keyframeIntervalMs: int(100, 10_000).default(1_000).meta(cameraSetting({
      group: 'Video', title: 'Keyframe interval', unit: 'ms',
      description: 'H.264 only: time between keyframes, where a new viewer can start; shorter starts viewers sooner but costs bandwidth.',
    })),
    h264Profile: z.enum(['baseline', 'main', 'high']).default('high').meta(cameraSetting({
      group: 'Video', title: 'H.264 profile',
      description: 'H.264 only: high compresses best; baseline and main only for old players that need them.',
    })),
    // The three levels the hardware encoder accepts; rpicam-vid itself raises 4 and 4.1 to 4.2 when
    // the size and frame rate need it.
    h264Level: z.enum(['4', '4.1', '4.2']).default('4.1').meta(cameraSetting({
      group: 'Video', title: 'H.264 level',
      description: 'H.264 only: the decoder capability the stream promises; 4.2 is needed for 1080p at more than 30 fps.',
    })),
    // 25 Mbit/s is level 4's ceiling for the high profile, the lowest level offered.
    bitrateKbps: int(100, 25_000).nullable().default(null).meta(cameraSetting({
      group: 'Video', title: 'Bit rate', unit: 'kbit/s',
      description: 'H.264 only: target bit rate; empty picks one from the size and frame rate (about 1900 kbit/s at 1280x720, 30 fps).',
    })),
    brightness: decimal(-1, 1).default(0).meta(cameraSetting({
      group: 'Picture', title: 'Brightness', description: 'From -1 (black) through 0 (normal) to 1 (white).',
    })),
    // rpicam-apps clamps contrast, saturation and sharpness to 0-15.99.
    contrast: decimal(0, 15.99).default(1).meta(cameraSetting({
      group: 'Picture', title: 'Contrast', description: '1 is normal; lower is flatter, higher is punchier.',
    })),
    saturation: decimal(0, 15.99).default(1).meta(cameraSetting({
      group: 'Picture', title: 'Saturation', description: '1 is normal, 0 is black and white.',
    })),
    sharpness: decimal(0, 15.99).default(1).meta(cameraSetting({
      group: 'Picture', title: 'Sharpness', description: '1 is normal sharpening, 0 none.',
    })),
    denoise: z.enum(['auto', 'off', 'cdn_off', 'cdn_fast', 'cdn_hq']).default('auto').meta(cameraSetting({
      group: 'Picture', title: 'Noise reduction',
      description: 'auto is cdn_fast for video; off turns all denoise off, cdn_off keeps spatial but not colour denoise.',
    })),
    hdr: z.enum(['off', 'auto', 'sensor', 'single-exp']).default('off').meta(cameraSetting({
      group: 'Picture', title: 'HDR',
      description: 'sensor: Camera Module 3 sensor HDR (limits the mode to 2304x1296); single-exp: Raspberry Pi 5 multi-frame HDR; auto picks one.',
    })),
    awbMode: z
      .enum(['auto', 'incandescent', 'tungsten', 'fluorescent', 'indoor', 'daylight', 'cloudy'])
      .default('auto')
      .meta(cameraSetting({ group: 'Picture', title: 'White balance', description: 'Automatic, or a fixed kind of light.' })),
    // Both gains or neither (rpicam-apps takes them as one "--awbgains R,B"); set, they replace
    // automatic white balance whatever awbMode says.
    awbRedGain: colourGain.meta(cameraSetting({
      group: 'Picture', title: 'Red gain',
      description: 'Fixed red colour gain (with the blue gain); replaces automatic white balance. Empty: automatic.',
    })),
    awbBlueGain: colourGain.meta(cameraSetting({
      group: 'Picture', title: 'Blue gain',
      description: 'Fixed blue colour gain (with the red gain); replaces automatic white balance. Empty: automatic.',
    })),

    // Focus applies only to cameras with a focus motor (Camera Module 3); others ignore it.
    autofocusMode: z.enum(['default', 'manual', 'auto', 'continuous']).default('default').meta(cameraSetting({
      group: 'Focus', title: 'Autofocus',
      description: 'default: continuous, or manual when a lens position is set; manual: fixed lens; auto: one scan at start; continuous: keeps focusing.',
    })),
    autofocusRange: z.enum(['normal', 'macro', 'full']).default('normal').meta(cameraSetting({
      group: 'Focus', title: 'Focus range', description: 'Distances autofocus searches: normal, macro (close up only) or full.',
    })),
    autofocusSpeed: z.enum(['normal', 'fast']).default('normal').meta(cameraSetting({
      group: 'Focus', title: 'Focus speed', description: 'fast moves the lens as quickly as possible, normal more steadily.',
    })),
    // libcamera's LensPosition range; the lens clamps to its own (Camera Module 3: 0-15).
    lensPosition: decimal(0, 32).nullable().default(null).meta(cameraSetting({
      group: 'Focus', title: 'Lens position', unit: 'dioptres',
      description: 'Manual focus as 1/distance in metres (0 is infinity, 2 is 50 cm); used with autofocus default or manual. Empty: leave the lens alone.',
    })),

    exposureMode: z.enum(['normal', 'sport', 'long']).default('normal').meta(cameraSetting({
      group: 'Exposure', title: 'Exposure mode', description: 'sport prefers short exposures (less motion blur), long prefers long ones.',
    })),
    // libcamera's ExposureValue range.
    ev: decimal(-8, 8).default(0).meta(cameraSetting({
      group: 'Exposure', title: 'Exposure compensation', description: 'In stops: -1 halves the brightness the automatic exposure aims for, 1 doubles it.',
    })),
    // A video frame cannot expose longer than it lasts: longer is cut to 1/framerate.
    shutterUs: int(0, 1_000_000).default(0).meta(cameraSetting({
      group: 'Exposure', title: 'Shutter', unit: 'µs',
      description: 'Fixed exposure time in microseconds, at most one frame (1/framerate); 0 is automatic.',
    })),
    analogueGain: z
      .number()
      .min(0)
      .max(64)
      .refine((gain) => gain === 0 || gain >= 1, 'must be 0 (automatic) or at least 1')
      .default(0)
      .meta(cameraSetting({
        group: 'Exposure', title: 'Analogue gain',
        description: 'Fixed sensor gain (like ISO/100); 0 is automatic. The sensor caps it (Camera Module 3: 16).',
      })),
    meteringMode: z.enum(['centre', 'spot', 'average']).default('centre').meta(cameraSetting({
      group: 'Exposure', title: 'Metering', description: 'Which part of the picture automatic exposure looks at.',
    })),
    flicker: z.enum(['off', '50hz', '60hz']).default('off').meta(cameraSetting({
      group: 'Exposure', title: 'Mains flicker',
      description: 'Avoid banding under lights on 50 Hz or 60 Hz mains by exposing in whole flicker periods.',
    })),

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
  })
  .superRefine((cam, ctx) => {
    if ((cam.awbRedGain === null) !== (cam.awbBlueGain === null)) {
      const missing = cam.awbRedGain === null ? 'awbRedGain' : 'awbBlueGain';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'set the red and blue gains together (or neither)' });
    }
    if (cam.codec === 'h264') {
      // Levels 4 to 4.2 (the only ones offered) cap the frame at 8192 macroblocks of 16x16 pixels
      // and 4.2 the rate at 522240 per second (ITU-T H.264 table A-1): 1920x1080 at 60 fps at most.
      const macroblocks = Math.ceil(cam.width / 16) * Math.ceil(cam.height / 16);
      if (macroblocks > H264_MAX_FRAME_MACROBLOCKS) {
        ctx.addIssue({
          code: 'custom', path: ['width'],
          message: `${cam.width}x${cam.height} is too large for H.264 level 4.2 (at most 8192 macroblocks of 16x16, e.g. 1920x1080); use MJPEG or a smaller size`,
        });
      } else if (macroblocks * cam.framerate > H264_MAX_MACROBLOCKS_PER_SECOND) {
        ctx.addIssue({
          code: 'custom', path: ['framerate'],
          message: `${cam.width}x${cam.height} at ${cam.framerate} fps is too much for H.264 level 4.2 (at most 522240 macroblocks a second, e.g. 1920x1080 at 64 fps)`,
        });
      }
    }
    // That extraArgs repeats no flag a setting adds is checked in validateConfig (load.ts), which
    // can ask src/device/camera/argv.ts without an import cycle.
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
  /** Viewers (not only owners) may switch privacy on and off from the page or the API. */
  viewersToggle: z.boolean().default(false).meta({
    group: 'Device',
    title: 'Viewers switch privacy',
    description: 'Users with the viewer role may switch privacy on and off, not only owners.',
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
  /** Settings changed from the page, written atomically; see src/device/settings/store.ts. The users live beside it in accounts.json. */
  file: z.string().min(1).default('/var/lib/picamd/settings.json'),
});

export const configSchema = z.strictObject({
  /** A note for people reading the file (JSON has no comments); picamd ignores it. */
  $comment: z.string().max(2000).optional(),
  server: serverSchema.prefault({}),
  camera: cameraSchema.prefault({}),
  gpio: gpioSchema.prefault({}),
  privacy: privacySchema.prefault({}),
  log: logSchema.prefault({}),
  settings: settingsSchema.prefault({}),
  mqtt: mqttSchema.prefault({}),
  metrics: metricsSchema.prefault({}),
  rtsp: rtspSchema.prefault({}),
  onvif: onvifSchema.prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type CameraConfig = Config['camera'];
export type ServerConfig = Config['server'];
export type GpioConfig = Config['gpio'];
