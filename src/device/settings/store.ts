import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { basename } from 'node:path';
import { escapeForLog } from '../../platform/log/escape.js';
import type { Logger } from '../../platform/log/logger.js';
import { errorText } from '../../platform/errors.js';
import { readRegularFile, writeFileAtomic, type SafeFs } from '../../platform/safe-file.js';
import type { FormatSteps } from '../../formats/stored-format.js';
import { storageProblem, type StorageProblemCode } from '../../platform/storage-problem.js';
import type { LegacyUsers } from '../accounts/store.js';
import { prepareVersioned, writeVersioned, type Prepared, type VersionedFile } from '../format-copies.js';
import { forgetPasswordOnNewBroker, sendsPassword } from './broker-secret.js';
import type { Config } from './schema.js';
import { keyProblems, pickSettable, settableLeaves } from './settable.js';
import {
  MAX_SETTINGS_BYTES,
  parseSettingsDocument,
  parseSettingsText,
  resolveSettings,
  serializeSettings,
  SETTINGS_FORMATS,
} from './settings-file.js';
import { changedPaths, decidingLayer, deepEqual, deepMerge, diffTree, isPlainObject, withoutPath, type Tree } from './tree.js';

/**
 * The settings store: the effective config is defaults <- config file <- settings.json (the page's
 * settings), validated as a whole against configSchema. The users live in the accounts store
 * (src/device/accounts/store.ts); settings.json of older versions held them too, and
 * readLegacyUsers() hands those over once before load() drops them.
 *
 * Life cycle
 *   new SettingsStore({ base, file, logger, fs?, now? })   base: the config file's raw JSON object
 *                                                           (loadConfigFile().raw), file: config.settings.file
 *   await load({dropLegacyUsers?})   reads settings.json; never throws for a bad file: falls back to
 *                     settings.json.prev, then to the config file alone, logging why -> status;
 *                     users an older version left in either file are ignored, and with
 *                     dropLegacyUsers (the accounts store holds them now) removed from the files
 *
 * Reading (synchronous, always consistent with each other)
 *   config            the effective Config
 *   values()          the settable tree (same shape as the config, settable leaves only)
 *   origins()         {"camera.width": "default" | "config" | "page", ...} for every settable leaf
 *   etag              strong ETag, quoted ("..."): hash of the settable values
 *   status            {state: 'ok' | 'fallback' | 'rolled-back', message}
 *   openViewing
 *   exportSettings()  {format: 1, settings}
 *
 * Changing (all serialised: one at a time, in call order; each If-Match is checked against the
 * etag at its turn, so a second writer with the old etag gets 412)
 *   update(body, {mode: 'put' | 'patch', ifMatch?})   PUT: the whole settable tree (what it leaves
 *                     out returns to the config file's value; openViewing is kept when absent);
 *                     PATCH: a deep-partial tree. Neither, nor an import, switches open viewing
 *                     on (400): only setOpenViewing does
 *   importSettings(doc, {ifMatch?})   {format: 1, settings} as exported; a PUT, all or nothing
 *   reset()           back to the config file: page settings removed; openViewing kept
 *   setOpenViewing(bool)   refused (409 no-users) turning it off while deps.hasUsers() says nobody can log in
 *   rollback(reason?, {cameraLine?, explain?})   the camera's settings back to the last good ones (the
 *                     camera rejected the new ones, `reason` quotes it: status becomes 'rolled-back'
 *                     with what was undone, the camera's line and explain()'s likely cause); every
 *                     other setting, open viewing included, stays as it is
 *   markGood()        the camera accepted the current settings: they become settings.json.prev
 * Results: {ok: true, etag, paths} | {ok: false, status: 400, error: 'invalid', problems: ['path: message']}
 *   | {ok: false, status: 412, error: 'stale'} | {ok: false, status: 409, error: 'no-users', message}.
 * Bad input, and a change that changes nothing, write nothing. A full or read-only card answers
 * {ok: false, status: 507, error: 'storage-full' | 'storage-read-only', message} with the settings unchanged (storage-problem.ts). Any other I/O failure rejects and the store
 * keeps the previous settings (on disk the old file, or the new one if only the final directory
 * fsync failed; the next load reads whichever it is, never a torn file). A page value equal to the
 * config file's is not stored, so its origin stays 'config' (or 'default').
 *
 * Events (load() emits none: read `config` after it)
 *   'change' (next: Config, previous: Config, paths: string[])   once per effective change, after the
 *                     write; paths are dotted leaves (or subtrees such as 'gpio.led', 'server.auth');
 *                     appliesOf(paths) says which services must act ('live' | 'camera' | 'gpio' | 'restart').
 * settingsJsonSchema() is the JSON Schema of the settable tree for GET /api/settings/schema.
 *
 * Files: settings.json and settings.json.prev, both written with writeFileAtomic (mode 0600: they
 * may hold secrets such as the MQTT password); settings.json.v<n>, the copies older releases read
 * after a rollback (format-copies.ts): kept up to date before every write of settings.json.
 */

