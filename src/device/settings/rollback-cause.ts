import type { CameraConfig } from './schema.js';

// Why the camera most likely refused a change, in plain words for the page, from what was undone,
// the values tried and the camera's own error line. Pure: whether a file exists is asked through
// `exists`. Undefined when nothing here can tell; the page then quotes the camera's line alone.
// Each cause has a code and the values its words use, so a page in another language can say it in
// its own words (the English text stays the device's).

export interface CauseInput {
  /** Dotted paths the rollback undid (`camera.tuningFile`). */
  undone: readonly string[];
  /** The camera settings that were refused. */
  tried: CameraConfig;
  /** The camera's last error line. */
  line: string;
  exists: (path: string) => boolean;
}

export type RollbackCauseCode = 'tuning-file-unloadable' | 'tuning-file-missing' | 'rpicam-too-old' | 'out-of-memory' | 'size-unsupported' | 'framerate-unsupported' | 'no-such-camera' | 'hdr-unsupported';

export interface RollbackCause {
  code: RollbackCauseCode;
  /** The cause in English: "the tuning file /x.json does not exist". */
  text: string;
  /** The values in the text, for a translation: `{ file: '/x.json' }`. */
  params: Record<string, string | number>;
}

const cause = (code: RollbackCauseCode, text: string, params: Record<string, string | number> = {}): RollbackCause => ({ code, text, params });

export function rollbackCause({ undone, tried, line, exists }: CauseInput): RollbackCause | undefined {
  const has = (key: keyof CameraConfig) => undone.includes(`camera.${key}`);
  const size = { width: tried.width, height: tried.height };
  if (has('tuningFile') && tried.tuningFile !== null) {
    const file = tried.tuningFile;
    return exists(file)
      ? cause('tuning-file-unloadable', `the tuning file ${file} could not be loaded (not a tuning file for this camera and board)`, { file })
      : cause('tuning-file-missing', `the tuning file ${file} does not exist`, { file });
  }
  const option = /unrecognised option '(--[\w-]+)'/.exec(line);
  if (option) return cause('rpicam-too-old', `this rpicam-vid is too old for ${option[1]} (update rpicam-apps)`, { option: option[1] ?? '' });
  if (/failed to allocate (capture )?buffers/i.test(line)) {
    return cause('out-of-memory', `the camera has too little memory for ${tried.width}x${tried.height} (try a smaller size)`, size);
  }
  if ((has('width') || has('height')) && /larger than any mode|cannot (be )?configure|invalid.*size/i.test(line)) {
    return cause('size-unsupported', `the camera cannot make ${tried.width}x${tried.height} pictures`, size);
  }
  if (has('framerate') && /fps|frame ?rate/i.test(line)) {
    return cause('framerate-unsupported', `the camera cannot run at ${tried.framerate} fps at ${tried.width}x${tried.height}`, { ...size, fps: tried.framerate });
  }
  if (has('index') && tried.index !== null && /no cameras? available|camera.*not found|invalid camera/i.test(line)) {
    return cause('no-such-camera', `there is no camera number ${tried.index}`, { index: tried.index });
  }
  if (has('hdr') && /hdr/i.test(line)) return cause('hdr-unsupported', `this camera or board cannot do HDR ${tried.hdr}`, { hdr: String(tried.hdr) });
  return undefined;
}
