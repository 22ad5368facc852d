import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { basename } from 'node:path';
import { escapeForLog } from '../../platform/log/escape.js';
import type { Logger } from '../../platform/log/logger.js';
import { errorText } from '../../platform/errors.js';
import { readRegularFile, writeFileAtomic, type SafeFs } from '../../platform/safe-file.js';
import { forgetPasswordOnNewBroker, sendsPassword } from './broker-secret.js';
import type { Config } from './schema.js';
import { keyProblems, pickSettable, settableLeaves } from './settable.js';
import {
  MAX_SETTINGS_BYTES,
  parseSettingsDocument,
  parseSettingsText,
  resolveSettings,
  serializeSettings,
} from './settings-file.js';
import { changedPaths, decidingLayer, deepEqual, deepMerge, diffTree, isPlainObject, withoutPath, type Tree } from './tree.js';

/**
 * The settings store: the effective config is defaults <- config file <- settings.json (the page's
 * settings and the users), validated as a whole against configSchema.
 *
 * Life cycle
 *   new SettingsStore({ base, file, logger, fs?, now? })   base: the config file's raw JSON object
 *                                                           (loadConfigFile().raw), file: config.settings.file
 *   await load()      reads settings.json; never throws for a bad file: falls back to settings.json.prev,
 *                     then to the config file alone, logging why -> status
 *
 * Reading (synchronous, always consistent with each other)
 *   config            the effective Config
 *   values()          the settable tree (same shape as the config, settable leaves only)
 *   origins()         {"camera.width": "default" | "config" | "page", ...} for every settable leaf
 *   etag              strong ETag, quoted ("..."): hash of the settable values and the user names
 *   status            {state: 'ok' | 'fallback' | 'rolled-back', message}
 *   users, openViewing, claimed (users or open viewing; also true after a fallback that lost the
 *                     settings file, so a corrupt file never reopens first-time setup)
 *   exportSettings()  {format: 1, settings} without the users and their password hashes
 *
 * Changing (all serialised: one at a time, in call order; each If-Match is checked against the
 * etag at its turn, so a second writer with the old etag gets 412)
 *   update(body, {mode: 'put' | 'patch', ifMatch?})   PUT: the whole settable tree (what it leaves
 *                     out returns to the config file's value; the users are kept, and so is
 *                     openViewing when absent); PATCH: a deep-partial tree. Neither, nor an
 *                     import, switches open viewing on (400): only setOpenViewing does
 *   importSettings(doc, {ifMatch?})   {format: 1, settings} as exported; a PUT, all or nothing
 *   reset()           back to the config file: page settings removed; users and openViewing kept
 *   claim({name, passwordHash, deviceName?, openViewing?})   first-time setup in one write; 409 once claimed
 *   addUser(name, passwordHash), removeUser(name), setPassword(name, passwordHash), setOpenViewing(bool)
 *   rollback(reason?) back to the last good settings (the camera rejected the new ones, `reason` quotes
 *                     it: status becomes 'rolled-back'); users and openViewing kept
 *   markGood()        the camera accepted the current settings: they become settings.json.prev
 * Results: {ok: true, etag, paths} | {ok: false, status: 400, error: 'invalid', problems: ['path: message']}
 *   | {ok: false, status: 412, error: 'stale'} | {ok: false, status: 404 | 409, error, message} (users:
 *   'not-found', 'exists', 'last-user', 'no-users', 'already-claimed').
 * Bad input, and a change that changes nothing, write nothing. An I/O failure rejects and the store
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
 * Files: settings.json and settings.json.prev, both written with writeFileAtomic (mode 0600, they
 * hold password hashes). The users are copied into .prev whenever they change, so falling back to
 * it never brings back a removed user or an old password.
 */

/** What the HTTP routes and services need besides the store itself. */
export { appliesOf, settingsJsonSchema } from './settable.js';
export type { Applies } from './meta.js';

export type SettingsStatus = { state: 'ok' | 'fallback' | 'rolled-back'; message: string };
export type Origin = 'default' | 'config' | 'page';

export type ChangeResult =
  | { ok: true; etag: string; paths: string[] }
  | { ok: false; status: 400; error: 'invalid'; message: string; problems: string[] }
  | { ok: false; status: 412; error: 'stale'; message: string }
  | { ok: false; status: 404 | 409; error: RefusalError; message: string };

