// The format version of a file picamd keeps (settings.json, accounts.json): `{"format": N, ...}`.
// A release reads its own format and every older one, migrating it forward one step at a time
// through its module's step list; a newer format, which only a newer release knows, is refused with
// a reason that says so, so the caller fails closed instead of overwriting it. Pure.

/** Turns a document of format N into one of format N + 1. */
export type MigrationStep = (doc: Record<string, unknown>) => Record<string, unknown>;

/** A file's formats as its module knows them: the one it writes, the steps up to it and back down. */
export interface FormatSteps {
  current: number;
  up: Readonly<Record<number, MigrationStep>>;
  down: Readonly<Record<number, DowngradeStep>>;
}

export type FormatRead =
  | { ok: true; doc: Record<string, unknown>; from: number }
  | { ok: false; newer: boolean; reason: string };

/**
 * `steps[n]` migrates format n to n + 1; `current` is the format this release writes. `what` names
 * the file in the reasons.
 */
export function readFormat(json: unknown, current: number, steps: Readonly<Record<number, MigrationStep>>, what: string): FormatRead {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, newer: false, reason: `${what}: must be an object with a format` };
  const format = (json as Record<string, unknown>).format;
  if (typeof format !== 'number' || !Number.isInteger(format) || format < 1) return { ok: false, newer: false, reason: `format: must be a whole number from 1 (found ${JSON.stringify(format) ?? 'none'})` };
  if (format > current) {
    return { ok: false, newer: true, reason: `format ${format} is newer than this picamd knows (${current}): the file was written by a newer version, and is left as it is` };
  }
  let doc = json as Record<string, unknown>;
  for (let n = format; n < current; n++) {
    const step = steps[n];
    if (!step) return { ok: false, newer: false, reason: `format ${format} is no longer read by this picamd (no step from ${n} to ${n + 1})` };
    doc = { ...step(doc), format: n + 1 };
  }
  return { ok: true, doc, from: format };
}

/**
 * Turns a document of format N + 1 back into format N, for the copy an older release reads after a
 * rollback: what format N can express is carried (a new password, open viewing), what it cannot is
 * left out and named in `lost`, in plain words for the owner.
 */
export type DowngradeStep = (doc: Record<string, unknown>) => { doc: Record<string, unknown>; lost: string[] };

/**
 * The key a copy holds beside its format's own keys: what the newer release could not carry into it
 * (`lost` of its steps). Read and removed by readCopy() before the format's own checks, whatever
 * the format, so an older release can tell its owner what a rollback undid.
 */
export const COPY_NOTES_KEY = 'undoneOnRollback';

/** `doc` (format `from`) brought down to format `to` through `steps[to]` ... `steps[from - 1]`. */
export function downgradeFormat(
  doc: Record<string, unknown>,
  from: number,
  to: number,
  steps: Readonly<Record<number, DowngradeStep>>,
): { ok: true; doc: Record<string, unknown>; lost: string[] } | { ok: false; reason: string } {
  let out = doc;
  const lost: string[] = [];
  for (let n = from - 1; n >= to; n--) {
    const step = steps[n];
    if (!step) return { ok: false, reason: `no step from format ${n + 1} back to ${n}` };
    const down = step(out);
    out = { ...down.doc, format: n };
    lost.push(...down.lost);
  }
  return { ok: true, doc: out, lost };
}

/** A copy's document with its notes (none: no key). */
export function withCopyNotes(doc: Record<string, unknown>, notes: readonly string[]): Record<string, unknown> {
  const { [COPY_NOTES_KEY]: _old, ...rest } = doc;
  return notes.length > 0 ? { ...rest, [COPY_NOTES_KEY]: [...notes] } : rest;
}

/** A copy's document without its notes, and the notes (strings only; anything else there is dropped). */
export function splitCopyNotes(json: unknown): { doc: unknown; notes: string[] } {
  if (typeof json !== 'object' || json === null || Array.isArray(json) || !(COPY_NOTES_KEY in json)) return { doc: json, notes: [] };
  const { [COPY_NOTES_KEY]: notes, ...doc } = json as Record<string, unknown>;
  return { doc, notes: Array.isArray(notes) ? notes.filter((n): n is string => typeof n === 'string').slice(0, 50) : [] };
}

/** The format number a document says it has, or undefined. */
export function formatOf(json: unknown): number | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const format = (json as Record<string, unknown>).format;
  return typeof format === 'number' && Number.isInteger(format) && format >= 1 ? format : undefined;
}
