// The format version of a file picamd keeps (settings.json, accounts.json): `{"format": N, ...}`.
// A release reads its own format and every older one, migrating it forward one step at a time
// through its module's step list; a newer format, which only a newer release knows, is refused with
// a reason that says so, so the caller fails closed instead of overwriting it. Pure.

/** Turns a document of format N into one of format N + 1. */
export type MigrationStep = (doc: Record<string, unknown>) => Record<string, unknown>;

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
