import { EventEmitter } from 'node:events';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { errorText } from '../../platform/errors.js';
import type { Logger } from '../../platform/log/logger.js';
import { readRegularFile, writeFileAtomic, type SafeFs } from '../../platform/safe-file.js';
import { bindingOf, digestHa1For, parseDigestText, serializeDigest, type DigestEntry } from './digest.js';
import { parsePasswordHash, verifyPassword } from './password.js';
import { MAX_USERS, passwordHashSchema, ROLES, userNameSchema, type Role } from './rules.js';
import { readFormat, type DowngradeStep, type FormatSteps, type MigrationStep } from '../../formats/stored-format.js';
import { prepareVersioned, writeVersioned, type VersionedFile } from '../format-copies.js';

// The accounts: who may log in, and as what. The sole reader and writer of accounts.json, which sits
// beside settings.json (settings.file) and is written through safe-file (atomic, durable, 0600):
//   {"format": 1, "savedAt": "<ISO time>", "users": [{"name", "passwordHash", "role": "owner" | "viewer"}]}
//
// Its own rules, unlike the settings: there is no previous copy to fall back to (a rollback must
// never bring back a removed user or an old password), and it fails closed: a file that exists but
// cannot be read or validated LOCKS the device (see `locked`) until the owner reset replaces it.
// The one copy it has is for older releases (accounts.json.v<n>, format-copies.ts): brought up to
// date before every write, so a rollback keeps a password changed since; what an older format
// cannot hold is named in the copy, and the older release tells the owner (formatNotes()).
//
// The users of the config file (server.auth.users, an administrator's) are owners beside these; a
// user of the same name in the accounts file takes their place (a config user who changed their
// password on the page); they are removed only in the config file. Users that older versions kept in
// settings.json move here once, at start (see load()); the settings store drops them afterwards.

export const ACCOUNTS_FORMAT = 1;
/**
 * The migration steps, oldest first: ACCOUNTS_MIGRATIONS[n] turns format n into n + 1. A release
 * that changes the file's shape raises ACCOUNTS_FORMAT and adds its step here.
 */
export const ACCOUNTS_MIGRATIONS: Readonly<Record<number, MigrationStep>> = {};
/**
 * The steps back, for the copies older releases read after a rollback (format-copies.ts):
 * ACCOUNTS_DOWNGRADES[n] turns format n + 1 into n; a user or role format n cannot hold is left
 * out and named, so the older release tells its owner.
 */
export const ACCOUNTS_DOWNGRADES: Readonly<Record<number, DowngradeStep>> = {};
export const ACCOUNTS_FORMATS: FormatSteps = { current: ACCOUNTS_FORMAT, up: ACCOUNTS_MIGRATIONS, down: ACCOUNTS_DOWNGRADES };
/** 16 users fit in a few kilobytes; a larger file is not ours. */
export const MAX_ACCOUNTS_BYTES = 64 * 1024;

export interface Account {
  name: string;
  passwordHash: string;
  role: Role;
}

/** A user as the page sees it: never the hash. `inConfig`: from the config file, changed only there. */
export interface AccountView {
  name: string;
  role: Role;
  inConfig: boolean;
}

export type AccountsStatus = { state: 'ok'; message: string } | { state: 'locked'; message: string };

export type AccountsResult =
  | { ok: true }
  | { ok: false; status: 400; error: 'invalid'; message: string; problems: string[] }
  | { ok: false; status: 404 | 409 | 503; error: AccountsRefusal; message: string };

export type AccountsRefusal = 'not-found' | 'exists' | 'last-owner' | 'too-many' | 'in-config' | 'already-claimed' | 'accounts-unreadable';

/** What older versions kept of the users in settings.json, read by the settings module (its file). */
export type LegacyUsers =
  | { kind: 'none' }
  | { kind: 'users'; users: Array<{ name: string; passwordHash: string }> }
  | { kind: 'unreadable'; message: string };

export interface AccountsEvents {
  /** The users changed: `ended` lost their access or their password, so their sessions and connections end. */
  change: [users: ReadonlyArray<Account>, ended: string[]];
}

