import { chown, lstat, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RecorderCredential, recorderFileFor } from '../device/accounts/recorder.js';
import { AccountsStore, accountsFileFor } from '../device/accounts/store.js';
import { PrivacyStore } from '../device/privacy/store.js';
import { readLegacyUsers, SettingsStore } from '../device/settings/store.js';
import type { Tree } from '../device/settings/tree.js';
import type { Logger } from '../platform/log/logger.js';

// Recovering a forgotten owner password, or a device locked by a damaged accounts file: privacy
// is switched on (the camera stays off until the new owner turns it back on), the accounts file
// is replaced by one without users (whatever it held, readable or not; nothing is copied
// anywhere), the recorder login is turned off (a recorder of the old owner's keeps no access), and
// open viewing is turned off, so picamd shows its first-run screen again. Each file
// is written by the module that owns it. Used by `picamd reset-owner` (root, on the device) and by
// the privacy button held at start-up (picamd itself, before its stores start).

export interface ResetOwnerOptions {
  settingsFile: string;
  privacyStateFile: string;
  /** The config file's own JSON object (loadConfigFile().raw): the settings are checked against it. */
  base: Tree;
  now: Date;
  logger: Logger;
}

export interface ResetOwnerResult {
  /** Users the accounts file (or an older version's settings file) listed, now removed. */
  removed: string[];
}

export async function resetOwner(opts: ResetOwnerOptions): Promise<ResetOwnerResult> {
  const now = () => opts.now;
  const accountsFile = accountsFileFor(opts.settingsFile);
  // Privacy first: if a later write fails, the device is private and still claimed, not open.
  await new PrivacyStore(opts.privacyStateFile).save({ enabled: true, source: 'boot', since: opts.now.toISOString() });
  const legacy = await readLegacyUsers(opts.settingsFile, opts.base);
  const { removed } = await new AccountsStore({ file: accountsFile, logger: opts.logger, now }).resetOwner();
  const recorderOff = await new RecorderCredential({ file: recorderFileFor(accountsFile), isAccount: () => false, logger: opts.logger }).disable();
  if (!recorderOff.ok) throw new Error(`${recorderFileFor(accountsFile)}: cannot turn the recorder login off: ${recorderOff.message}`);
  // The accounts file exists now, so users an older version left in settings.json never count
  // again; they leave that file too, and open viewing goes off.
  const settings = new SettingsStore({ base: opts.base, file: opts.settingsFile, logger: opts.logger, now });
  await settings.load({ dropLegacyUsers: true });
  const off = await settings.update({ server: { openViewing: false } }, { mode: 'patch' });
  if (!off.ok) throw new Error(`${opts.settingsFile}: cannot turn open viewing off: ${off.message}`);
  for (const file of [opts.privacyStateFile, accountsFile, opts.settingsFile, `${opts.settingsFile}.prev`]) await giveToDirectoryOwner(file);
  const legacyNames = legacy.kind === 'users' ? legacy.users.map((u) => u.name) : [];
  return { removed: [...new Set([...removed, ...legacyNames])] };
}

/** Root ran the reset: the files go to the owner of their directory (picamd's user), as picamd's own would. */
async function giveToDirectoryOwner(path: string): Promise<void> {
  const file = await lstat(path).catch(() => undefined);
  if (!file?.isFile()) return;
  const dir = await stat(dirname(path));
  if (file.uid !== dir.uid || file.gid !== dir.gid) await chown(path, dir.uid, dir.gid);
}
