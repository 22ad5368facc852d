import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errorCode, errorText } from '../platform/errors.js';

// The setup file's changes, all or nothing. Every new file (and link) is first written beside its
// target under a hidden temporary name, with a copy of what the target holds now beside it too;
// only when every one of them is on disk are they renamed over their targets, one rename each.
// A failure while staging changes nothing; a failure while committing renames the copies back over
// what was already replaced (and removes what did not exist), so the device is never left with
// part of a setup (a new host name beside the old Wi-Fi, say) while the file says nothing happened.

export type StagedChange =
  | {
      kind: 'file';
      /** The full path (root prefix included). */
      path: string;
      content: string;
      mode: number;
      /** Owned by the owner of its directory (picamd's state directory belongs to the service's user). */
      ownerFromDirectory?: boolean;
    }
  | { kind: 'link'; path: string; target: string };

/** The file operations used, so tests can make one step fail (node:fs/promises fits). */
export interface StagingFs {
  writeFile(path: string, data: string | Uint8Array, options: { mode: number; flag: string }): Promise<void>;
  readFile(path: string): Promise<Buffer>;
  lstat(path: string): Promise<{ isFile(): boolean; isSymbolicLink(): boolean; mode: number; uid: number; gid: number }>;
  stat(path: string): Promise<{ uid: number; gid: number }>;
  readlink(path: string): Promise<string>;
  symlink(target: string, path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
  mkdir(path: string, options: { recursive: true; mode: number }): Promise<string | undefined>;
  chown(path: string, uid: number, gid: number): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  open(path: string, flags: string): Promise<{ sync(): Promise<void>; close(): Promise<void> }>;
}

/** Why the changes were not made; `undone` false means some could not be taken back (listed in `message`). */
export class StagedWriteError extends Error {
  constructor(
    message: string,
    readonly undone: boolean,
  ) {
    super(message);
  }
}

interface Staged {
  change: StagedChange;
  /** The new content under its temporary name. */
  temp: string;
  /** A copy of what the target held, or null when there was nothing there. */
  backup: string | null;
  committed: boolean;
}

const tempBeside = (path: string, what: string) => join(dirname(path), `.${basename(path)}.${what}-${randomBytes(8).toString('hex')}.tmp`);

/** Makes every change or none (see above); rejects with a StagedWriteError saying which. */
export async function writeAllOrNothing(changes: readonly StagedChange[], fs: StagingFs = nodeFs as unknown as StagingFs): Promise<void> {
  const staged: Staged[] = [];
  const createdDirs: string[] = [];
  try {
    for (const change of changes) {
      const created = await fs.mkdir(dirname(change.path), { recursive: true, mode: 0o755 });
      if (created) createdDirs.push(created);
      const entry: Staged = { change, temp: tempBeside(change.path, 'new'), backup: null, committed: false };
      staged.push(entry);
      await stageNew(fs, change, entry.temp);
      entry.backup = await stageBackup(fs, change.path);
    }
  } catch (err) {
    const leftovers = await removeAll(fs, staged, createdDirs);
    throw new StagedWriteError(`${errorText(err)}; nothing was changed${leftovers}`, true);
  }
  for (const entry of staged) {
    try {
      await fs.rename(entry.temp, entry.change.path);
      entry.committed = true;
    } catch (err) {
      const failed = `${entry.change.path}: ${errorText(err)}`;
      const notUndone = await undo(fs, staged);
      const leftovers = await removeAll(fs, staged, createdDirs);
      if (notUndone.length === 0) throw new StagedWriteError(`${failed}; every change already made was undone${leftovers}`, true);
      throw new StagedWriteError(`${failed}; could not undo: ${notUndone.join('; ')} (the previous versions are kept beside them as .<name>.old-*.tmp)${leftovers}`, false);
    }
  }
  // Done: the copies go, and each directory is synced so the renames survive a power cut.
  for (const entry of staged) if (entry.backup) await fs.unlink(entry.backup).catch(() => {});
  for (const dir of new Set(staged.map((s) => dirname(s.change.path)))) await syncDir(fs, dir);
}

async function stageNew(fs: StagingFs, change: StagedChange, temp: string): Promise<void> {
  if (change.kind === 'link') {
    await fs.symlink(change.target, temp);
    return;
  }
  await fs.writeFile(temp, change.content, { mode: change.mode, flag: 'wx' });
  // The umask may have taken bits off; the mode is the plan's.
  await fs.chmod(temp, change.mode);
  await syncFile(fs, temp);
  if (change.ownerFromDirectory) {
    // picamd runs as a dynamic user that owns its state directory; root makes this file.
    const dir = await fs.stat(dirname(change.path));
    await fs.chown(temp, dir.uid, dir.gid);
  }
}

/** A copy of the target beside it (content, mode and owner; a link as a link), or null when there is none. */
async function stageBackup(fs: StagingFs, path: string): Promise<string | null> {
  let current: Awaited<ReturnType<StagingFs['lstat']>>;
  try {
    current = await fs.lstat(path);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return null;
    throw err;
  }
  const backup = tempBeside(path, 'old');
  if (current.isSymbolicLink()) {
    await fs.symlink(await fs.readlink(path), backup);
    return backup;
  }
  if (!current.isFile()) throw new Error(`${path} is not a regular file`);
  await fs.writeFile(backup, await fs.readFile(path), { mode: current.mode & 0o7777, flag: 'wx' });
  await fs.chmod(backup, current.mode & 0o7777);
  await fs.chown(backup, current.uid, current.gid).catch((err: unknown) => {
    // Not root (tests): the copy is ours, as the original was.
    if (errorCode(err) !== 'EPERM') throw err;
  });
  await syncFile(fs, backup);
  return backup;
}

/** Puts back what the committed renames replaced; the paths it could not put back, with why. */
async function undo(fs: StagingFs, staged: Staged[]): Promise<string[]> {
  const failed: string[] = [];
  for (const entry of [...staged].reverse()) {
    if (!entry.committed) continue;
    try {
      if (entry.backup) {
        await fs.rename(entry.backup, entry.change.path);
        entry.backup = null;
      } else {
        await fs.unlink(entry.change.path);
      }
      entry.committed = false;
    } catch (err) {
      failed.push(`${entry.change.path} (${errorText(err)})`);
    }
  }
  return failed;
}

/** Removes the temporary files and the directories made for them; says what it could not remove. */
async function removeAll(fs: StagingFs, staged: Staged[], createdDirs: string[]): Promise<string> {
  const left: string[] = [];
  for (const entry of staged) {
    // A change that could not be undone keeps its copy of the old file, for whoever repairs it.
    if (entry.committed) continue;
    for (const temp of [entry.temp, entry.backup]) {
      if (temp === null) continue;
      await fs.unlink(temp).catch((err: unknown) => {
        if (errorCode(err) !== 'ENOENT') left.push(temp);
      });
    }
  }
  // Innermost first; a directory that is not empty stays.
  for (const created of createdDirs.reverse()) {
    for (let dir = deepestUnder(staged, created); dir.length >= created.length; dir = dirname(dir)) {
      await fs.rmdir(dir).catch(() => {});
      if (dir === created) break;
    }
  }
  return left.length > 0 ? ` (left behind: ${left.join(', ')})` : '';
}

/** The deepest staged file's directory inside `created` (mkdir -p made everything down to it). */
function deepestUnder(staged: Staged[], created: string): string {
  const dirs = staged.map((s) => dirname(s.change.path)).filter((d) => d === created || d.startsWith(`${created}/`));
  return dirs.sort((a, b) => b.length - a.length)[0] ?? created;
}

async function syncFile(fs: StagingFs, path: string): Promise<void> {
  const handle = await fs.open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDir(fs: StagingFs, dir: string): Promise<void> {
  try {
    const handle = await fs.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some file systems cannot sync a directory (EINVAL); the renames are made either way.
  }
}
