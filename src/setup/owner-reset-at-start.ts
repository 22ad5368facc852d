import type { Config } from '../device/settings/schema.js';
import type { Tree } from '../device/settings/tree.js';
import { detectOwnerResetHold } from '../integrations/gpio/owner-reset.js';
import type { PinFactory } from '../integrations/gpio/pins.js';
import { realTimers, type ClockTimers } from '../platform/clock.js';
import { escapeForLog } from '../platform/log/escape.js';
import type { Logger } from '../platform/log/logger.js';
import { resetOwner } from './reset-owner.js';

// The button half of the owner reset, for picamd's start-up: call it after the config and the
// logger, before the settings store, the privacy controller and the GPIO service start (it opens
// and releases the same lines, and its writes must be read by them). Returns quickly (one read of
// the button) unless the button is held; then it waits up to 20 s.

export interface OwnerResetAtStartDeps {
  config: Config;
  /** The config file's own JSON object (loadConfigFile().raw). */
  base: Tree;
  loadPins: () => Promise<PinFactory>;
  logger: Logger;
  /** The settings file; default: the config's settings.file (the accounts file sits beside it). */
  settingsFile?: string;
  timers?: ClockTimers;
  now?: () => Date;
}

export async function resetOwnerIfButtonHeld(deps: OwnerResetAtStartDeps): Promise<boolean> {
  const { config, logger } = deps;
  const held = await detectOwnerResetHold({
    config: config.gpio,
    loadPins: deps.loadPins,
    timers: deps.timers ?? realTimers,
    logger,
  });
  if (!held) return false;
  const settingsFile = deps.settingsFile ?? config.settings.file;
  try {
    const { removed } = await resetOwner({
      settingsFile,
      privacyStateFile: config.privacy.stateFile,
      base: deps.base,
      now: (deps.now ?? (() => new Date()))(),
      logger,
    });
    logger.warn(`owner reset by the privacy button: removed ${removed.length > 0 ? removed.map((n) => `"${escapeForLog(n, 64)}"`).join(', ') : 'no users'}; ` +
      'privacy is on; open the page to choose the new owner');
    return true;
  } catch (err) {
    logger.error(`owner reset by the privacy button failed: ${(err as Error).message}`);
    return false;
  }
}
