import type { CameraStatus } from '../device/camera/supervisor.js';
import type { Part } from '../formats/multipart.js';

// GET /snapshot.jpg's rule: the newest live frame while the camera streams and it is fresh, else a
// reason. Pure: the caller passes the state in.

/** A JPEG, or why there is none. */
export type SnapshotResult = { jpeg: Buffer } | { error: string; message: string };

/** A frame older than this many frame intervals (and at least 2 s) is not "the camera now". */
const FRESH_INTERVALS = 3;
const MIN_FRESH_MS = 2_000;

export interface SnapshotInputs {
  privacy: boolean;
  camera: Pick<CameraStatus, 'state' | 'detail'>;
  framerate: number;
  /** The newest live part no older than maxAgeMs (Broadcaster.latestLive). */
  latestLive: (maxAgeMs: number) => Part | undefined;
  /** The camera's codec: in H.264 mode there is no JPEG to give. */
  codec?: 'mjpeg' | 'h264';
}

export function snapshotOf(s: SnapshotInputs): SnapshotResult {
  if (s.privacy) return { error: 'privacy', message: 'Privacy mode is on: the camera is switched off.' };
  if (s.codec === 'h264') {
    return {
      error: 'camera-in-h264-mode',
      message: 'The camera is in H.264 mode, which has no JPEG snapshots: the page takes its snapshot from the video, or choose MJPEG under Settings, Video.',
    };
  }
  const maxAgeMs = Math.max(MIN_FRESH_MS, (FRESH_INTERVALS * 1000) / s.framerate);
  const part = s.camera.state === 'streaming' ? s.latestLive(maxAgeMs) : undefined;
  // A copy: the frame's buffer is reused for a later frame once no viewer sends it (FramePool), and
  // the snapshot may go out later than that (a slow client, MQTT).
  if (part) return { jpeg: Buffer.from(part.jpeg) };
  return {
    error: 'no-frame',
    message: `No current frame: the camera is ${s.camera.state}${s.camera.detail ? ` (${s.camera.detail})` : ''}.`,
  };
}
