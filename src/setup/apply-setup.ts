import { readdir, rm, stat } from 'node:fs/promises';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readRegularFile, writeFileAtomic } from '../platform/safe-file.js';
import { accountsFileFor, readAccountsText, type LegacyUsers } from '../device/accounts/store.js';
import { configSchema } from '../device/settings/schema.js';
import { readLegacyUsers } from '../device/settings/store.js';
import { NETWORK_MANAGER_STATE_FILE } from './network-manager-state.js';
import { CLOUD_INIT_HOSTNAME_DROP_IN } from './system-files.js';
import { planSetup, type CurrentFiles, type FileWrite, type SetupPlan } from './plan.js';
import { hasSettings, parseSetupFile, problemsAsShown, renderSetupApplied, renderSetupErrors, type ParsedSetupFile } from './setup-file.js';
import { StagedWriteError, writeAllOrNothing, type StagedChange, type StagingFs } from './staged-writes.js';
import { validateSetup, type DeviceFacts } from './validate.js';

// The thin I/O layer of `picamd apply-setup`: read the setup file and the few system files the
// plan depends on, then carry the plan out and rewrite the setup file. Every path is taken under
// `root`, so tests run it against a scratch tree; on the device root is "/".

export const DEFAULT_SETUP_FILE = '/boot/firmware/picamd-setup.txt';
/** Where a failed apply leaves its reasons; picamd reads it at start to blink the setup-error pattern. */
export { SETUP_ERROR_MARKER } from './marker.js';
/** The config's default settings.file; the accounts file sits beside it. */
export const DEFAULT_SETTINGS_FILE: string = configSchema.parse({}).settings.file;

/** A person's text file; anything bigger is not one. */
const MAX_SETUP_BYTES = 64 * 1024;
const MAX_SYSTEM_FILE_BYTES = 1024 * 1024;

export interface ApplySetupOptions {
  root: string;
  setupFile: string;
  settingsFile: string;
  markerFile: string;
  now: () => Date;
  hashPassword: (password: string) => Promise<string>;
  /** Runs a command on the live system; only called when root is "/". */
  run: (argv: string[]) => Promise<{ ok: boolean; message: string }>;
  /** Journal lines (stderr under systemd). */
  log: (line: string) => void;
  /** The file operations for the system files (tests make one fail); node:fs/promises by default. */
  fs?: StagingFs;
}

export type ApplyOutcome =
  | { status: 'nothing' }
  | { status: 'applied'; summary: string[] }
  | { status: 'failed'; problems: string[] };

/** "2026-11-30 13:40 UTC": the device may have no real-time clock, so the zone is always named. */
export function appliedStamp(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Decodes a setup file: UTF-8 (with or without BOM); Notepad's "ANSI" and "Unicode" are refused with a hint. */
export function decodeSetupFile(data: Buffer): { ok: true; text: string } | { ok: false; problem: string } {
  if ((data[0] === 0xff && data[1] === 0xfe) || (data[0] === 0xfe && data[1] === 0xff)) {
    return { ok: false, problem: 'the file is saved as UTF-16 ("Unicode"); save it as UTF-8 (Notepad: Save as, Encoding: UTF-8)' };
  }
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(data) };
  } catch {
    return { ok: false, problem: 'the file is not UTF-8 text; save it as UTF-8 (Notepad: Save as, Encoding: UTF-8)' };
  }
}

export async function applySetup(opts: ApplySetupOptions): Promise<ApplyOutcome> {
  const at = (path: string) => join(opts.root, path);
  const read = await readRegularFile(at(opts.setupFile), MAX_SETUP_BYTES);
  if (!read.ok) {
    if (read.reason === 'missing') {
      await clearMarker(opts);
      return { status: 'nothing' };
    }
    return fail(opts, null, [read.message]);
  }
  const decoded = decodeSetupFile(read.data);
  if (!decoded.ok) return fail(opts, null, [decoded.problem]);
  const parsed = parseSetupFile(decoded.text);
  if (!hasSettings(parsed)) {
    await clearMarker(opts);
    return { status: 'nothing' };
  }

  const validation = validateSetup(parsed, await deviceFacts(opts.root));
  if (!validation.ok) return fail(opts, parsed, validation.problems);
  const { request } = validation;

  const bootDir = dirname(opts.setupFile);
  let current: CurrentFiles;
  let ownerHash: string | null;
  try {
    current = {
      hosts: request.hostname ? await readText(at('/etc/hosts')) : null,
      cmdline: request.country ? await readText(at(`${bootDir}/cmdline.txt`)) : null,
      rfkill: request.country ? await readdir(at('/var/lib/systemd/rfkill')).catch(() => []) : [],
      accounts: request.owner ? await readAccountsText(at(accountsFileFor(opts.settingsFile))) : null,
      legacyUsers: { kind: 'none' },
      networkManagerState: request.country ? await readText(at(NETWORK_MANAGER_STATE_FILE)) : null,
      cloudInit: request.hostname ? await isDirectory(at(dirname(CLOUD_INIT_HOSTNAME_DROP_IN))) : false,
    };
    // Older versions kept the users in settings.json: they come along into the new accounts file.
    if (request.owner && current.accounts === null) current.legacyUsers = await legacyUsersIn(at(opts.settingsFile));
    ownerHash = request.owner ? await opts.hashPassword(request.owner.password) : null;
  } catch (err) {
    return fail(opts, parsed, [`cannot read the system's files: ${(err as Error).message}`]);
  }
  const planned = planSetup(request, current, { bootDir, settingsFile: opts.settingsFile, ownerHash, now: opts.now().toISOString() });
  if (!planned.ok) return fail(opts, parsed, planned.problems);

  try {
    await carryOut(opts, planned.plan);
  } catch (err) {
    // All or nothing: the setup file keeps its settings, so the next boot tries again. Should the
    // undo itself fail, the file and the journal say that part was applied.
    const undone = !(err instanceof StagedWriteError) || err.undone;
    return fail(opts, parsed, [`applying failed: ${(err as Error).message}`], undone ? 'nothing' : 'part');
  }
  try {
    await writeFileAtomic(at(opts.setupFile), renderSetupApplied(parsed, appliedStamp(opts.now())), { mode: 0o755 });
  } catch (err) {
    // Applied, but the passwords are still on the card and the next boot applies the same again.
    opts.log(`picamd-setup: warning: applied, but cannot rewrite ${opts.setupFile} without the passwords: ${(err as Error).message}`);
  }
  await clearMarker(opts);
  for (const line of planned.plan.summary) opts.log(`picamd-setup: applied ${line}`);
  return { status: 'applied', summary: planned.plan.summary };
}

