import { randomInt, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { errorText } from '../../platform/errors.js';
import type { Logger } from '../../platform/log/logger.js';
import { readRegularFile, writeFileAtomic, type SafeFs } from '../../platform/safe-file.js';
import { digestHa1For } from './digest.js';
import { parseJsonDocument } from './json-document.js';
import { userNameSchema } from './rules.js';

// The recorder credential: one user name and a long random password the device makes, for NVRs and
// home automation (Home Assistant's ONVIF integration, UniFi Protect, Synology, Blue Iris), as many
// cameras do. It exists because those clients log in to ONVIF with a WS-Security PasswordDigest,
// Base64(SHA1(nonce + created + password)), which only a device that holds the password itself can
// check; the page's accounts keep scrypt hashes and stay that way. So this one credential is kept in
// plain form, in its own file beside accounts.json (recorder.json, 0600, written atomically):
//   {"format": 1, "savedAt": "<ISO time>", "user": "recorder", "password": "<20 random characters>"}
// and it has viewer rights only: the RTSP stream and ONVIF's read-only calls. It is not an account:
// the page's login (and so its settings, users and privacy API) never accepts it.
//
// Off by default: the file exists only while the owner has turned it on (POST /api/recorder), and
// turning it off removes it. A file that exists but cannot be read or is not ours is 'damaged': no
// recorder login at all until the owner turns it on again (a new password) or off. A name that is
// also an account's is refused when set, and if an account of that name appears later the recorder
// login stops ('conflict') rather than shadow or be shadowed by the account.
// Trade-off and advice: docs/security.md#onvif.

export const RECORDER_FORMAT = 1;
export const DEFAULT_RECORDER_USER = 'recorder';
/** 20 characters of 62: about 119 bits, and short and plain enough for every recorder's form. */
export const RECORDER_PASSWORD_LENGTH = 20;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const MAX_FILE_BYTES = 4096;

export interface RecorderLogin {
  user: string;
  password: string;
}

export type RecorderStatus =
  | { state: 'off' }
  | { state: 'on'; user: string; password: string }
  /** An account has the same name: no recorder login until one of them is renamed or removed. */
  | { state: 'conflict'; user: string; message: string }
  | { state: 'damaged'; message: string };

/** recorder.json beside accounts.json. */
export function recorderFileFor(accountsFile: string): string {
  return join(dirname(accountsFile), 'recorder.json');
}

/** A new password from the CSPRNG (randomInt is uniform: no modulo bias). */
export function newRecorderPassword(pick: (max: number) => number = randomInt): string {
  let out = '';
  for (let i = 0; i < RECORDER_PASSWORD_LENGTH; i++) out += ALPHABET[pick(ALPHABET.length)];
  return out;
}

/** The recorder's name: an account name's rules, at most 32 characters (some recorders' forms stop there). */
export const recorderUserSchema = userNameSchema.max(32);

const documentSchema = z.strictObject({
  format: z.literal(RECORDER_FORMAT),
  savedAt: z.string().optional(),
  user: recorderUserSchema,
  password: z.string().regex(/^[A-Za-z0-9]{16,64}$/),
});

export function parseRecorderText(text: string): { ok: true; login: RecorderLogin } | { ok: false; reason: string } {
  const parsed = parseJsonDocument(text, documentSchema, 'a recorder credential');
  if (!parsed.ok) return parsed;
  return { ok: true, login: { user: parsed.doc.user, password: parsed.doc.password } };
}

export function serializeRecorder(login: RecorderLogin, now: Date): string {
  return `${JSON.stringify({ format: RECORDER_FORMAT, savedAt: now.toISOString(), user: login.user, password: login.password }, null, 2)}\n`;
}

/** Constant-time comparison of two passwords (their UTF-8 bytes). */
export function samePassword(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface RecorderCredentialDeps {
  file: string;
  /** Whether an account (the page's, or the config file's) has this name. */
  isAccount: (name: string) => boolean;
  logger: Logger;
  fs?: SafeFs;
  now?: () => Date;
  newPassword?: () => string;
}

export type RecorderChange = { ok: true; status: RecorderStatus } | { ok: false; status: 400 | 409 | 500; message: string };

export interface RecorderEvents {
  /** Rotated or turned off: `ended` is the name whose old password stopped (its connections should end). */
  change: [ended: string[]];
}

/** The sole reader and writer of recorder.json. */
export class RecorderCredential extends EventEmitter<RecorderEvents> {
  private current: { kind: 'off' } | { kind: 'on'; login: RecorderLogin } | { kind: 'damaged'; message: string } = { kind: 'off' };
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: RecorderCredentialDeps) {
    super();
  }

  /** Reads recorder.json: missing is off; anything else unusable is damaged (no recorder login). */
  async load(): Promise<void> {
    const { deps } = this;
    const read = await readRegularFile(deps.file, MAX_FILE_BYTES, { fs: deps.fs });
    if (!read.ok) {
      this.current = read.reason === 'missing' ? { kind: 'off' } : { kind: 'damaged', message: read.message };
    } else {
      const parsed = parseRecorderText(read.data.toString('utf8'));
      this.current = parsed.ok ? { kind: 'on', login: parsed.login } : { kind: 'damaged', message: `${deps.file}: ${parsed.reason}` };
    }
    if (this.current.kind === 'damaged') deps.logger.error(`recorder credential unusable, no recorder login until the owner turns it on again or off: ${this.current.message}`);
    else if (this.current.kind === 'on') deps.logger.info(`recorder credential on for "${this.current.login.user}" (viewer rights: RTSP and ONVIF)`);
  }

  status(): RecorderStatus {
    const c = this.current;
    if (c.kind === 'off') return { state: 'off' };
    if (c.kind === 'damaged') return { state: 'damaged', message: `The recorder credential's file cannot be used (${c.message}); turn the recorder login on again for a new password, or off.` };
    if (this.deps.isAccount(c.login.user)) return { state: 'conflict', user: c.login.user, message: `An account is also called "${c.login.user}": the recorder login is off until the recorder gets another name.` };
    return { state: 'on', user: c.login.user, password: c.login.password };
  }

  /** The credential that logs in now, or undefined (off, damaged, or a name an account took). */
  login(): RecorderLogin | undefined {
    const s = this.status();
    return s.state === 'on' ? { user: s.user, password: s.password } : undefined;
  }

  /** Whether `user` and `password` are the recorder's (constant time on the password). */
  matches(user: string, password: string): boolean {
    const login = this.login();
    return login !== undefined && login.user === user && samePassword(login.password, password);
  }

  /** The recorder's HA1 for HTTP and RTSP Digest, when `user` is the recorder. */
  digestHa1(user: string): string | undefined {
    const login = this.login();
    return login && login.user === user ? digestHa1For(login.user, login.password) : undefined;
  }

  /** Turns it on with a new password (a name, or the current one, or `recorder`); on again = rotate. */
  enable(user?: string): Promise<RecorderChange> {
    return this.exclusive(async () => {
      const c = this.current;
      const name = user ?? (c.kind === 'on' ? c.login.user : DEFAULT_RECORDER_USER);
      const valid = recorderUserSchema.safeParse(name);
      if (!valid.success) return { ok: false, status: 400, message: `user: ${valid.error.issues[0]?.message ?? 'invalid'}` };
      if (this.deps.isAccount(name)) return { ok: false, status: 409, message: `An account is already called "${name}"; choose another name for the recorder.` };
      const login = { user: name, password: (this.deps.newPassword ?? newRecorderPassword)() };
      try {
        await writeFileAtomic(this.deps.file, serializeRecorder(login, (this.deps.now ?? (() => new Date()))()), { fs: this.deps.fs, mode: 0o600 });
      } catch (err) {
        this.deps.logger.error(`cannot write ${this.deps.file}: ${errorText(err)}; the recorder credential is unchanged`);
        return { ok: false, status: 500, message: 'The recorder credential could not be saved; see the device log.' };
      }
      const rotated = c.kind === 'on';
      this.current = { kind: 'on', login };
      this.deps.logger.info(`recorder credential ${rotated ? 'rotated' : 'on'} for "${name}"`);
      this.emit('change', rotated ? [c.login.user] : []);
      return { ok: true, status: this.status() };
    });
  }

  /** A new password for the same name; refused while it is off. */
  rotate(): Promise<RecorderChange> {
    if (this.current.kind !== 'on') return Promise.resolve({ ok: false, status: 409, message: 'The recorder login is off: turn it on first.' });
    return this.enable();
  }

  /** Off: the file is removed, so nothing of the password stays on the card. */
  disable(): Promise<RecorderChange> {
    return this.exclusive(async () => {
      try {
        await rm(this.deps.file, { force: true });
      } catch (err) {
        this.deps.logger.error(`cannot remove ${this.deps.file}: ${errorText(err)}`);
        return { ok: false, status: 500, message: 'The recorder credential could not be removed; see the device log.' };
      }
      const was = this.current;
      this.current = { kind: 'off' };
      if (was.kind !== 'off') this.deps.logger.info('recorder credential off');
      this.emit('change', was.kind === 'on' ? [was.login.user] : []);
      return { ok: true, status: this.status() };
    });
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** The accounts' login side as RTSP uses it. */
export interface PasswordAccounts {
  readonly locked: boolean;
  digestHa1(name: string): string | undefined;
  checkPassword(name: string, password: string): Promise<boolean>;
}

/** The accounts with the recorder beside them, for RTSP's Digest and Basic (it only streams there). */
export function withRecorder(accounts: PasswordAccounts, recorder: RecorderCredential): PasswordAccounts {
  return {
    get locked() {
      return accounts.locked;
    },
    digestHa1: (name) => recorder.digestHa1(name) ?? accounts.digestHa1(name),
    checkPassword: (name, password) => (recorder.login()?.user === name ? Promise.resolve(recorder.matches(name, password)) : accounts.checkPassword(name, password)),
  };
}
