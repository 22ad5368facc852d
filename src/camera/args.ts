import type { CameraConfig } from '../config/schema.js';

/**
 * The rpicam-vid command line for the configured camera: MJPEG to stdout, no preview, no time limit,
 * flushed after every frame so a frame reaches us as soon as it is encoded.
 */
export function buildCameraArgv(camera: CameraConfig): string[] {
  const argv = [
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
  ];
  if (camera.hflip) argv.push('--hflip');
  if (camera.vflip) argv.push('--vflip');
  if (camera.rotation === 180) argv.push('--rotation', '180');
  if (camera.index !== null) argv.push('--camera', String(camera.index));
  argv.push(...camera.extraArgs);
  return argv;
}
