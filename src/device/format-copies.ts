import { errorText } from '../platform/errors.js';
import { readRegularFile, writeFileAtomic, type SafeFs } from '../platform/safe-file.js';
import {
  downgradeFormat,
  formatOf,
  readFormat,
  splitCopyNotes,
  withCopyNotes,
  type DowngradeStep,
  type MigrationStep,
} from '../formats/stored-format.js';

// The copies a versioned file (settings.json, accounts.json) keeps for older releases, so an update
// can be rolled back without losing the device's state. Called only by the module that owns the
// file's format, with its own steps; the root updater knows nothing of them.
//
//   <file>.v<n>   the file in format n, for a release that reads format n and no later one.
//
// - A release that finds its file in an older format n takes the untouched file as <file>.v<n>
//   (atomic, fsync'd), and only then writes the migrated file over it: a power cut at any point
//   leaves the old file, or the old file and its copy, or the copy and the new file.
// - Every later write brings each copy there is up to date first (the new state brought down to
//   that format: a new password, open viewing), then writes the file itself; what an older format
//   cannot hold is left out and named in the copy's notes. So a rollback finds its copy no older
//   than the last change, and privacy is never less private than it was before the rollback.
// - A release that finds its file in a newer format reads its own format's copy instead, and tells
//   the owner what the copy's notes say was undone; without a copy it fails closed as before. Its
//   own first write replaces the newer file (the newer release migrates it again when it returns).

export interface VersionedFile {
  file: string;
  /** The file's name in reasons: 'settings', 'accounts'. */
  what: string;
  /** The format this release writes. */
  current: number;
  up: Readonly<Record<number, MigrationStep>>;
  down: Readonly<Record<number, DowngradeStep>>;
  maxBytes: number;
  mode?: number;
  fs?: SafeFs;
}

export type Prepared =
  /** Read the file itself, as always (missing, this format, damaged: the caller's own rules). */
  | { kind: 'file'; problem?: string }
  /** The file was in format `from`: kept as <file>.v<from>, then written in this release's format. */
  | { kind: 'migrated'; from: number; copy: string }
  /** The file is a newer release's (format `newer`): this release's own copy is to be read instead. */
  | { kind: 'copy'; copy: string; text: string; notes: string[]; newer: number }
  /** The file is a newer release's and there is no usable copy: the caller fails closed. */
  | { kind: 'no-copy'; newer: number; reason: string };

export function copyPathOf(file: string, format: number): string {
  return `${file}.v${format}`;
}

/** At load: migrates an older file on disk (copy first), or finds the copy of a newer one. Never throws. */
export async function prepareVersioned(spec: VersionedFile): Promise<Prepared> {
  const read = await readRegularFile(spec.file, spec.maxBytes, { fs: spec.fs });
  if (!read.ok) return { kind: 'file' };
  const json = parseJson(read.data.toString('utf8'));
  const format = formatOf(json);
  if (format === undefined || format === spec.current) return { kind: 'file' };
  if (format > spec.current) {
    const copy = await readOwnCopy(spec);
    return copy.ok ? { kind: 'copy', copy: copy.path, text: copy.text, notes: copy.notes, newer: format } : { kind: 'no-copy', newer: format, reason: copy.reason };
  }
  const migrated = readFormat(json, spec.current, spec.up, spec.what);
  if (!migrated.ok) return { kind: 'file' };
  const copy = copyPathOf(spec.file, format);
  try {
    await writeFileAtomic(copy, read.data, { fs: spec.fs, mode: spec.mode });
    await writeFileAtomic(spec.file, `${JSON.stringify(migrated.doc, null, 2)}\n`, { fs: spec.fs, mode: spec.mode });
  } catch (err) {
    // The file stays as it was (read and migrated in memory); the next write takes the copy.
    return { kind: 'file', problem: `could not keep ${copy} and migrate ${spec.file} from format ${format}: ${errorText(err)}` };
  }
  return { kind: 'migrated', from: format, copy };
}

/**
 * Writes `text` (this release's format) as the file: first the copy of an older file there that has
 * none yet, and every copy there is brought up to date, then the file. Rejects, writing nothing
 * more, when a copy cannot be written: the change is not made rather than made without its copy.
 */
export async function writeVersioned(spec: VersionedFile, text: string): Promise<void> {
  const doc = parseJson(text);
  if (spec.current > 1 && typeof doc === 'object' && doc !== null) {
    const onDisk = await readRegularFile(spec.file, spec.maxBytes, { fs: spec.fs });
    const diskFormat = onDisk.ok ? formatOf(parseJson(onDisk.data.toString('utf8'))) : undefined;
    for (let n = 1; n < spec.current; n++) {
      const copy = copyPathOf(spec.file, n);
      const exists = (await readRegularFile(copy, spec.maxBytes, { fs: spec.fs })).ok;
      if (!exists && n !== diskFormat) continue;
      const down = downgradeFormat(doc as Record<string, unknown>, spec.current, n, spec.down);
      if (down.ok) {
        await writeFileAtomic(copy, `${JSON.stringify(withCopyNotes(down.doc, down.lost), null, 2)}\n`, { fs: spec.fs, mode: spec.mode });
      } else if (!exists && onDisk.ok) {
        // No way down to format n: the untouched older file at least, as before a migration.
        await writeFileAtomic(copy, onDisk.data, { fs: spec.fs, mode: spec.mode });
      }
    }
  }
  await writeFileAtomic(spec.file, text, { fs: spec.fs, mode: spec.mode });
}

/** <file>.v<current>: its text without the notes, and the notes. */
async function readOwnCopy(spec: VersionedFile): Promise<{ ok: true; path: string; text: string; notes: string[] } | { ok: false; reason: string }> {
  const path = copyPathOf(spec.file, spec.current);
  const read = await readRegularFile(path, spec.maxBytes, { fs: spec.fs });
  if (!read.ok) return { ok: false, reason: read.reason === 'missing' ? `there is no copy ${path} in format ${spec.current}` : read.message };
  const json = parseJson(read.data.toString('utf8'));
  if (formatOf(json) !== spec.current) return { ok: false, reason: `${path} is not in format ${spec.current}` };
  const { doc, notes } = splitCopyNotes(json);
  return { ok: true, path, text: `${JSON.stringify(doc, null, 2)}\n`, notes };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