export interface AccountsStoreDeps {
  file: string;
  /** server.auth.users of the config file: owners, not written here. */
  configUsers?: ReadonlyArray<{ name: string; passwordHash: string }>;
  /** The users settings.json still holds from an older version (only read when accounts.json is missing). */
  legacyUsers?: () => Promise<LegacyUsers>;
  logger: Logger;
  fs?: SafeFs;
  now?: () => Date;
  /** The file's formats (tests: a synthetic newer one); this release's by default. */
  formats?: FormatSteps;
}

/** accounts-digest.json beside accounts.json: the users' Digest HA1s (see digest.ts). */
export function digestFileFor(accountsFile: string): string {
  return join(dirname(accountsFile), 'accounts-digest.json');
}

/** accounts.json beside the settings file. */
export function accountsFileFor(settingsFile: string): string {
  return join(dirname(settingsFile), 'accounts.json');
}

const accountSchema = z.strictObject({ name: userNameSchema, passwordHash: passwordHashSchema, role: z.enum(ROLES) });
const documentSchema = z.strictObject({
  // readFormat has checked it and brought it to this release's format.
  format: z.number().int(),
  savedAt: z.string().optional(),
  users: z
    .array(accountSchema)
    .max(MAX_USERS)
    .superRefine((users, ctx) => {
      const seen = new Set<string>();
      users.forEach((user, i) => {
        if (seen.has(user.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `${user.name} is listed twice` });
        seen.add(user.name);
      });
    }),
});

/** The text of accounts.json, or why it is not one. Pure. */
export function parseAccountsText(
  text: string,
  formats: FormatSteps = ACCOUNTS_FORMATS,
): { ok: true; users: Account[] } | { ok: false; reason: string } {
  if (text.trim() === '') return { ok: false, reason: 'the file is empty' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not valid JSON' };
  }
  // A newer picamd's file locks the device (never opens it) and is not written over.
  const format = readFormat(json, formats.current, formats.up, 'accounts');
  if (!format.ok) return { ok: false, reason: format.newer ? format.reason : `not an accounts file (${format.reason})` };
  const parsed = documentSchema.safeParse(format.doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    return { ok: false, reason: `not an accounts file (${where}${issue?.message ?? 'invalid'})` };
  }
  return { ok: true, users: parsed.data.users.map((u) => ({ name: u.name, passwordHash: u.passwordHash, role: u.role })) };
}

export function serializeAccounts(users: ReadonlyArray<Account>, now: Date, format = ACCOUNTS_FORMAT): string {
  const list = users.map((u) => ({ name: u.name, passwordHash: u.passwordHash, role: u.role }));
  return `${JSON.stringify({ format, savedAt: now.toISOString(), users: list }, null, 2)}\n`;
}

/**
 * accounts.json with `owner` as an owner (a user of that name gets the new password and the owner
 * role; the others stay), for picamd-setup.txt, which writes it with the rest of its files. `text`
 * null: there is no file yet, and `legacy` (the users settings.json still holds) come along as owners.
 */
export function accountsTextWithOwner(
  text: string | null,
  legacy: ReadonlyArray<{ name: string; passwordHash: string }>,
  owner: { name: string; passwordHash: string },
  now: Date,
): { ok: true; text: string } | { ok: false; reason: string } {
  let users: Account[];
  if (text === null) {
    users = legacy.map((u) => ({ name: u.name, passwordHash: u.passwordHash, role: 'owner' }));
  } else {
    const parsed = parseAccountsText(text);
    if (!parsed.ok) return parsed;
    users = parsed.users;
  }
  const next = [...users.filter((u) => u.name !== owner.name), { name: owner.name, passwordHash: owner.passwordHash, role: 'owner' as const }];
  if (next.length > MAX_USERS) return { ok: false, reason: `it already lists ${MAX_USERS} users` };
  const bad = accountProblems(next.at(-1)!);
  if (bad && !bad.ok && bad.status === 400) return { ok: false, reason: bad.problems.join('; ') };
  return { ok: true, text: serializeAccounts(next, now) };
}

/**
 * accounts.json's text for picamd-setup.txt (which stages it with its other files): null when there
 * is none; throws when it cannot be read (a symlink, a FIFO, too large, an I/O error).
 */
export async function readAccountsText(file: string, fs?: SafeFs): Promise<string | null> {
  const read = await readRegularFile(file, MAX_ACCOUNTS_BYTES, { fs });
  if (read.ok) return read.data.toString('utf8');
  if (read.reason === 'missing') return null;
  throw new Error(read.message);
}