/** What the HTTP routes and services need besides the store itself. */
export { appliesOf, settingsJsonSchema } from './settable.js';
export type { Applies } from './meta.js';

/**
 * rolled-back also says what was undone (each setting with the value the camera refused and the one
 * back in use), the camera's own error line and, when picamd can tell, the likely cause in plain words.
 */
export type SettingsStatus = {
  state: 'ok' | 'fallback' | 'rolled-back';
  message: string;
  undone?: UndoneSetting[];
  cameraLine?: string;
  cause?: string;
  /** The cause's code and values (rollback-cause.ts), for a page in another language. */
  causeCode?: string;
  causeParams?: Record<string, string | number>;
};
export type UndoneSetting = { path: string; tried: unknown; now: unknown };
/** What rollback() is told besides its reason: the camera's line, and how to explain the undone paths. */
export type RollbackDetails = { cameraLine?: string; explain?: (undone: string[], tried: Config) => ExplainedCause | undefined };
/** A likely cause: its English text, and a code with the values in it when it has one. */
export type ExplainedCause = string | { text: string; code?: string; params?: Record<string, string | number> };
export type Origin = 'default' | 'config' | 'page';

export type ChangeResult =
  | { ok: true; etag: string; paths: string[] }
  | { ok: false; status: 400; error: 'invalid'; message: string; problems: string[] }
  | { ok: false; status: 412; error: 'stale'; message: string }
  | { ok: false; status: 404 | 409; error: RefusalError; message: string }
  /** The card is full or read-only: nothing was written, nothing changed. */
  | { ok: false; status: 507; error: StorageProblemCode; message: string };

type RefusalError = 'no-users' | 'newer-file';

export interface SettingsStoreEvents {
  change: [next: Config, previous: Config, paths: string[]];
}

export interface SettingsStoreDeps {
  /** The config file's own JSON object, already validated (loadConfigFile().raw). */
  base: Tree;
  /** config.settings.file */
  file: string;
  logger: Logger;
  fs?: SafeFs;
  now?: () => Date;
  /** Whether anyone can log in (the accounts store): open viewing is not turned off without. */
  hasUsers?: () => boolean;
  /**
   * What this device cannot do although the schema allows it (H.264 without an encoder), as
   * 'path: message' problems; a change that brings one is refused like an invalid one. Not applied
   * to what is already saved: load() never loses settings for it.
   */
  check?: (config: Config) => string[];
  /** The file's formats (tests: a synthetic newer one); this release's by default. */
  formats?: FormatSteps;
}

