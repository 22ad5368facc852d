// The camera's first outcome after picamd starts, as one line for systemd's STATUS= (the root
// updater commits a version on trial only once picamd has reported it, not on READY=1 alone): the
// first frame, or the camera's own honest reason that there is none (no camera, a crash, privacy
// mode keeping it off).
import type { CameraState } from './machine.js';

export const CAMERA_STATUS_PREFIX = 'camera: ';

/** The line for a camera state, or undefined while there is no outcome yet (starting, waiting). */
export function cameraOutcomeLine(state: CameraState, detail: string): string | undefined {
  switch (state) {
    case 'streaming':
      return `${CAMERA_STATUS_PREFIX}first frame`;
    case 'paused':
      return `${CAMERA_STATUS_PREFIX}off (${detail || 'privacy mode'})`;
    case 'backoff':
      return `${CAMERA_STATUS_PREFIX}no frame: ${detail}`;
    default:
      return undefined;
  }
}

interface StateSource {
  readonly state: CameraState;
  on(event: 'state', listener: (state: CameraState, detail: string) => void): unknown;
  off(event: 'state', listener: (state: CameraState, detail: string) => void): unknown;
}

/** Resolves with the first outcome line; `cancel` stops listening (picamd stopping before any). */
export function firstCameraOutcome(camera: StateSource): { outcome: Promise<string>; cancel: () => void } {
  let listener: ((state: CameraState, detail: string) => void) | undefined;
  const outcome = new Promise<string>((resolve) => {
    listener = (state, detail) => {
      const line = cameraOutcomeLine(state, detail);
      if (line === undefined) return;
      camera.off('state', listener!);
      resolve(line);
    };
    camera.on('state', listener);
  });
  return { outcome, cancel: () => void camera.off('state', listener!) };
}