/** What a locked device says: what happened and how to recover. */
export function lockedMessage(file: string, reason: string): string {
  return `The accounts file ${file} cannot be used (${reason}), so this camera is locked. ` +
    'To recover, hold the privacy button for 10 s while picamd starts, or run `sudo picamd reset-owner` on the device: ' +
    'the users are removed, privacy is switched on, and the page asks for a new owner.';
}

export class AccountsStore extends EventEmitter<AccountsEvents> {
  readonly file: string;
  /** accounts-digest.json: the HA1s for Digest authentication (digest.ts). */
  readonly digestFile: string;
  private own: Account[] = [];
  /** HA1 entries by user name; each counts only while bound to the user's current hash. */
  private digests = new Map<string, DigestEntry>();
  private readonly config: Account[];
  private currentStatus: AccountsStatus = { state: 'ok', message: 'not loaded yet' };
  /** The accounts file was read or written: it holds the users, settings.json no longer needs to. */
  private onDisk = false;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly now: () => Date;
  private readonly formats: FormatSteps;
  /** What a newer release's change this release's copy could not hold (read from the copy's notes). */
  private undone: string[] = [];

  constructor(private readonly deps: AccountsStoreDeps) {
    super();
    this.file = deps.file;
    this.formats = deps.formats ?? ACCOUNTS_FORMATS;
    this.digestFile = digestFileFor(deps.file);
    this.now = deps.now ?? (() => new Date());
    this.config = (deps.configUsers ?? []).map((u) => ({ name: u.name, passwordHash: u.passwordHash, role: 'owner' }));
  }

  /**
   * Reads accounts.json. Missing: the users settings.json held (older versions) move here, as
   * owners, written before the settings store drops them, so a power cut in between loses nothing;
   * a settings.json too damaged to tell whether it held users locks the device like a damaged
   * accounts file. Never throws.
   */
  load(): Promise<AccountsStatus> {
    return this.exclusive(async () => {
      this.undone = [];
      const prepared = await prepareVersioned(this.versioned());
      if (prepared.kind === 'file' && prepared.problem) this.deps.logger.warn(prepared.problem);
      if (prepared.kind === 'migrated') this.deps.logger.info(`${this.file}: migrated from format ${prepared.from}; the old file kept as ${prepared.copy}`);
      // A newer release's file (a rollback): this release's copy, which that release kept up to date.
      if (prepared.kind === 'copy') {
        const parsed = parseAccountsText(prepared.text, this.formats);
        if (!parsed.ok) return this.settle({ state: 'locked', message: lockedMessage(this.file, `it is a newer picamd's (format ${prepared.newer}) and its copy ${prepared.copy} cannot be used: ${parsed.reason}`) });
        this.own = parsed.users;
        this.onDisk = true;
        this.undone = prepared.notes;
        await this.loadDigests();
        if (prepared.notes.length > 0) this.deps.logger.warn(`${this.file}: not kept from the newer version: ${prepared.notes.join('; ')}`);
        return this.settle({ state: 'ok', message: `${this.users.length} user(s) from ${prepared.copy} (${this.file} is in format ${prepared.newer} of a newer picamd)` });
      }
      const read = await readRegularFile(this.file, MAX_ACCOUNTS_BYTES, { fs: this.deps.fs });
      if (read.ok) {
        const parsed = parseAccountsText(read.data.toString('utf8'), this.formats);
        if (parsed.ok) {
          this.own = parsed.users;
          this.onDisk = true;
          await this.loadDigests();
          return this.settle({ state: 'ok', message: `${this.users.length} user(s) from ${this.file}` });
        }
        return this.settle({ state: 'locked', message: lockedMessage(this.file, prepared.kind === 'no-copy' ? `${parsed.reason}; ${prepared.reason}` : parsed.reason) });
      }
      if (read.reason !== 'missing') return this.settle({ state: 'locked', message: lockedMessage(this.file, read.message) });
      const legacy = (await this.deps.legacyUsers?.()) ?? { kind: 'none' };
      if (legacy.kind === 'unreadable') {
        return this.settle({ state: 'locked', message: lockedMessage(this.file, `it is missing and the users of the settings file cannot be read: ${legacy.message}`) });
      }
      const moved: Account[] = legacy.kind === 'users' ? legacy.users.map((u) => ({ ...u, role: 'owner' })) : [];
      try {
        await this.write(moved);
      } catch (err) {
        // Nothing was lost: settings.json keeps its users until this write succeeds.
        this.own = moved;
        this.deps.logger.error(`cannot write ${this.file}: ${errorText(err)}; the users stay in the settings file until it can be written`);
        return this.settle({ state: 'ok', message: `${moved.length} user(s) from the settings file (${this.file} not written)` });
      }
      this.own = moved;
      this.onDisk = true;
      if (moved.length > 0) this.deps.logger.info(`moved ${moved.length} user(s) from the settings file to ${this.file}, as owners`);
      return this.settle({ state: 'ok', message: `${this.users.length} user(s); ${this.file} created` });
    });
  }