/** The settings module reads its own file; without the config file's values beside it (not known here). */
function legacyUsersIn(settingsFile: string): Promise<LegacyUsers> {
  return readLegacyUsers(settingsFile, {});
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((st) => st.isDirectory(), () => false);
}

async function readText(path: string): Promise<string | null> {
  const result = await readRegularFile(path, MAX_SYSTEM_FILE_BYTES);
  if (result.ok) return result.data.toString('utf8');
  if (result.reason === 'missing') return null;
  throw new Error(result.message);
}

async function deviceFacts(root: string): Promise<DeviceFacts> {
  const tab = await readText(join(root, '/usr/share/zoneinfo/iso3166.tab')).catch(() => null);
  const countries = tab === null ? null : new Set(tab.split('\n').flatMap((l) => /^([A-Z]{2})\t/.exec(l)?.[1] ?? []));
  return {
    countries,
    // The one zone a file names, read when it is asked about; the name's shape is checked first
    // (no "." segments). A tz file starts with "TZif", which tells a zone from tzdata's other files.
    // Links are followed: tzdata links zones such as UTC to Etc/UTC.
    zoneExists: (name) => {
      try {
        const path = join(root, '/usr/share/zoneinfo', name);
        const st = statSync(path);
        return st.isFile() && st.size < MAX_SYSTEM_FILE_BYTES && readFileSync(path).subarray(0, 4).toString('latin1') === 'TZif';
      } catch {
        return false;
      }
    },
  };
}

/** A plan's file write as a staged change under `root`. */
function stagedFile(at: (path: string) => string, w: FileWrite): StagedChange {
  return { kind: 'file', path: at(w.path), content: w.content, mode: w.mode, ownerFromDirectory: w.ownerFromDirectory };
}

async function carryOut(opts: ApplySetupOptions, plan: SetupPlan): Promise<void> {
  const at = (path: string) => join(opts.root, path);
  // Every file and link or none of them (staged-writes.ts).
  await writeAllOrNothing(
    [
      ...plan.writes.map((w) => stagedFile(at, w)),
      ...plan.links.map((l): StagedChange => ({ kind: 'link', path: at(l.path), target: l.target })),
    ],
    opts.fs,
  );
  if (opts.root !== '/') return;
  for (const argv of plan.commands) {
    const result = await opts.run(argv);
    if (!result.ok) opts.log(`picamd-setup: warning: ${argv.join(' ')} failed (${result.message}); it takes effect after a reboot`);
  }
}

async function fail(opts: ApplySetupOptions, parsed: ParsedSetupFile | null, found: string[], applied: 'nothing' | 'part' = 'nothing'): Promise<ApplyOutcome> {
  // Line numbers as the person will see them in the rewritten file.
  const problems = parsed ? problemsAsShown(found) : found;
  for (const problem of problems) opts.log(`picamd-setup: error: ${problem}`);
  opts.log(
    applied === 'nothing'
      ? `picamd-setup: nothing applied from ${opts.setupFile}; the reasons are also written into the file`
      : `picamd-setup: PART of ${opts.setupFile} was applied and could not be undone; the reasons are also written into the file`,
  );
  const at = (path: string) => join(opts.root, path);
  try {
    await writeFileAtomic(at(opts.markerFile), `${problems.join('\n')}\n`, { mode: 0o644 });
  } catch (err) {
    opts.log(`picamd-setup: cannot write ${opts.markerFile}: ${(err as Error).message}`);
  }
  if (parsed) {
    const text = renderSetupErrors(parsed, found, applied);
    try {
      await writeFileAtomic(at(opts.setupFile), text, { mode: 0o755 });
    } catch (err) {
      opts.log(`picamd-setup: cannot write the reasons into ${opts.setupFile}: ${(err as Error).message}`);
    }
  }
  return { status: 'failed', problems };
}

async function clearMarker(opts: ApplySetupOptions): Promise<void> {
  await rm(join(opts.root, opts.markerFile), { force: true });
}
