import type { CameraConfig } from '../settings/schema.js';
import type { H264EncoderChoice } from '../../platform/board.js';

// rpicam-vid's flags, spelt as rpicam-apps spells them (core/options.cpp). A setting at rpicam-apps'
// own default adds nothing, so a default config gives the same short command line as always and
// older rpicam-apps versions that lack a flag still start. docs/camera-settings.md has the table.

/** One flag a setting adds: the config key under `camera`, the option name and its argv tokens. */
export interface CameraSettingFlag {
  key: keyof CameraConfig;
  flag: string;
  args: string[];
}

/** Mains frequency -> the flicker period rpicam-apps wants (its --help gives these two values). */
const FLICKER_PERIOD = { '50hz': '10000us', '60hz': '8333us' } as const;

/**
 * The flags the camera settings add beyond the fixed MJPEG-to-stdout part, in command-line order.
 * Each value is the next word (Boost takes "-1" there too), except --hdr's: its value is optional
 * (a bare --hdr means auto), and "--hdr=mode" is the spelling no Boost version can read otherwise.
 */
export function cameraSettingFlags(camera: CameraConfig): CameraSettingFlag[] {
  const flags: CameraSettingFlag[] = [];
  const add = (key: keyof CameraConfig, flag: string, ...values: string[]) =>
    flags.push({ key, flag, args: [flag, ...values] });

  if (camera.hflip) add('hflip', '--hflip');
  if (camera.vflip) add('vflip', '--vflip');
  if (camera.rotation === 180) add('rotation', '--rotation', '180');
  if (camera.index !== null) add('index', '--camera', String(camera.index));
  if (camera.tuningFile !== null) add('tuningFile', '--tuning-file', camera.tuningFile);

  if (camera.brightness !== 0) add('brightness', '--brightness', String(camera.brightness));
  if (camera.contrast !== 1) add('contrast', '--contrast', String(camera.contrast));
  if (camera.saturation !== 1) add('saturation', '--saturation', String(camera.saturation));
  if (camera.sharpness !== 1) add('sharpness', '--sharpness', String(camera.sharpness));
  if (camera.denoise !== 'auto') add('denoise', '--denoise', camera.denoise);
  // Named HDR modes since libcamera-apps 1.3.0; 1.2.x took --hdr as a plain on/off switch.
  if (camera.hdr !== 'off') flags.push({ key: 'hdr', flag: '--hdr', args: [`--hdr=${camera.hdr}`] });
  if (camera.awbMode !== 'auto') add('awbMode', '--awb', camera.awbMode);
  // The schema lets only both or neither through.
  if (camera.awbRedGain !== null && camera.awbBlueGain !== null) {
    add('awbRedGain', '--awbgains', `${camera.awbRedGain},${camera.awbBlueGain}`);
  }

  if (camera.autofocusMode !== 'default') add('autofocusMode', '--autofocus-mode', camera.autofocusMode);
  if (camera.autofocusRange !== 'normal') add('autofocusRange', '--autofocus-range', camera.autofocusRange);
  if (camera.autofocusSpeed !== 'normal') add('autofocusSpeed', '--autofocus-speed', camera.autofocusSpeed);
  if (camera.lensPosition !== null) add('lensPosition', '--lens-position', String(camera.lensPosition));

  if (camera.exposureMode !== 'normal') add('exposureMode', '--exposure', camera.exposureMode);
  if (camera.ev !== 0) add('ev', '--ev', String(camera.ev));
  // A plain number is microseconds both as a time string (libcamera-apps >= 1.2.2, default unit us)
  // and as the float in us that older versions took.
  if (camera.shutterUs !== 0) add('shutterUs', '--shutter', String(camera.shutterUs));
  if (camera.analogueGain !== 0) add('analogueGain', '--gain', String(camera.analogueGain));
  if (camera.meteringMode !== 'centre') add('meteringMode', '--metering', camera.meteringMode);
  // --flicker-period exists since libcamera-apps 1.2.2 (September 2023), before the rename to
  // rpicam-apps, so every rpicam-vid has it; a camera without flicker control ignores it.
  if (camera.flicker !== 'off') add('flicker', '--flicker-period', FLICKER_PERIOD[camera.flicker]);
  return flags;
}

