import { EventEmitter } from 'node:events';
import type { Logger } from '../../platform/log/logger.js';
import { errorText } from '../../platform/errors.js';
import { storageProblem, type StorageProblemCode } from '../../platform/storage-problem.js';
import type { LoadResult, PrivacySource, PrivacyState } from './store.js';

export type { PrivacySource, PrivacyState } from './store.js';

/** What privacy needs from the camera: stop it and keep it stopped, or let it run. */
export interface PausablePort {
  setPaused(paused: boolean): void;
}

export type SetResult =
  | { ok: true; changed: boolean; state: PrivacyState }
  | { ok: false; reason: 'switch'; message: string; state: PrivacyState };

/** Why the current state is not on disk: it holds in memory, a restart would not remember it. */
export interface PrivacySaveProblem {
  error: StorageProblemCode | 'save-failed';
  message: string;
}

export interface PrivacyControllerDeps {
  store: { readonly path: string; load(): Promise<LoadResult>; save(state: PrivacyState): Promise<void> };
  /** `privacy.startPaused`: private at every boot whatever the file says. */
  startPaused: boolean;
  logger: Logger;
  now?: () => Date;
}

export interface PrivacyControllerEvents {
  /** On start() with the boot state, then on every change of `enabled`. */
  change: [state: PrivacyState];
}

/**
 * Owns the privacy state. Every source goes through here: the GPIO button (`toggle`), a latching
 * switch (`setSwitch`), the HTTP API (`set(..., 'api')`) and the state file at boot (`start`).
 *
 * Until start() has read the state file the device counts as private, so a camera bound early is
 * held paused and can never stream before privacy is known.
 */
export class PrivacyController extends EventEmitter<PrivacyControllerEvents> {
  private current: PrivacyState;
  private started = false;
  /** Latest debounced switch level; null with no switch, or while its line is unknown/lost. */
  private switchActive: boolean | null = null;
  private cameras: PausablePort[] = [];
  private pendingSave: PrivacyState | null = null;
  private saving: Promise<void> | null = null;
  private saveProblem: PrivacySaveProblem | null = null;
  private readonly now: () => Date;
  private readonly log: Logger;

  constructor(private readonly deps: PrivacyControllerDeps) {
    super();
    this.now = deps.now ?? (() => new Date());
    this.log = deps.logger;
    this.current = { enabled: true, source: 'boot', since: this.now().toISOString() };
  }

  get state(): PrivacyState {
    return { ...this.current };
  }

  get enabled(): boolean {
    return this.current.enabled;
  }

  /** Set while the last write of the state failed (a full or read-only card); null once one succeeds. */
  get notSaved(): PrivacySaveProblem | null {
    return this.saveProblem ? { ...this.saveProblem } : null;
  }

  /**
   * Applies the privacy state to a camera now and on every change. Bind before the camera starts:
   * until start() has run this pauses it.
   */
  bindCamera(camera: PausablePort): void {
    this.cameras.push(camera);
    this.applyTo(camera);
  }

  /**
   * Reads the state file and decides the boot state: the file (missing = not private, corrupt or
   * unreadable = private), then `startPaused`, then a switch level already reported by setSwitch().
   * Never throws for file problems.
   */
  async start(): Promise<PrivacyState> {
    if (this.started) return this.state;
    const loaded = await this.deps.store.load();
    const file = this.deps.store.path;
    let enabled: boolean;
    let since = this.now().toISOString();
    switch (loaded.kind) {
      case 'missing':
        enabled = false;
        this.log.info(`no state file at ${file}, starting not private`);
        break;
      case 'ok':
        enabled = loaded.state.enabled;
        since = loaded.state.since;
        this.log.info(`state file says ${enabled ? 'private' : 'not private'} since ${since} (set by ${loaded.state.source})`);
        break;
      case 'corrupt':
        enabled = true;
        this.log.warn(`state file ${file}: ${loaded.reason}; starting private to be safe ` +
          `(turn privacy off with the button, switch or POST /api/privacy to rewrite it)`);
        break;
    }
    let source: PrivacySource = 'boot';
    if (this.deps.startPaused && !enabled) {
      enabled = true;
      since = this.now().toISOString();
      this.log.info('privacy.startPaused is set: starting private');
    }
    this.started = true;
    if (this.switchActive !== null) {
      // The switch's position is the truth at boot; startPaused can only add privacy.
      const target = this.switchActive || this.deps.startPaused;
      if (target !== enabled) {
        enabled = target;
        source = 'switch';
        since = this.now().toISOString();
      }
    }
    this.current = { enabled, source, since };
    this.log.info(`boot state: ${enabled ? 'private (camera stays stopped)' : 'not private'}`);
    this.applyToCameras();
    this.emit('change', this.state);
    if (source === 'switch') this.persist();
    return this.state;
  }