export class SettingsStore extends EventEmitter<SettingsStoreEvents> {
  readonly file: string;
  readonly prevFile: string;
  private readonly base: Tree;
  private readonly baseConfig: Config;
  private readonly log: Logger;
  private readonly now: () => Date;
  /** What settings.json holds (or would hold): the page's layer over the config file. */
  private layer: Tree = {};
  /** What settings.json.prev holds; null when there is none. */
  private good: Tree | null = null;
  /** Why settings.json may not be written ('' when it may): a newer picamd's format. */
  private newerFile = '';
  /** What a newer release's change this release's copy could not hold (read from the copy's notes). */
  private undone: string[] = [];
  private readonly formats: FormatSteps;
  private current: Config;
  private currentEtag: string;
  private currentStatus: SettingsStatus = { state: 'ok', message: 'not loaded yet' };
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: SettingsStoreDeps) {
    super();
    this.file = deps.file;
    this.prevFile = `${deps.file}.prev`;
    this.base = deps.base;
    this.log = deps.logger;
    this.now = deps.now ?? (() => new Date());
    this.formats = deps.formats ?? SETTINGS_FORMATS;
    const resolved = resolveSettings(deps.base, {}, { allowAccounts: false });
    if (!resolved.ok) throw new Error(`the config file is not valid: ${resolved.problems.join('; ')}`);
    this.baseConfig = resolved.config;
    this.current = resolved.config;
    this.currentEtag = etagOf(resolved.config);
  }

  /** Reads settings.json (then .prev, then neither); never throws for a bad file. */
  async load(options: { dropLegacyUsers?: boolean } = {}): Promise<SettingsStatus> {
    return this.exclusive(async () => {
      const prepared = await prepareVersioned(this.versioned());
      const main = prepared.kind === 'copy' ? readLayerText(prepared.text, prepared.copy, this.base, this.formats) : await this.readLayer(this.file);
      const prev = main.kind === 'missing' ? null : await this.readLayer(this.prevFile);
      let layer: Tree = {};
      let status: SettingsStatus;
      if (main.kind === 'ok') {
        layer = main.layer;
        status = { state: 'ok', message: `settings loaded from ${this.file}` };
      } else if (main.kind === 'missing') {
        status = { state: 'ok', message: 'no settings saved from the page yet; the config file applies' };
      } else if (prev?.kind === 'ok') {
        layer = prev.layer;
        status = { state: 'fallback', message: `${main.message}; using the previous good copy ${this.prevFile}` };
      } else {
        const why = prev?.kind === 'bad' ? prev.message : `${this.prevFile}: missing`;
        status = { state: 'fallback', message: `${main.message}; ${why}; using the config file alone` };
      }
      // Written by a newer picamd (a rollback after an update): kept as it is for that version, so
      // nothing is saved over it; the last good settings (or the config file) apply meanwhile.
      // So is one whose copy for this version cannot be used either.
      this.newerFile = main.kind === 'bad' && (main.newer || prepared.kind === 'copy') ? main.message : '';
      if (this.newerFile) status = { state: 'fallback', message: `${status.message}; changes from the page are refused until a picamd that reads it runs again` };
      this.undone = prepared.kind === 'copy' && main.kind === 'ok' ? prepared.notes : [];
      status = withPrepared(status, prepared, this.file, main.kind === 'ok');
      if (prev?.kind === 'bad' && main.kind === 'ok') this.log.warn(`${prev.message}; it will be rewritten`);
      this.good = prev?.kind === 'ok' ? prev.layer : null;
      this.layer = layer;
      if (options.dropLegacyUsers) await this.dropLegacyUsers(main, prev);
      this.setCurrent(this.resolve(layer));
      this.currentStatus = status;
      if (status.state === 'ok') this.log.info(status.message);
      else this.log.warn(status.message);
      return status;
    });
  }

  get config(): Config {
    return this.current;
  }

  get etag(): string {
    return this.currentEtag;
  }

  get status(): SettingsStatus {
    return { ...this.currentStatus };
  }

  /** The settable tree of the effective config. */
  values(): Tree {
    return pickSettable(this.current);
  }

  /** Where each settable leaf's value comes from. */
  origins(): Record<string, Origin> {
    const out: Record<string, Origin> = {};
    for (const leaf of settableLeaves) {
      const layer = decidingLayer([this.layer, this.base], leaf.path);
      out[leaf.key] = layer === 0 ? 'page' : layer === 1 ? 'config' : 'default';
    }
    return out;
  }

  /** What a rollback from a newer release undid here, in plain words ([] when nothing). */
  formatNotes(): string[] {
    return [...this.undone];
  }

  get openViewing(): boolean {
    return this.current.server.openViewing;
  }

  /** The page's settings as a document to keep or move to another device. */
  exportSettings(): { format: 1; settings: Tree } {
    return { format: 1, settings: structuredClone(this.layer) };
  }

  /**
   * `keptSecrets`: dotted paths of secrets the body carries only because the caller put the kept
   * value back (the page sent the placeholder); such a password is not sent to a new broker.
   */
  update(body: unknown, options: { mode: 'put' | 'patch'; ifMatch?: string; keptSecrets?: readonly string[] }): Promise<ChangeResult> {
    return this.exclusive(async () => {
      const stale = this.checkIfMatch(options.ifMatch);
      if (stale) return stale;
      if (!isPlainObject(body)) return invalid(['(top level): must be an object']);
      const keys = keyProblems(body);
      const merge = (part: Tree) => (options.mode === 'patch' ? deepMerge(this.layer, part) : deepMerge(openViewingOf(this.layer), part)) as Tree;
      if (keys.length > 0) {
        // Every problem at once: the values beside the bad keys are checked too, and nothing is written.
        const rest = keys.reduce((tree, problem) => withoutPath(tree, problem.slice(0, problem.indexOf(':')).split('.')), body);
        const resolved = resolveSettings(this.base, merge(rest), { allowAccounts: false });
        return invalid([...keys, ...(resolved.ok ? [] : resolved.problems)]);
      }
      const candidate = this.passwordForBroker(merge(body), sendsPassword(body, options.keptSecrets ?? []));
      // Open viewing lets anyone watch: it is switched on only by setOpenViewing (its own route, with
      // a confirmation and a warning in the log), never as one setting among others.
      const opened = resolveSettings(this.base, candidate, { allowAccounts: false });
      if (opened.ok && opened.config.server.openViewing && !this.openViewing) {
        return invalid(['server.openViewing: is switched on only through POST /api/users/open-viewing, with its confirmation']);
      }
      return this.commit(candidate);
    });
  }

  /** The problems `patch` would have as a PATCH now, without writing anything ([] when it would pass). */
  problemsOf(patch: Tree): string[] {
    const keys = keyProblems(patch);
    if (keys.length > 0) return keys;
    const resolved = resolveSettings(this.base, deepMerge(this.layer, patch) as Tree, { allowAccounts: false });
    return resolved.ok ? [] : resolved.problems;
  }

  importSettings(document: unknown, options: { ifMatch?: string; keptSecrets?: readonly string[] } = {}): Promise<ChangeResult> {
    const parsed = parseSettingsDocument(document);
    if (!parsed.ok) return Promise.resolve(invalid(parsed.problems));
    return this.update(parsed.settings, { mode: 'put', ifMatch: options.ifMatch, keptSecrets: options.keptSecrets });
  }

  reset(): Promise<ChangeResult> {
    return this.exclusive(() => this.commit(openViewingOf(this.layer)));
  }

  rollback(reason = 'the camera did not accept the new settings', details: RollbackDetails = {}): Promise<ChangeResult> {
    return this.exclusive(async () => {
      // Only the camera's settings go back: they are what the camera refused. Anything else changed
      // since the last good settings (the device name chosen at the first run, a viewer limit) stands.
      const goodCamera = (this.good ?? {}).camera;
      const target = { ...withoutPath(this.layer, ['camera']), ...(goodCamera === undefined ? {} : { camera: goodCamera }) } as Tree;
      const tried = this.current;
      const result = await this.commit(target);
      if (result.ok) {
        const undone = result.paths.map((path) => ({ path, tried: valueAt(tried, path), now: valueAt(this.current, path) }));
        const explained = details.explain?.(result.paths, tried);
        const cause = typeof explained === 'string' ? { text: explained } : explained;
        this.currentStatus = {
          state: 'rolled-back',
          message: reason,
          undone,
          ...(details.cameraLine ? { cameraLine: details.cameraLine } : {}),
          ...(cause?.text ? { cause: cause.text } : {}),
          ...(cause?.text && cause.code ? { causeCode: cause.code, causeParams: cause.params ?? {} } : {}),
        };
        this.log.warn(`rolled back to the last good settings${result.paths.length ? ` (${result.paths.join(', ')})` : ''}: ${escapeForLog(reason, 600)}`);
      }
      return result;
    });
  }

  /** The camera runs with the current settings: keep them as settings.json.prev for rollback(). */
  markGood(): Promise<void> {
    return this.exclusive(async () => {
      if (this.newerFile || (this.good && deepEqual(this.good, this.layer))) return;
      await writeFileAtomic(this.prevFile, serializeSettings(this.layer, this.now(), this.formats.current), { fs: this.deps.fs });
      this.good = this.layer;
    });
  }

  setOpenViewing(enabled: boolean): Promise<ChangeResult> {
    return this.exclusive(async () => {
      if (!enabled && !this.hasUsers()) {
        return refused(409, 'no-users', 'open viewing cannot be turned off while there is no user (add one first)');
      }
      return this.commit(deepMerge(this.layer, { server: { openViewing: enabled } }) as Tree);
    });
  }

  /** The candidate layer without the kept MQTT password when it points at another broker (broker-secret.ts). */
  private passwordForBroker(candidate: Tree, sent: boolean): Tree {
    const resolved = resolveSettings(this.base, candidate, { allowAccounts: false });
    if (!resolved.ok) return candidate;
    const kept = forgetPasswordOnNewBroker(candidate, this.current.mqtt.url, resolved.config.mqtt.url, sent);
    if (kept !== candidate && (this.current.mqtt.password !== null || resolved.config.mqtt.password !== null)) {
      this.log.info('mqtt.url names another broker: the kept MQTT password is not sent to it (enter the password with the new broker)');
    }
    return kept;
  }

  /** Runs `fn` after every earlier change has finished. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => {});
    return run;
  }

  private checkIfMatch(ifMatch: string | undefined): ChangeResult | undefined {
    if (ifMatch === undefined) return undefined;
    const tags = ifMatch.split(',').map((t) => t.trim());
    if (tags.includes('*') || tags.includes(this.currentEtag)) return undefined;
    return { ok: false, status: 412, error: 'stale', message: 'the settings changed since they were read; reload them' };
  }

  private hasUsers(): boolean {
    return this.deps.hasUsers?.() ?? true;
  }

  /**
   * Validates `candidate` (a layer over the config file), stores only what differs from the config
   * file, writes it and emits 'change'. Nothing is written when it is invalid or changes nothing.
   */
  private async commit(candidate: Tree): Promise<ChangeResult> {
    if (this.newerFile) return refused(409, 'newer-file', `not saved: ${this.newerFile}`);
    const resolved = resolveSettings(this.base, candidate, { allowAccounts: false });
    if (!resolved.ok) return invalid(resolved.problems);
    const next = resolved.config;
    // Only what this change brings: settings saved before (a card moved from a Pi 4 to a Pi 5) must
    // not block a reset.
    const before = new Set(this.deps.check?.(this.current) ?? []);
    const unsupported = (this.deps.check?.(next) ?? []).filter((p) => !before.has(p));
    if (unsupported.length > 0) return invalid(unsupported);
    if (this.openViewing && !next.server.openViewing && !this.hasUsers()) {
      return invalid(['server.openViewing: cannot be turned off while there is no user (add one first)']);
    }
    const layer = (diffTree(pageProjection(this.baseConfig), pageProjection(next)) ?? {}) as Tree;
    if (deepEqual(layer, this.layer)) return { ok: true, etag: this.currentEtag, paths: [] };
    try {
      await writeVersioned(this.versioned(), serializeSettings(layer, this.now(), this.formats.current));
    } catch (err) {
      // A full or read-only card is the user's to fix, not an internal error: say so, change nothing.
      const storage = storageProblem(err);
      if (!storage) throw err;
      this.log.error(`could not save ${basename(this.file)}: ${errorText(err)}; the settings stay as they were`);
      return { ok: false, status: 507, error: storage.code, message: `The settings were not saved: ${storage.cause}. Nothing was changed.` };
    }
    const previous = this.current;
    this.layer = layer;
    this.setCurrent(next);
    this.currentStatus = { state: 'ok', message: `settings saved to ${this.file}` };
    const paths = changedPaths(previous, next);
    this.log.info(`saved ${basename(this.file)}${paths.length ? ` (changed: ${paths.join(', ')})` : ''}`);
    if (paths.length > 0) {
      try {
        this.emit('change', next, previous, paths);
      } catch (err) {
        this.log.error(`a change listener failed: ${errorText(err)}`);
      }
    }
    return { ok: true, etag: this.currentEtag, paths };
  }

  /**
   * The users an older version kept in settings.json (and .prev) leave both files, once the
   * accounts store holds them. A failed write is logged; the next start tries again.
   */
  private async dropLegacyUsers(main: LayerRead, prev: LayerRead | null): Promise<void> {
    for (const [file, read] of [[this.file, main], [this.prevFile, prev]] as const) {
      if (read?.kind !== 'ok' || !read.legacyUsers) continue;
      try {
        const text = serializeSettings(read.layer, this.now(), this.formats.current);
        if (file === this.file) await writeVersioned(this.versioned(), text);
        else await writeFileAtomic(file, text, { fs: this.deps.fs });
        this.log.info(`removed the users from ${file}: they live in the accounts file now`);
      } catch (err) {
        this.log.error(`could not remove the users from ${file}: ${errorText(err)}`);
      }
    }
  }

  private readLayer(file: string): Promise<LayerRead> {
    return readLayerFile(file, this.base, this.deps.fs, this.formats);
  }

  /** settings.json as format-copies.ts handles it. */
  private versioned(): VersionedFile {
    return { file: this.file, what: 'settings', ...this.formats, maxBytes: MAX_SETTINGS_BYTES, fs: this.deps.fs };
  }

  private resolve(layer: Tree): Config {
    const resolved = resolveSettings(this.base, layer, { allowAccounts: false });
    if (!resolved.ok) throw new Error(`settings no longer valid: ${resolved.problems.join('; ')}`);
    return resolved.config;
  }

  private setCurrent(config: Config): void {
    this.current = config;
    this.currentEtag = etagOf(config);
  }
}