  get status(): AccountsStatus {
    return { ...this.currentStatus };
  }

  /** What a rollback from a newer release undid here, in plain words ([] when nothing); until the next change. */
  formatNotes(): string[] {
    return [...this.undone];
  }

  /** The users are in the accounts file (read or written at load): settings.json may drop its old copy. */
  get holdsUsers(): boolean {
    return this.onDisk && !this.locked;
  }

  /** The accounts file could not be used: the device serves only its page, assets and /healthz. */
  get locked(): boolean {
    return this.currentStatus.state === 'locked';
  }

  /** Everyone who may log in: the accounts file's users, then the config file's not shadowed by name. */
  get users(): ReadonlyArray<Account> {
    if (this.locked) return [];
    const names = new Set(this.own.map((u) => u.name));
    return [...this.own, ...this.config.filter((u) => !names.has(u.name))];
  }

  list(): AccountView[] {
    const own = new Set(this.own.map((u) => u.name));
    return this.users.map((u) => ({ name: u.name, role: u.role, inConfig: !own.has(u.name) }));
  }

  roleOf(name: string): Role | undefined {
    return this.users.find((u) => u.name === name)?.role;
  }

  /** Somebody owns the device (or it is locked: never offer the first-run claim then). */
  get claimed(): boolean {
    return this.locked || this.users.length > 0;
  }

  /**
   * Whether `password` is `name`'s current one. A right password also fills in the user's HA1
   * (digestHa1) when it is missing, bound to the hash it was just checked against.
   */
  async checkPassword(name: string, password: string): Promise<boolean> {
    const entry = this.users.find((u) => u.name === name);
    const hash = entry ? parsePasswordHash(entry.passwordHash) : undefined;
    const ok = hash !== undefined && typeof hash !== 'string' && (await verifyPassword(password, hash));
    // Awaited (it never throws; it writes only when the HA1 is missing or stale), so no write of
    // accounts-digest.json outlives the check that caused it.
    if (ok && entry) await this.keepDigest(name, password, entry.passwordHash);
    return ok;
  }

  /**
   * `name`'s HA1 for Digest authentication in DIGEST_REALM (MD5(name:realm:password), hex), or
   * undefined when there is none for the user's current password: an account that predates
   * accounts-digest.json and has not logged in with its password since, or a user who does not exist.
   * For RTSP Digest and the ONVIF service's HTTP Digest.
   */
  digestHa1(name: string): string | undefined {
    const user = this.users.find((u) => u.name === name);
    const entry = this.digests.get(name);
    return user && entry && entry.boundTo === bindingOf(user.passwordHash) ? entry.ha1 : undefined;
  }

  /**
   * Keeps `name`'s HA1 for `password`, once the password is checked to be the user's current one
   * (one scrypt run, only when the HA1 is missing or differs): call it when a password was set, and
   * after a successful password login (the page, HTTP or RTSP Basic). Writes accounts-digest.json
   * only when something changed. Never throws; false when the password is not the user's.
   */
  rememberDigest(name: string, password: string): Promise<boolean> {
    return this.exclusive(async () => {
      const user = this.users.find((u) => u.name === name);
      if (!user) return false;
      const ha1 = digestHa1For(name, password);
      const boundTo = bindingOf(user.passwordHash);
      const known = this.digests.get(name);
      if (known && known.boundTo === boundTo && known.ha1 === ha1) return true;
      const hash = parsePasswordHash(user.passwordHash);
      if (typeof hash === 'string' || !(await verifyPassword(password, hash))) return false;
      await this.storeDigest(name, password, user.passwordHash);
      return true;
    });
  }