type RefusalError = 'not-found' | 'exists' | 'last-user' | 'no-users' | 'already-claimed';

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
  /**
   * What this device cannot do although the schema allows it (H.264 without an encoder), as
   * 'path: message' problems; a change that brings one is refused like an invalid one. Not applied
   * to what is already saved: load() never loses settings for it.
   */
  check?: (config: Config) => string[];
}

interface User {
  name: string;
  passwordHash: string;
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
  private current: Config;
  private currentEtag: string;
  private currentStatus: SettingsStatus = { state: 'ok', message: 'not loaded yet' };
  /** The settings file could not be used at all: fail closed on "claimed". */
  private lostSettings = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: SettingsStoreDeps) {
    super();
    this.file = deps.file;
    this.prevFile = `${deps.file}.prev`;
    this.base = deps.base;
    this.log = deps.logger;
    this.now = deps.now ?? (() => new Date());
    const resolved = resolveSettings(deps.base, {}, { allowAccounts: false });
    if (!resolved.ok) throw new Error(`the config file is not valid: ${resolved.problems.join('; ')}`);
    this.baseConfig = resolved.config;
    this.current = resolved.config;
    this.currentEtag = etagOf(resolved.config);
  }

  /** Reads settings.json (then .prev, then neither); never throws for a bad file. */
  async load(): Promise<SettingsStatus> {
    return this.exclusive(async () => {
      const main = await this.readLayer(this.file);
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
        this.lostSettings = true;
        const why = prev?.kind === 'bad' ? prev.message : `${this.prevFile}: missing`;
        status = { state: 'fallback', message: `${main.message}; ${why}; using the config file alone` };
      }
      if (prev?.kind === 'bad' && main.kind === 'ok') this.log.warn(`${prev.message}; it will be rewritten`);
      this.good = prev?.kind === 'ok' ? prev.layer : null;
      this.layer = layer;
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

  get users(): string[] {
    return usersOf(this.current).map((u) => u.name);
  }

  get openViewing(): boolean {
    return this.current.server.openViewing;
  }

  /** Someone owns the device: a user exists or open viewing was chosen (or the settings were lost). */
  get claimed(): boolean {
    return this.users.length > 0 || this.openViewing || this.lostSettings;
  }

  /** The page's settings as a document to keep or move to another device: no users, no password hashes. */
  exportSettings(): { format: 1; settings: Tree } {
    return { format: 1, settings: structuredClone(withoutAccounts(this.layer)) };
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
      // Keys are checked on the body alone: the users already in the layer are not the page's to send.
      const keys = keyProblems(body);
      const merge = (part: Tree) => (options.mode === 'patch' ? deepMerge(this.layer, part) : deepMerge(accountsOf(this.layer, true), part)) as Tree;
      if (keys.length > 0) {
        // Every problem at once: the values beside the bad keys are checked too, and nothing is written.
        const rest = keys.reduce((tree, problem) => withoutPath(tree, problem.slice(0, problem.indexOf(':')).split('.')), body);
        const resolved = resolveSettings(this.base, merge(rest), { allowAccounts: true });
        return invalid([...keys, ...(resolved.ok ? [] : resolved.problems)]);
      }
      const candidate = this.passwordForBroker(merge(body), sendsPassword(body, options.keptSecrets ?? []));
      // Open viewing lets anyone watch: it is switched on only by setOpenViewing (its own route, with
      // a confirmation and a warning in the log), never as one setting among others.
      const opened = resolveSettings(this.base, candidate, { allowAccounts: true });
      if (opened.ok && opened.config.server.openViewing && !this.openViewing) {
        return invalid(['server.openViewing: is switched on only through POST /api/users/open-viewing, with its confirmation']);
      }
      return this.commit(candidate);
    });
  }

  importSettings(document: unknown, options: { ifMatch?: string; keptSecrets?: readonly string[] } = {}): Promise<ChangeResult> {
    const parsed = parseSettingsDocument(document);
    if (!parsed.ok) return Promise.resolve(invalid(parsed.problems));
    return this.update(parsed.settings, { mode: 'put', ifMatch: options.ifMatch, keptSecrets: options.keptSecrets });
  }

  reset(): Promise<ChangeResult> {
    return this.exclusive(() => this.commit(accountsOf(this.layer, true)));
  }

  rollback(reason = 'the camera did not accept the new settings'): Promise<ChangeResult> {
    return this.exclusive(async () => {
      const target = deepMerge(withoutAccounts(this.good ?? {}), accountsOf(this.layer, true)) as Tree;
      const result = await this.commit(target);
      if (result.ok) {
        this.currentStatus = { state: 'rolled-back', message: reason };
        this.log.warn(`rolled back to the last good settings${result.paths.length ? ` (${result.paths.join(', ')})` : ''}: ${escapeForLog(reason, 600)}`);
      }
      return result;
    });
  }

  /** The camera runs with the current settings: keep them as settings.json.prev for rollback(). */
  markGood(): Promise<void> {
    return this.exclusive(async () => {
      if (this.good && deepEqual(this.good, this.layer)) return;
      await writeFileAtomic(this.prevFile, serializeSettings(this.layer, this.now()), { fs: this.deps.fs });
      this.good = this.layer;
    });
  }

  /**
   * First-time setup in one write: the first user, and optionally the device name and open viewing.
   * 409 already-claimed once the device has an owner (checked in turn, so two racing set-ups cannot
   * both win).
   */
  claim(owner: { name: string; passwordHash: string; deviceName?: string; openViewing?: boolean }): Promise<ChangeResult> {
    return this.exclusive(async () => {
      if (this.claimed) return refused(409, 'already-claimed', 'the device has already been set up');
      const server: Tree = { auth: { users: [{ name: owner.name, passwordHash: owner.passwordHash }] } };
      if (owner.deviceName !== undefined) server.deviceName = owner.deviceName;
      if (owner.openViewing !== undefined) server.openViewing = owner.openViewing;
      return this.commit(deepMerge(this.layer, { server }) as Tree);
    });
  }

  addUser(name: string, passwordHash: string): Promise<ChangeResult> {
    return this.exclusive(async () => {
      const users = usersOf(this.current);
      if (users.some((u) => u.name === name)) return refused(409, 'exists', `user ${name} already exists`);
      return this.commitUsers([...users, { name, passwordHash }]);
    });
  }

  removeUser(name: string): Promise<ChangeResult> {
    return this.exclusive(async () => {
      const users = usersOf(this.current);
      if (!users.some((u) => u.name === name)) return refused(404, 'not-found', `no user ${name}`);
      if (users.length === 1 && !this.openViewing) {
        return refused(409, 'last-user', 'the last user cannot be removed while open viewing is off');
      }
      return this.commitUsers(users.filter((u) => u.name !== name));
    });
  }

  setPassword(name: string, passwordHash: string): Promise<ChangeResult> {
    return this.exclusive(async () => {
      const users = usersOf(this.current);
      if (!users.some((u) => u.name === name)) return refused(404, 'not-found', `no user ${name}`);
      return this.commitUsers(users.map((u) => (u.name === name ? { name, passwordHash } : u)));
    });
  }

  setOpenViewing(enabled: boolean): Promise<ChangeResult> {
    return this.exclusive(async () => {
      if (!enabled && this.users.length === 0) {
        return refused(409, 'no-users', 'open viewing cannot be turned off while there is no user (add one first)');
      }
      return this.commit(deepMerge(this.layer, { server: { openViewing: enabled } }) as Tree);
    });
  }

  /** The candidate layer without the kept MQTT password when it points at another broker (broker-secret.ts). */
  private passwordForBroker(candidate: Tree, sent: boolean): Tree {
    const resolved = resolveSettings(this.base, candidate, { allowAccounts: true });
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

  /** Arrays are replaced whole by a merge, so this sets exactly these users. */
  private commitUsers(users: User[]): Promise<ChangeResult> {
    return this.commit(deepMerge(this.layer, { server: { auth: users.length > 0 ? { users } : null } }) as Tree);
  }

  /**
   * Validates `candidate` (a layer over the config file), stores only what differs from the config
   * file, writes it and emits 'change'. Nothing is written when it is invalid or changes nothing.
   */
  private async commit(candidate: Tree): Promise<ChangeResult> {
    const resolved = resolveSettings(this.base, candidate, { allowAccounts: true });
    if (!resolved.ok) return invalid(resolved.problems);
    const next = resolved.config;
    // Only what this change brings: settings saved before (a card moved from a Pi 4 to a Pi 5) must
    // not block adding a user or a reset.
    const before = new Set(this.deps.check?.(this.current) ?? []);
    const unsupported = (this.deps.check?.(next) ?? []).filter((p) => !before.has(p));
    if (unsupported.length > 0) return invalid(unsupported);
    if (this.openViewing && !next.server.openViewing && usersOf(next).length === 0) {
      return invalid(['server.openViewing: cannot be turned off while there is no user (add one first)']);
    }
    const layer = (diffTree(pageProjection(this.baseConfig), pageProjection(next)) ?? {}) as Tree;
    if (deepEqual(layer, this.layer)) return { ok: true, etag: this.currentEtag, paths: [] };
    await writeFileAtomic(this.file, serializeSettings(layer, this.now()), { fs: this.deps.fs });
    const previous = this.current;
    this.layer = layer;
    this.lostSettings = false;
    this.setCurrent(next);
    this.currentStatus = { state: 'ok', message: `settings saved to ${this.file}` };
    await this.syncPrevAccounts();
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

  /** Keeps the users in .prev equal to settings.json's, so a fallback never revives an old password. */
  private async syncPrevAccounts(): Promise<void> {
    const accounts = accountsOf(this.layer, false);
    if (this.good && deepEqual(accountsOf(this.good, false), accounts)) return;
    if (!this.good && Object.keys(accounts).length === 0) return;
    const good = deepMerge(withoutAccounts(this.good ?? {}), accounts) as Tree;
    try {
      await writeFileAtomic(this.prevFile, serializeSettings(good, this.now()), { fs: this.deps.fs });
      this.good = good;
    } catch (err) {
      this.log.error(`could not update the users in ${this.prevFile}: ${errorText(err)}`);
    }
  }

  private async readLayer(
    file: string,
  ): Promise<{ kind: 'ok'; layer: Tree } | { kind: 'missing' } | { kind: 'bad'; message: string }> {
    const read = await readRegularFile(file, MAX_SETTINGS_BYTES, { fs: this.deps.fs });
    if (!read.ok) return read.reason === 'missing' ? { kind: 'missing' } : { kind: 'bad', message: read.message };
    const parsed = parseSettingsText(read.data.toString('utf8'));
    if (!parsed.ok) return { kind: 'bad', message: `${file}: ${parsed.problems.join('; ')}` };
    const resolved = resolveSettings(this.base, parsed.settings, { allowAccounts: true });
    if (!resolved.ok) return { kind: 'bad', message: `${file}: ${resolved.problems.join('; ')}` };
    return { kind: 'ok', layer: parsed.settings };
  }

  private resolve(layer: Tree): Config {
    const resolved = resolveSettings(this.base, layer, { allowAccounts: true });
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

function usersOf(config: Config): User[] {
  return (config.server.auth?.users ?? []).map((u) => ({ name: u.name, passwordHash: u.passwordHash }));
}

/** What the settings file may hold of a config: the settable tree and the users. */
function pageProjection(config: Config): Tree {
  return deepMerge(pickSettable(config), { server: { auth: config.server.auth } }) as Tree;
}

/** The access part of a layer: its users and (with `withOpenViewing`) its open-viewing choice. */
function accountsOf(layer: Tree, withOpenViewing: boolean): Tree {
  const server = isPlainObject(layer.server) ? layer.server : {};
  const out: Tree = {};
  if (server.auth !== undefined) out.auth = server.auth;
  if (withOpenViewing && server.openViewing !== undefined) out.openViewing = server.openViewing;
  return Object.keys(out).length > 0 ? { server: out } : {};
}

function withoutAccounts(layer: Tree): Tree {
  return withoutPath(layer, ['server', 'auth']);
}

/** Strong, quoted ETag of what the page sees: the settable values and the user names. */
function etagOf(config: Config): string {
  const seen = JSON.stringify({ values: pickSettable(config), users: usersOf(config).map((u) => u.name) });
  return `"${createHash('sha256').update(seen).digest('base64url').slice(0, 27)}"`;
}
