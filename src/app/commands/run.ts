import { resetOwnerIfButtonHeld } from '../../setup/owner-reset-at-start.js';
import { AccountsStore, accountsFileFor } from '../../device/accounts/store.js';
import { readLegacyUsers, SettingsStore } from '../../device/settings/store.js';
import type { Config } from '../../device/settings/schema.js';
import { loadOnoffPinFactory } from '../../integrations/gpio/pins.js';
import type { Logger } from '../../platform/log/logger.js';
import { errorText } from '../../platform/errors.js';
import { h264SettingProblems, type H264EncoderChoice } from '../../platform/board.js';
import { Appliance } from '../appliance.js';
import { handleProcessEvents } from '../process-events.js';

export interface RunOptions {
  raw: Record<string, unknown>;
  config: Config;
  logger: Logger;
  version: string;
  /** Which H.264 encoder this board's rpicam-vid has (platform/board.ts). */
  h264Encoder: H264EncoderChoice;
}

/** The appliance until SIGTERM or SIGINT: 0 after a clean stop, 1 when it cannot start. */
export async function runAppliance({ raw, config, logger, version, h264Encoder }: RunOptions): Promise<number> {
  // The privacy button held at start-up resets the owner (docs/gpio.md): before anything reads the
  // settings or opens the lines.
  await resetOwnerIfButtonHeld({ config, base: raw, loadPins: loadOnoffPinFactory, logger: logger.child('owner-reset'), settingsFile: config.settings.file });
  // Accounts before settings: users an older version kept in settings.json are written to the
  // accounts file first, and only then does the settings store drop them, so a power cut loses none.
  const accounts = new AccountsStore({
    file: accountsFileFor(config.settings.file),
    configUsers: config.server.auth?.users,
    legacyUsers: () => readLegacyUsers(config.settings.file, raw),
    logger: logger.child('accounts'),
  });
  await accounts.load();
  const settings = new SettingsStore({
    base: raw,
    file: config.settings.file,
    logger: logger.child('settings'),
    check: (next) => h264SettingProblems(next.camera, h264Encoder),
    hasUsers: () => accounts.users.length > 0,
  });
  await settings.load({ dropLegacyUsers: accounts.holdsUsers });
  logger.setLevel(settings.config.log.level);
  // Saved before this board could be told (a card moved from a Pi 4): kept, and said loudly.
  for (const problem of h264SettingProblems(settings.config.camera, h264Encoder)) logger.error(`settings: ${problem}`);

  const appliance = new Appliance({ settings, accounts, logger, version, env: process.env, cwd: process.cwd(), h264Encoder });
  const signal = handleProcessEvents({ proc: process, logger, exit: (code) => process.exit(code), lastResort: () => appliance.lastResort() });
  try {
    await appliance.start();
  } catch (err) {
    logger.error(`cannot start: ${errorText(err)}`);
    await appliance.stop();
    return 1;
  }
  logger.info(`stopping on ${await signal}`);
  await appliance.stop();
  logger.info('stopped');
  return 0;
}
