import { existsSync } from 'node:fs';
import type { CameraState } from '../camera/machine.js';
import { escapeForLog } from '../../platform/log/escape.js';
import type { Logger } from '../../platform/log/logger.js';
import { errorText } from '../../platform/errors.js';
import type { CameraConfig, Config } from './schema.js';
import { rollbackCause } from './rollback-cause.js';
import { appliesOf, type RollbackDetails, type SettingsStatus } from './store.js';
import { deepEqual } from './tree.js';

// A camera setting on trial: the camera takes the change, and it is watched until the camera proves
// it (a first frame: the settings become the last good ones) or refuses it (the run ends first: back
// to the last good settings, quoting the camera's own error line). Other services follow the
// settings themselves (src/device/events.ts).

export interface ApplyTargets {
  camera: {
    reconfigure(config: CameraConfig): void;
    readonly lastErrorLine: string;
    status(): { state: CameraState; detail: string };
    on(event: 'state', listener: (state: CameraState, detail: string) => void): unknown;
    off(event: 'state', listener: (state: CameraState, detail: string) => void): unknown;
  };
  logger: Logger;
  /** Whether a file exists, for the likely cause of a rollback (a tuning file); fs.existsSync by default. */
  exists?: (path: string) => boolean;
}

export interface ApplyStore {
  readonly status: SettingsStatus;
  rollback(reason?: string, details?: RollbackDetails): Promise<unknown>;
  markGood(): Promise<void>;
  on(event: 'change', listener: (next: Config, previous: Config, paths: string[]) => void): unknown;
  off(event: 'change', listener: (next: Config, previous: Config, paths: string[]) => void): unknown;
}

export type ApplyStatus = SettingsStatus | { state: 'applying'; message: string };

export class SettingsApplier {
  /** A camera change not yet proven; `rollingBack` when it is the return to the last good ones. */
  private pending: { rollingBack: boolean } | undefined;
  /** Set while the store's rollback runs, so the change it makes is known as one. */
  private rollbackUnderWay = false;

  constructor(
    private readonly store: ApplyStore,
    private readonly targets: ApplyTargets,
  ) {}

  /** What the page shows: applying while a camera change is unproven, else the store's word. */
  get status(): ApplyStatus {
    if (this.pending && !this.pending.rollingBack) return { state: 'applying', message: 'Applying the new camera settings.' };
    return this.store.status;
  }

  private readonly onChange = (next: Config, previous: Config, paths: string[]) => this.apply(next, previous, paths);
  private readonly onCameraState = (state: CameraState) => this.watch(state);

  start(): void {
    this.store.on('change', this.onChange);
    this.targets.camera.on('state', this.onCameraState);
  }

  /** Safe to call twice. */
  stop(): void {
    this.store.off('change', this.onChange);
    this.targets.camera.off('state', this.onCameraState);
  }

  private apply(next: Config, previous: Config, paths: readonly string[]): void {
    const { camera, logger } = this.targets;
    if (appliesOf(paths).has('restart')) logger.info(`saved; takes effect at the next start: ${paths.join(', ')}`);
    if (!deepEqual(previous.camera, next.camera)) {
      const rollingBack = this.rollbackUnderWay;
      this.pending = { rollingBack };
      logger.info(rollingBack ? 'camera: going back to the last good settings' : `camera: applying ${paths.filter((p) => p.startsWith('camera.')).join(', ')}`);
      camera.reconfigure(next.camera);
    }
  }

  /** The camera's next outcome after a change decides it. While private, that waits for privacy off. */
  private watch(state: CameraState): void {
    const pending = this.pending;
    if (!pending) return;
    const { logger } = this.targets;
    if (state === 'streaming') {
      this.pending = undefined;
      if (pending.rollingBack) return;
      this.store.markGood().catch((err: unknown) => logger.error(`keeping the settings as the last good ones failed: ${errorText(err)}`));
      return;
    }
    if (state !== 'backoff' || pending.rollingBack) return;
    const line = this.targets.camera.lastErrorLine || this.targets.camera.status().detail;
    logger.warn(`the camera refused the new settings (${escapeForLog(line, 600)}); going back to the last good ones`);
    this.rollbackUnderWay = true;
    this.store
      .rollback(`the camera refused the new settings: ${line}`, {
        cameraLine: line,
        explain: (undone, tried) => rollbackCause({ undone, tried: tried.camera, line, exists: this.targets.exists ?? existsSync }),
      })
      .catch((err: unknown) => logger.error(`going back to the last good settings failed: ${errorText(err)}`))
      .finally(() => (this.rollbackUnderWay = false));
  }
}
