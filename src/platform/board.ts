import { readFileSync } from 'node:fs';

// Which H.264 encoder rpicam-vid will use on this board, from the device tree's model string
// (/proc/device-tree/model, as deviceModel() below reads it).
//
// rpicam-apps (encoder/encoder.cpp, h264_codec_select) uses the V4L2 hardware encoder on the VC4
// platform (every Pi up to the 4, the 400, the Zero 2 W and Compute Modules 1-4). The Pi 5 family
// (PiSP platform: Pi 5, Pi 500, Compute Module 5) has no H.264 hardware: `--codec h264` there switches
// to libav with libx264, which costs CPU and behaves differently on stdout (see args.ts).

export interface H264EncoderChoice {
  /** True when rpicam-vid encodes H.264 with the Pi's hardware encoder. */
  hardware: boolean;
  /** One line for the log and the status: which encoder, and why. */
  note: string;
}

/** Pi 5, Pi 500 (and 500+), Compute Module 5 (and its Lite): PiSP boards without an H.264 encoder. */
const PI5_FAMILY = /^Raspberry Pi (?:5\b|5\d\d\b|Compute Module 5\b)/;
const RASPBERRY_PI = /^Raspberry Pi\b/;

export function h264EncoderFor(model: string | undefined): H264EncoderChoice {
  const name = model?.replace(/\0/g, '').trim() ?? '';
  if (PI5_FAMILY.test(name)) {
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