  /** checkPassword's fill-in: `password` was checked against `passwordHash`. */
  private keepDigest(name: string, password: string, passwordHash: string): Promise<void> {
    return this.exclusive(() => this.storeDigest(name, password, passwordHash));
  }

  /** Keeps the HA1 when `passwordHash` is still the user's and the entry is new or differs. */
  private async storeDigest(name: string, password: string, passwordHash: string): Promise<void> {
    const user = this.users.find((u) => u.name === name);
    if (!user || user.passwordHash !== passwordHash) return;
    const entry = { name, ha1: digestHa1For(name, password), boundTo: bindingOf(passwordHash) };
    const known = this.digests.get(name);
    if (known && known.boundTo === entry.boundTo && known.ha1 === entry.ha1) return;
    const next = this.liveDigests();
    next.set(name, entry);
    await this.writeDigests(next);
  }

  /**
   * First-time setup: the first owner, once (checked in turn, so two racing set-ups cannot both win).
   * `password` (what passwordHash was made from) also gives the owner an HA1 (digestHa1); here and in
   * addUser and setPassword.
   */
  claim(owner: { name: string; passwordHash: string; password?: string }): Promise<AccountsResult> {
    return this.exclusive(async () => {
      if (this.locked) return this.refusedLocked();
      if (this.claimed) return refused(409, 'already-claimed', 'the device has already been set up');
      const bad = accountProblems({ name: owner.name, passwordHash: owner.passwordHash, role: 'owner' });
      if (bad) return bad;
      return this.commit([{ name: owner.name, passwordHash: owner.passwordHash, role: 'owner' }], [], withPassword(owner.name, owner.password));
    });
  }

  addUser(name: string, passwordHash: string, role: Role, password?: string): Promise<AccountsResult> {
    return this.exclusive(async () => {
      if (this.locked) return this.refusedLocked();
      const bad = accountProblems({ name, passwordHash, role });
      if (bad) return bad;
      if (this.users.some((u) => u.name === name)) return refused(409, 'exists', `user ${name} already exists`);
      if (this.own.length >= MAX_USERS) return refused(409, 'too-many', `at most ${MAX_USERS} users`);
      return this.commit([...this.own, { name, passwordHash, role }], [], withPassword(name, password));
    });
  }

  removeUser(name: string): Promise<AccountsResult> {
    return this.exclusive(async () => {
      if (this.locked) return this.refusedLocked();
      const user = this.users.find((u) => u.name === name);
      if (!user) return refused(404, 'not-found', `no user ${name}`);
      if (this.config.some((u) => u.name === name)) return refused(409, 'in-config', `${name} is defined in the config file; remove it there`);
      if (user.role === 'owner' && this.users.filter((u) => u.role === 'owner').length === 1) {
        return refused(409, 'last-owner', 'the last owner cannot be removed; make another user an owner first');
      }
      return this.commit(this.own.filter((u) => u.name !== name), [name]);
    });
  }

  setPassword(name: string, passwordHash: string, password?: string): Promise<AccountsResult> {
    return this.exclusive(async () => {
      if (this.locked) return this.refusedLocked();
      const user = this.users.find((u) => u.name === name);
      if (!user) return refused(404, 'not-found', `no user ${name}`);
      const bad = accountProblems({ ...user, passwordHash });
      if (bad) return bad;
      // A user of the config file who changes their password from the page: the new one lives here
      // and takes the config file's place (the config file is not ours to write).
      const next = this.own.some((u) => u.name === name) ? this.own.map((u) => (u.name === name ? { ...u, passwordHash } : u)) : [...this.own, { ...user, passwordHash }];
      return this.commit(next, [name], withPassword(name, password));
    });
  }

  /**
   * The owner reset: every user of the accounts file is gone, whatever the file held (a damaged file
   * too, which unlocks the device). Nothing is copied anywhere. Returns the names that were readable.
   */
  resetOwner(): Promise<{ removed: string[] }> {
    return this.exclusive(async () => {
      const read = await readRegularFile(this.file, MAX_ACCOUNTS_BYTES, { fs: this.deps.fs });
      const parsed = read.ok ? parseAccountsText(read.data.toString('utf8'), this.formats) : undefined;
      const removed = parsed?.ok ? parsed.users.map((u) => u.name) : this.own.map((u) => u.name);
      await this.write([]);
      await this.writeDigests(new Map());
      const ended = [...new Set([...removed, ...this.own.map((u) => u.name)])];
      this.own = [];
      this.currentStatus = { state: 'ok', message: `${this.file}: no users (owner reset)` };
      this.emit('change', this.users, ended);
      return { removed };
    });
  }