function invalid(problems: string[]): ChangeResult {
  return { ok: false, status: 400, error: 'invalid', message: 'the settings were not saved', problems };
}

function refused(status: 404 | 409, error: RefusalError, message: string): ChangeResult {
  return { ok: false, status, error, message };
}

/** What the settings file may hold of a config: the settable tree. */
function pageProjection(config: Config): Tree {
  return pickSettable(config);
}

/** The open-viewing choice of a layer, which reset() and PUT keep (it changes through its own route). */
function openViewingOf(layer: Tree): Tree {
  const server = isPlainObject(layer.server) ? layer.server : {};
  return server.openViewing !== undefined ? { server: { openViewing: server.openViewing } } : {};
}

type LayerRead = { kind: 'ok'; layer: Tree; legacyUsers: LegacyUser[] | null } | { kind: 'missing' } | { kind: 'bad'; message: string; newer?: boolean };
type LegacyUser = { name: string; passwordHash: string };

/**
 * One settings file as a layer over the config file. Users an older version kept in it
 * (server.auth) are validated with it, then taken out of the layer and returned apart.
 */
async function readLayerFile(file: string, base: Tree, fs: SafeFs | undefined, formats: FormatSteps = SETTINGS_FORMATS): Promise<LayerRead> {
  const read = await readRegularFile(file, MAX_SETTINGS_BYTES, { fs });
  if (!read.ok) return read.reason === 'missing' ? { kind: 'missing' } : { kind: 'bad', message: read.message };
  return readLayerText(read.data.toString('utf8'), file, base, formats);
}

