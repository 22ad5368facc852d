import type { CameraState } from '../camera/machine.js';
import type { Logger } from '../../platform/log/logger.js';
import { errorText } from '../../platform/clock.js';
import type { CameraConfig, Config, GpioConfig, ServerConfig } from './schema.js';
import { appliesOf, type SettingsStatus } from './store.js';
import { deepEqual } from './tree.js';

// Settings changes reach the services through here, one path: the store says what changed, each
// service takes what it applies live, and a camera change is watched until the camera proves it
// (a first frame: the settings become the last good ones) or refuses it (the run ends first: back
// to the last good settings, quoting the camera's own error line).

export interface ApplyTargets {
  camera: {
    reconfigure(config: CameraConfig): void;
    readonly lastErrorLine: string;
    status(): { state: CameraState; detail: string };
    on(event: 'state', listener: (state: CameraState, detail: string) => void): unknown;
  };
  gpio: { reconfigure(config: GpioConfig): Promise<void> };
  http: { setConfig(config: ServerConfig): void };
  logger: Logger;
  /** Anything else that takes the new config live (MQTT, the log level, ...). */
  live?: (next: Config, previous: Config, paths: readonly string[]) => void;
}

export interface ApplyStore {
  readonly status: SettingsStatus;
  rollback(reason?: string): Promise<unknown>;
  markGood(): Promise<void>;
  on(event: 'change', listener: (next: Config, previous: Config, paths: string[]) => void): unknown;
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

  start(): void {
    this.store.on('change', (next, previous, paths) => this.apply(next, previous, paths));
    this.targets.camera.on('state', (state) => this.watch(state));
  }

  private apply(next: Config, previous: Config, paths: readonly string[]): void {
    const { camera, gpio, http, logger } = this.targets;
    const applies = appliesOf(paths);
    // Users and open viewing have no `applies` class of their own: the server takes them live.
    http.setConfig(next.server);
    this.targets.live?.(next, previous, paths);
    if (applies.has('gpio') && !deepEqual(previous.gpio, next.gpio)) {
      gpio.reconfigure(next.gpio).catch((err: unknown) => logger.error(`re-opening the GPIO lines failed: ${errorText(err)}`));
    }
    if (applies.has('restart')) logger.info(`saved; takes effect at the next start: ${paths.join(', ')}`);
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
    logger.warn(`the camera refused the new settings (${line}); going back to the last good ones`);
    this.rollbackUnderWay = true;
    this.store
      .rollback(`the camera refused the new settings: ${line}`)
      .catch((err: unknown) => logger.error(`going back to the last good settings failed: ${errorText(err)}`))
      .finally(() => (this.rollbackUnderWay = false));
  }
}
