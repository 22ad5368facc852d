// An emulated sensor for the simulated camera (PICAMD_SIM_SENSOR), so tests and demos can see a
// setting the camera cannot do fail the way it fails on a Pi: the camera process exits at once with
// an error line, and picamd has to roll back. Without it the sim does any size and rate.
//
// The sim is stricter than the real thing on purpose: libcamera picks the nearest sensor mode and
// rpicam-vid runs with what it gets (a lower frame rate, a scaled picture), where the sim refuses.
// Mode lists are those `rpicam-hello --list-cameras` prints for each sensor, rounded.

import { SimUsageError } from './options.js';

export interface SensorMode {
  width: number;
  height: number;
  /** Highest frame rate of the mode. */
  fps: number;
}

export interface SimSensor {
  name: string;
  modes: readonly SensorMode[];
  /** Modes available with --hdr sensor (or auto): Camera Module 3's sensor HDR has just one. */
  hdrModes?: readonly SensorMode[];
}

const mode = (width: number, height: number, fps: number): SensorMode => ({ width, height, fps });

export const SIM_SENSORS: Readonly<Record<string, SimSensor>> = {
  // Camera Module 3
  imx708: {
    name: 'imx708',
    modes: [mode(1536, 864, 120.13), mode(2304, 1296, 56.03), mode(4608, 2592, 14.35)],
    hdrModes: [mode(2304, 1296, 30.01)],
  },
  // High Quality Camera
  imx477: { name: 'imx477', modes: [mode(1332, 990, 120.05), mode(2028, 1080, 50.03), mode(2028, 1520, 40.01), mode(4056, 3040, 10)] },
  // Camera Module 2
  imx219: { name: 'imx219', modes: [mode(640, 480, 206.65), mode(1640, 1232, 41.85), mode(1920, 1080, 47.57), mode(3280, 2464, 21.19)] },
  // Camera Module 1
  ov5647: { name: 'ov5647', modes: [mode(640, 480, 58.92), mode(1296, 972, 43.25), mode(1920, 1080, 30.62), mode(2592, 1944, 15.63)] },
};

/** PICAMD_SIM_SENSOR: a sensor name from SIM_SENSORS, or modes as "WxH@fps,WxH@fps". Empty: none. */
export function parseSimSensor(spec: string | undefined): SimSensor | undefined {
  const text = spec?.trim();
  if (!text) return undefined;
  const named = SIM_SENSORS[text.toLowerCase()];
  if (named) return named;
  const modes = text.split(',').map((part) => {
    const match = /^(\d{1,5})x(\d{1,5})@(\d{1,4}(?:\.\d+)?)$/.exec(part.trim());
    if (!match || Number(match[1]) === 0 || Number(match[2]) === 0 || Number(match[3]) === 0) {
      throw new SimUsageError(
        `PICAMD_SIM_SENSOR: '${part.trim()}' is neither a sensor (${Object.keys(SIM_SENSORS).join(', ')}) nor a mode like 1920x1080@50`,
      );
    }
    return mode(Number(match[1]), Number(match[2]), Number(match[3]));
  });
  return { name: 'custom', modes };
}

export interface ModeRequest {
  width: number;
  height: number;
  framerate: number;
  /** The --hdr value: sensor or auto switch Camera Module 3 into its HDR mode. */
  hdr: string;
}

export type ModeChoice = { ok: true; mode: SensorMode; hdr: boolean } | { ok: false; reason: string };

/**
 * The mode for this output: the smallest at least as large (the sim does not upscale) that runs at
 * the frame rate; or why there is none.
 */
export function chooseSensorMode(sensor: SimSensor, request: ModeRequest): ModeChoice {
  const { width, height, framerate } = request;
  const hdr = sensor.hdrModes !== undefined && (request.hdr === 'sensor' || request.hdr === 'auto');
  const modes = hdr ? sensor.hdrModes! : sensor.modes;
  const what = `the simulated ${sensor.name}${hdr ? ' in sensor HDR' : ''}`;
  const large = modes.filter((m) => m.width >= width && m.height >= height);
  if (large.length === 0) {
    const largest = modes.reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
    return { ok: false, reason: `${width}x${height} is larger than any mode of ${what} (largest ${largest.width}x${largest.height})` };
  }
  const fast = large.filter((m) => m.fps >= framerate).sort((a, b) => a.width * a.height - b.width * b.height);
  if (fast.length === 0) {
    const fastest = large.reduce((a, b) => (b.fps > a.fps ? b : a));
    return {
      ok: false,
      reason: `${framerate} fps is more than ${what} can do at ${width}x${height} (at most ${fastest.fps} fps, in mode ${fastest.width}x${fastest.height})`,
    };
  }
  return { ok: true, mode: fast[0]!, hdr };
}