  private refusedLocked(): AccountsResult {
    return refused(503, 'accounts-unreadable', this.currentStatus.message);
  }

  /** `set`: the password a user's new hash was made from, for their HA1. */
  private async commit(next: Account[], ended: string[], set?: { name: string; password: string }): Promise<AccountsResult> {
    await this.write(next);
    this.own = next;
    // A removed user's HA1, or one for a password that is no longer theirs, leaves the file too.
    const live = this.liveDigests();
    const user = set && this.users.find((u) => u.name === set.name);
    if (set && user) live.set(set.name, { name: set.name, ha1: digestHa1For(set.name, set.password), boundTo: bindingOf(user.passwordHash) });
    if (user || live.size !== this.digests.size) await this.writeDigests(live);
    try {
      this.emit('change', this.users, ended);
    } catch (err) {
      this.deps.logger.error(`a change listener failed: ${errorText(err)}`);
    }
    return { ok: true };
  }

  private write(users: ReadonlyArray<Account>): Promise<void> {
    return writeVersioned(this.versioned(), serializeAccounts(users, this.now(), this.formats.current));
  }

  /** accounts.json as format-copies.ts handles it. */
  private versioned(): VersionedFile {
    return { file: this.file, what: 'accounts', ...this.formats, maxBytes: MAX_ACCOUNTS_BYTES, mode: 0o600, fs: this.deps.fs };
  }

  /** The HA1 entries still bound to a current user's current password. */
  private liveDigests(): Map<string, DigestEntry> {
    const live = new Map<string, DigestEntry>();
    for (const user of this.users) {
      const entry = this.digests.get(user.name);
      if (entry && entry.boundTo === bindingOf(user.passwordHash)) live.set(user.name, entry);
    }
    return live;
  }

  /** accounts-digest.json; a missing or unusable one holds no HA1 (Digest logins wait for a password login). */
  private async loadDigests(): Promise<void> {
    this.digests = new Map();
    const read = await readRegularFile(this.digestFile, MAX_ACCOUNTS_BYTES, { fs: this.deps.fs });
    if (!read.ok) {
      if (read.reason !== 'missing') this.deps.logger.warn(`${read.message}; Digest logins wait for each user's next password login`);
      return;
    }
    const parsed = parseDigestText(read.data.toString('utf8'));
    if (!parsed.ok) {
      this.deps.logger.warn(`${this.digestFile}: ${parsed.reason}; Digest logins wait for each user's next password login`);
      return;
    }
    for (const entry of parsed.entries) this.digests.set(entry.name, entry);
  }

  /** Written after accounts.json, so a power cut between leaves an entry bound to the old hash: unused. */
  private async writeDigests(next: Map<string, DigestEntry>): Promise<void> {
    try {
      await writeFileAtomic(this.digestFile, serializeDigest([...next.values()], this.now()), { fs: this.deps.fs, mode: 0o600 });
    } catch (err) {
      this.deps.logger.error(`cannot write ${this.digestFile}: ${errorText(err)}; the HA1s are kept until picamd stops`);
    }
    this.digests = next;
  }

  private settle(status: AccountsStatus): AccountsStatus {
    this.currentStatus = status;
    if (status.state === 'ok') this.deps.logger.info(status.message);
    else this.deps.logger.error(status.message);
    return status;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => {});
    return run;
  }
}

function withPassword(name: string, password: string | undefined): { name: string; password: string } | undefined {
  return password === undefined ? undefined : { name, password };
}

/** A user the accounts file could not hold, as `field: message` problems. */
function accountProblems(account: Account): AccountsResult | undefined {
  const parsed = accountSchema.safeParse(account);
  if (parsed.success) return undefined;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(user)'}: ${i.message}`);
  return { ok: false, status: 400, error: 'invalid', message: 'the user was not saved', problems };
}

function refused(status: 404 | 409 | 503, error: AccountsRefusal, message: string): AccountsResult {
  return { ok: false, status, error, message };
}