  /** Waits for the last state write. Safe to call twice. */
  async stop(): Promise<void> {
    await this.flush();
  }

  /**
   * Turns privacy on or off. The camera is told at once; the file is written in the background (a
   * failed write is logged and shown as `notSaved`: the state still holds in memory, so privacy
   * fails closed on a full or read-only card). A switch that is on cannot be
   * overridden to off by anything but the switch.
   */
  set(enabled: boolean, source: PrivacySource): SetResult {
    if (!enabled && this.switchActive === true && source !== 'switch') {
      return {
        ok: false,
        reason: 'switch',
        message: 'The privacy switch on the device is on; turn the switch off to turn privacy off.',
        state: this.state,
      };
    }
    if (enabled === this.current.enabled) return { ok: true, changed: false, state: this.state };
    this.current = { enabled, source, since: this.now().toISOString() };
    this.log.info(`${enabled ? 'on: camera stopped' : 'off: camera starting'} (by ${source})`);
    this.applyToCameras();
    this.emit('change', this.state);
    this.persist();
    return { ok: true, changed: true, state: this.state };
  }

  /** A press of the momentary button. */
  toggle(source: PrivacySource): SetResult {
    return this.set(!this.current.enabled, source);
  }

  /**
   * The debounced level of a latching switch (true = private), or null when the switch line is lost
   * so the API is no longer blocked by a level nobody can read. Before start() the level is only
   * remembered; start() applies it.
   */
  setSwitch(active: boolean | null): void {
    const previous = this.switchActive;
    if (active === previous) return;
    this.switchActive = active;
    if (!this.started || active === null) return;
    // The first reading after start is the boot position: startPaused still forces private.
    const target = previous === null ? active || this.deps.startPaused : active;
    this.set(target, 'switch');
  }

  /** Resolves once every state change so far has been written (or failed to). */
  async flush(): Promise<void> {
    while (this.saving) await this.saving;
  }

  private applyToCameras(): void {
    for (const camera of this.cameras) this.applyTo(camera);
  }

  private applyTo(camera: PausablePort): void {
    try {
      camera.setPaused(this.current.enabled);
    } catch (err) {
      this.log.error(`could not ${this.current.enabled ? 'pause' : 'resume'} the camera: ${errorText(err)}`);
    }
  }

  /** One write at a time; changes made during a write coalesce into the next one. */
  private persist(): void {
    this.pendingSave = this.state;
    if (this.saving) return;
    this.saving = (async () => {
      while (this.pendingSave) {
        const state = this.pendingSave;
        this.pendingSave = null;
        try {
          await this.deps.store.save(state);
          this.saveProblem = null;
        } catch (err) {
          this.log.error(`could not save state to ${this.deps.store.path}: ${errorText(err)}; ` +
            `privacy is ${state.enabled ? 'on' : 'off'} now but a reboot will not remember it`);
          const storage = storageProblem(err);
          const restart = `Privacy is ${state.enabled ? 'on' : 'off'} now, but a restart will not remember it.`;
          this.saveProblem = storage
            ? { error: storage.code, message: `Not saved: ${storage.cause}. ${restart}` }
            : { error: 'save-failed', message: `Not saved: the privacy state could not be written (the device log says why). ${restart}` };
        }
      }
      this.saving = null;
    })();
  }
}
