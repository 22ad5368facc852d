import type { CameraConfig } from '../config/schema.js';

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
 * The rpicam-vid command line for the configured camera: MJPEG to stdout, no preview, no time limit,
 * flushed after every frame so a frame reaches us as soon as it is encoded.
 */
export function buildCameraArgv(camera: CameraConfig): string[] {
  return [
    ...camera.command,
    '-t', '0',
    '-n',
    '--codec', 'mjpeg',
    '--flush',
    '-o', '-',
    '--width', String(camera.width),
    '--height', String(camera.height),
    '--framerate', String(camera.framerate),
    '-q', String(camera.quality),
    ...cameraSettingFlags(camera).flatMap((flag) => flag.args),
    ...camera.extraArgs,
  ];
}
