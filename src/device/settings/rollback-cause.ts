import type { CameraConfig } from './schema.js';

// Why the camera most likely refused a change, in plain words for the page, from what was undone,
// the values tried and the camera's own error line. Pure: whether a file exists is asked through
// `exists`. Undefined when nothing here can tell; the page then quotes the camera's line alone.

export interface CauseInput {
  /** Dotted paths the rollback undid (`camera.tuningFile`). */
  undone: readonly string[];
  /** The camera settings that were refused. */
  tried: CameraConfig;
  /** The camera's last error line. */
  line: string;
  exists: (path: string) => boolean;
}

export function rollbackCause({ undone, tried, line, exists }: CauseInput): string | undefined {
  const has = (key: keyof CameraConfig) => undone.includes(`camera.${key}`);
  if (has('tuningFile') && tried.tuningFile !== null) {
    return exists(tried.tuningFile)
      ? `the tuning file ${tried.tuningFile} could not be loaded (not a tuning file for this camera and board)`
      : `the tuning file ${tried.tuningFile} does not exist`;
  }
  const option = /unrecognised option '(--[\w-]+)'/.exec(line);
  if (option) return `this rpicam-vid is too old for ${option[1]} (update rpicam-apps)`;
  if (/failed to allocate (capture )?buffers/i.test(line)) {
    return `the camera has too little memory for ${tried.width}x${tried.height} (try a smaller size)`;
  }
  if ((has('width') || has('height')) && /larger than any mode|cannot (be )?configure|invalid.*size/i.test(line)) {
    return `the camera cannot make ${tried.width}x${tried.height} pictures`;
  }
  if (has('framerate') && /fps|frame ?rate/i.test(line)) return `the camera cannot run at ${tried.framerate} fps at ${tried.width}x${tried.height}`;
  if (has('index') && tried.index !== null && /no cameras? available|camera.*not found|invalid camera/i.test(line)) {
    return `there is no camera number ${tried.index}`;
  }
  if (has('hdr') && /hdr/i.test(line)) return `this camera or board cannot do HDR ${tried.hdr}`;
  return undefined;
}