/** The text of one settings file (or of its copy) as a layer. */
function readLayerText(text: string, file: string, base: Tree, formats: FormatSteps): LayerRead {
  const parsed = parseSettingsText(text, formats);
  if (!parsed.ok) return { kind: 'bad', message: `${file}: ${parsed.problems.join('; ')}`, ...(parsed.newer ? { newer: true } : {}) };
  const resolved = resolveSettings(base, parsed.settings, { allowAccounts: true });
  if (!resolved.ok) return { kind: 'bad', message: `${file}: ${resolved.problems.join('; ')}` };
  const server = isPlainObject(parsed.settings.server) ? parsed.settings.server : {};
  if (!('auth' in server)) return { kind: 'ok', layer: parsed.settings, legacyUsers: null };
  const auth = server.auth as { users: LegacyUser[] } | null;
  const users = (auth?.users ?? []).map((u) => ({ name: u.name, passwordHash: u.passwordHash }));
  return { kind: 'ok', layer: withoutPath(parsed.settings, ['server', 'auth']), legacyUsers: users };
}

/**
 * The users settings.json holds from a version before the accounts file (else .prev, which that
 * version kept in step), for the accounts store to take over once. `unreadable` when neither file
 * can tell: the accounts store then fails closed.
 */
export async function readLegacyUsers(file: string, base: Tree, fs?: SafeFs): Promise<LegacyUsers> {
  const main = await readLayerFile(file, base, fs);
  if (main.kind === 'missing') return { kind: 'none' };
  const read = main.kind === 'ok' ? main : await readLayerFile(`${file}.prev`, base, fs);
  if (read.kind !== 'ok') return { kind: 'unreadable', message: main.kind === 'bad' ? main.message : 'unreadable' };
  return read.legacyUsers && read.legacyUsers.length > 0 ? { kind: 'users', users: read.legacyUsers } : { kind: 'none' };
}