/**
 * Automatic H.264 bit rate: 0.07 bits per pixel per frame, the low-motion figure of the "Kush gauge"
 * (pixels x fps x motion rank 1 x 0.07), about 1.9 Mbit/s at 1280x720 and 30 fps. A network camera
 * mostly watches a still scene from a fixed mount, so low motion fits; busier scenes get a
 * softer picture rather than more bandwidth. Without --bitrate the encoder would pick its own
 * default (the hardware's, or libav's for libx264), chosen for neither the size nor the network.
 * Kept within the schema's 100-25000 kbit/s and rounded to whole kbit/s.
 */
export function automaticBitrateBps(width: number, height: number, framerate: number): number {
  const kbps = Math.round((width * height * framerate * 0.07) / 1000);
  return Math.min(25_000, Math.max(100, kbps)) * 1000;
}

/** rpicam-vid's --intra is in frames: the keyframe interval at the frame rate, at least every frame. */
export function intraPeriodFrames(keyframeIntervalMs: number, framerate: number): number {
  return Math.max(1, Math.round((keyframeIntervalMs * framerate) / 1000));
}

/**
 * The flags the codec settings add after the size and frame rate. MJPEG: -q. H.264: keyframe period,
 * profile, level and bit rate, always given (rpicam-vid's defaults are the encoder's, not picamd's).
 * --bitrate is a plain number of bits per second: read as bps both by rpicam-apps >= 1.2.2 (which
 * takes units, bps when none) and by older versions (an unsigned int in bps).
 */
export function codecFlags(camera: CameraConfig): CameraSettingFlag[] {
  if (camera.codec === 'mjpeg') return [{ key: 'quality', flag: '-q', args: ['-q', String(camera.quality)] }];
  const bps = camera.bitrateKbps === null
    ? automaticBitrateBps(camera.width, camera.height, camera.framerate)
    : camera.bitrateKbps * 1000;
  return [
    { key: 'keyframeIntervalMs', flag: '--intra', args: ['--intra', String(intraPeriodFrames(camera.keyframeIntervalMs, camera.framerate))] },
    { key: 'h264Profile', flag: '--profile', args: ['--profile', camera.h264Profile] },
    { key: 'h264Level', flag: '--level', args: ['--level', camera.h264Level] },
    { key: 'bitrateKbps', flag: '--bitrate', args: ['--bitrate', String(bps)] },
  ];
}

/** What the software H.264 path (libav + libx264, the Pi 5) needs so stdout still gets Annex-B. */
const SOFTWARE_H264_ARGS = [
  // With "-o -" and no format, libav cannot guess a container from the name "-" and rpicam-vid stops
  // with "libav: cannot allocate output context, try setting with --libav-format" (LibAvEncoder::
  // initVideoCodec). "h264" is the raw Annex-B muxer; libx264 then repeats SPS/PPS before every IDR
  // itself (no global header), whatever --inline says (libav ignores it).
  '--libav-format', 'h264',
  // libx264's ultrafast/zerolatency presets with slice threads: no B-frames and no frame-thread
  // delay, so a picture leaves the encoder as soon as it is coded. Without it rpicam-apps uses
  // superfast with one B-frame (a frame of reordering delay) and frame threading (several more).
  // Since rpicam-apps 1.6.0 (January 2025); older ones refuse the option.
  '--low-latency',
];

/**
 * The rpicam-vid command line for the configured camera: the chosen codec to stdout, no preview, no
 * time limit, flushed after every frame so a frame reaches us as soon as it is encoded. MJPEG's is
 * the same as it always was. H.264 adds --inline (SPS/PPS before every keyframe, so a viewer can
 * start at any keyframe) and, when the board has no hardware encoder (`h264Encoder`, from
 * encoder.ts; the hardware one by default), what the libav path needs.
 */
export function buildCameraArgv(camera: CameraConfig, h264Encoder: H264EncoderChoice = { hardware: true, note: '' }): string[] {
  const h264 = camera.codec === 'h264';
  return [
    ...camera.command,
    '-t', '0',
    '-n',
    '--codec', camera.codec,
    ...(h264 ? ['--inline'] : []),
    '--flush',
    '-o', '-',
    ...(h264 && !h264Encoder.hardware ? SOFTWARE_H264_ARGS : []),
    '--width', String(camera.width),
    '--height', String(camera.height),
    '--framerate', String(camera.framerate),
    ...codecFlags(camera).flatMap((flag) => flag.args),
    ...cameraSettingFlags(camera).flatMap((flag) => flag.args),
    ...camera.extraArgs,
  ];
}
