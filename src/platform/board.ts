import { readFileSync } from 'node:fs';

// Which H.264 encoder rpicam-vid will use on this board, from the device tree's model string
// (/proc/device-tree/model, as deviceModel() below reads it).
//
// rpicam-apps (encoder/encoder.cpp, h264_codec_select) uses the V4L2 hardware encoder on the VC4
// platform (every Pi up to the 4, the 400, the Zero 2 W and Compute Modules 1-4). The Pi 5 family
// (PiSP platform: Pi 5, Pi 500, Compute Module 5) has no H.264 hardware: `--codec h264` there switches
// to libav with libx264, which costs CPU and behaves differently on stdout (see args.ts).
//
// That libav encoder is only in the full rpicam-apps package. Raspberry Pi OS Lite (and so picamd's
// image) brings rpicam-apps-lite, built without libav: before rpicam-apps 1.8.1 its rpicam-vid
// refuses --libav-format as an unknown option (raspberrypi/rpicam-apps#735), from 1.8.1 it stops
// with "Unable to find an appropriate H.264 codec" (#761). The maintainers' answer in both: replace
// rpicam-apps-lite with rpicam-apps. So on a Pi 5 with rpicam-apps-lite, H.264 is refused as a
// setting, with the package named, instead of a camera that never starts.

/** Which rpicam-apps package dpkg has installed (rpicam-package.ts); null: neither, or not known. */
export type RpicamPackage = 'rpicam-apps' | 'rpicam-apps-lite' | null;

/** The package whose rpicam-vid has the libav (libx264) encoder. */
export const SOFTWARE_H264_PACKAGE = 'rpicam-apps';

export interface H264EncoderChoice {
  /** True when rpicam-vid encodes H.264 with the Pi's hardware encoder. */
  hardware: boolean;
  /** One line for the log and the status: which encoder, and why. */
  note: string;
  /** The package rpicam-vid needs before it can encode H.264 on this board; absent when none is missing (or it cannot be told). */
  missingPackage?: string;
}

/** Pi 5, Pi 500 (and 500+), Compute Module 5 (and its Lite): PiSP boards without an H.264 encoder. */
const PI5_FAMILY = /^Raspberry Pi (?:5\b|5\d\d\b|Compute Module 5\b)/;
const RASPBERRY_PI = /^Raspberry Pi\b/;

export function h264EncoderFor(model: string | undefined, rpicam: RpicamPackage = null): H264EncoderChoice {
  const name = model?.replace(/\0/g, '').trim() ?? '';
  if (PI5_FAMILY.test(name)) {
    // rpicam-apps wins when both are listed; with neither (built from source) the camera's own error line tells.
    if (rpicam === 'rpicam-apps-lite') {
      return {
        hardware: false,
        note: `${name} has no H.264 hardware encoder, and rpicam-apps-lite has no software one: H.264 needs the ${SOFTWARE_H264_PACKAGE} package`,
        missingPackage: SOFTWARE_H264_PACKAGE,
      };
    }
    return {
      hardware: false,
      note: `${name} has no H.264 hardware encoder: rpicam-vid encodes with libx264 on the CPU`,
    };
  }
  if (RASPBERRY_PI.test(name)) {
    return { hardware: true, note: `${name}: rpicam-vid encodes H.264 with the hardware encoder` };
  }
  // Not a Pi we know (a PC running the simulated camera, another board): rpicam-apps would find no
  // bcm2835 encoder there either, and the software command line works with or without one.
  return {
    hardware: false,
    note: `${name || 'unknown board'} is not a Raspberry Pi model picamd knows: assuming no H.264 hardware encoder (libx264)`,
  };
}

/**
 * The settings problem of `camera.codec: "h264"` on a board whose rpicam-vid cannot encode it, in
 * the settings' `path: message` form; none otherwise. A refusal, never a silent fallback to MJPEG.
 */
export function h264SettingProblems(camera: { codec: string }, choice: H264EncoderChoice): string[] {
  if (camera.codec !== 'h264' || choice.missingPackage === undefined) return [];
  const pkg = choice.missingPackage;
  return [`camera.codec: H.264 on this board needs the ${pkg} package (${choice.note}); install it with "sudo apt install ${pkg}", or keep MJPEG`];
}

/** The board's model for the log, the status and Home Assistant's device card, e.g. "Raspberry Pi Zero 2 W Rev 1.0". */
export function deviceModel(read: () => string = () => readFileSync('/proc/device-tree/model', 'utf8')): string {
  try {
    // The device tree string ends in a NUL.
    const model = read().replace(/\0/g, '').trim();
    return model.length > 0 ? model : 'unknown board';
  } catch {
    return 'unknown board';
  }
}