/**
 * The load's status with what format-copies.ts did: a newer release's file read through this
 * release's copy (and what that undid, which the owner is told), or a migration.
 */
function withPrepared(status: SettingsStatus, prepared: Prepared, file: string, used: boolean): SettingsStatus {
  if (prepared.kind === 'copy' && used) {
    const message = `${file} is in format ${prepared.newer} of a newer picamd (a rollback); using ${prepared.copy}, kept up to date for this version`;
    if (prepared.notes.length === 0) return { state: status.state, message: `${message}; ${status.message}` };
    return { state: 'fallback', message: `${message}; not kept from the newer version: ${prepared.notes.join('; ')}` };
  }
  if (prepared.kind === 'no-copy') return { ...status, message: `${status.message} (${prepared.reason})` };
  if (prepared.kind === 'migrated') return { ...status, message: `${status.message} (migrated from format ${prepared.from}; the old file kept as ${prepared.copy})` };
  if (prepared.kind === 'file' && prepared.problem) return { ...status, message: `${status.message} (${prepared.problem})` };
  return status;
}

/** The value at a dotted path of the config (undefined when there is none). */
function valueAt(config: Config, path: string): unknown {
  let node: unknown = config;
  for (const key of path.split('.')) node = isPlainObject(node) ? node[key] : undefined;
  return node === undefined ? undefined : structuredClone(node);
}

/** Strong, quoted ETag of what the page sees: the settable values. */
function etagOf(config: Config): string {
  const seen = JSON.stringify({ values: pickSettable(config) });
  return `"${createHash('sha256').update(seen).digest('base64url').slice(0, 27)}"`;
}
