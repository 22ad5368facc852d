import { chown, lstat, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { readRegularFile, writeFileAtomic } from '../platform/safe-file.js';
import { readSettingsText, settingsText, userNames, withoutOwner } from './owner-settings.js';

// Recovering a forgotten owner password: the users leave the settings file, so picamd shows its
// first-run screen again (every other route answers 503 until someone claims the device), and
// privacy is switched on, so the camera stays off until the new owner turns it back on. Used by
// `picamd reset-owner` (root, on the device) and by the privacy button held at start-up (picamd
// itself, before its settings store and privacy controller start).

export interface ResetOwnerOptions {
  settingsFile: string;
  privacyStateFile: string;
  now: Date;
}

export interface ResetOwnerResult {
  /** Users the settings file listed, now removed. */
  removed: string[];
}

const MAX_SETTINGS_BYTES = 1024 * 1024;

/** Writes `data` atomically, then gives it to the owner of its directory (picamd's user) if root made it. */
async function writeStateFile(path: string, data: string): Promise<void> {
  await writeFileAtomic(path, data, { mode: 0o600 });
  const dir = await stat(dirname(path));
  const file = await lstat(path);
  if (file.uid !== dir.uid || file.gid !== dir.gid) await chown(path, dir.uid, dir.gid);
}

export async function resetOwner(opts: ResetOwnerOptions): Promise<ResetOwnerResult> {
  const read = await readRegularFile(opts.settingsFile, MAX_SETTINGS_BYTES);
  if (!read.ok && read.reason !== 'missing') throw new Error(read.message);
  const text = read.ok ? read.data.toString('utf8') : null;
  const current = readSettingsText(text);
  if (!current.ok) throw new Error(`${opts.settingsFile}: ${current.reason}; move it away to start from defaults`);
  const removed = userNames(current.settings);
  const savedAt = opts.now.toISOString();
  // Privacy first: if the second write fails, the device is private and still claimed, not open.
  await writeStateFile(opts.privacyStateFile, `${JSON.stringify({ enabled: true, source: 'boot', since: savedAt })}\n`);
  if (text !== null) await writeStateFile(`${opts.settingsFile}.prev`, text);
  await writeStateFile(opts.settingsFile, settingsText(withoutOwner(current.settings), savedAt));
  return { removed };
}
