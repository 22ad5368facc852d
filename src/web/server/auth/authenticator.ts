import { createHmac, randomBytes } from 'node:crypto';
import { CheckQueue } from './check-queue.js';
import { parseBasicAuthorization } from './headers.js';
import { LoginLimiter } from './limiter.js';
import { parsePasswordHash, verifyPassword, type PasswordHash } from '../../../device/accounts/password.js';
import { SessionStore } from './sessions.js';

// Who is asking: a session cookie, or HTTP Basic credentials checked against the configured users.
// The answer is immediate for a session, for an address that must wait (limiter first) and for
// credentials verified recently; it is a promise when scrypt has to run, which may first wait its
// turn in a small queue shared fairly between addresses (check-queue.ts). Independent of HTTP: the
// caller passes header values in and maps the outcome to a response.

export interface ConfiguredUser {
  name: string;
  passwordHash: string;
}

export interface AuthAttempt {
  /** The Authorization header, or ''. */
  authorization: string;
  /** The session cookie's value, or ''. */
  sessionToken: string;
  /** The rate-limiting key of the client address (see clientKey). */
  client: string;
}

export type AuthOutcome =
  | { kind: 'ok'; user: string; via: 'session' | 'password' }
  /** No credentials at all: answer 401 with a challenge. */
  | { kind: 'missing' }
  /** Wrong user or password; counted against the client. */
  | { kind: 'denied'; user: string; failures: number; delayMs: number }
  /** The client failed too often and must wait. */
  | { kind: 'limited'; retryAfterMs: number; failures: number }
  /** Too many password checks are under way already (for this client or in all). */
  | { kind: 'busy' };

export interface AuthenticatorOptions {
  /** A verified password is remembered this long after its last use, so repeat requests skip scrypt. */
  verifiedTtlMs: number;
  maxVerified: number;
  /** Password checks running at once (each costs 8 MiB and a core for a while); more wait their turn. */
  maxConcurrentChecks: number;
  /** Checks waiting for a free slot, from all clients; beyond this, 'busy'. */
  maxWaitingChecks: number;
  /** Checks running or waiting for one client address (distinct credentials); beyond this, 'busy'. */
  maxChecksPerClient: number;
}

export const DEFAULT_AUTHENTICATOR_OPTIONS: AuthenticatorOptions = {
  verifiedTtlMs: 15 * 60_000,
  maxVerified: 32,
  maxConcurrentChecks: 2,
  maxWaitingChecks: 32,
  maxChecksPerClient: 2,
};

export interface AuthenticatorDeps {
  users: ReadonlyArray<ConfiguredUser>;
  sessions?: SessionStore;
  limiter?: LoginLimiter;
  verify?: (password: string, hash: PasswordHash) => Promise<boolean>;
  random?: (bytes: number) => Buffer;
}

export class Authenticator {
  readonly sessions: SessionStore;
  readonly limiter: LoginLimiter;
  private users: ReadonlyMap<string, PasswordHash>;
  /** Checked against when the user is unknown, so timing does not tell which names exist. */
  private readonly decoy: PasswordHash;
  private readonly verify: (password: string, hash: PasswordHash) => Promise<boolean>;
  private readonly cacheKey: Buffer;
  /** HMAC(user, password) of recently verified credentials → user and last use. */
  private readonly verified = new Map<string, { user: string; usedAt: number }>();
  /** Checks under way, by credentials: a page loading five files at once costs one scrypt run. */
  private readonly pending = new Map<string, Promise<AuthOutcome>>();
  private readonly queue: CheckQueue<AuthOutcome>;
  private readonly options: AuthenticatorOptions;
  /**
   * The latest time a caller passed in: the clock for checks that waited in the queue, which run
   * after the call that brought them returned. At most the queue's wait behind the real time.
   */
  private latestNowMs = -Infinity;

  constructor(deps: AuthenticatorDeps, options: Partial<AuthenticatorOptions> = {}) {
    const random = deps.random ?? randomBytes;
    this.users = usersMap(deps.users);
    const first = this.users.values().next().value;
    if (!first) throw new Error('authentication needs at least one user');
    this.decoy = { ...first, salt: random(first.salt.length), hash: random(first.hash.length) };
    this.sessions = deps.sessions ?? new SessionStore({}, random);
    this.limiter = deps.limiter ?? new LoginLimiter();
    this.verify = deps.verify ?? verifyPassword;
    this.cacheKey = random(32);
    this.options = { ...DEFAULT_AUTHENTICATOR_OPTIONS, ...options };
    this.queue = new CheckQueue<AuthOutcome>(
      { maxRunning: this.options.maxConcurrentChecks, maxWaiting: this.options.maxWaitingChecks, maxPerClient: this.options.maxChecksPerClient },
      (client) => !this.limiter.hasFailures(client, this.latestNowMs),
    );
  }

  get userCount(): number {
    return this.users.size;
  }

  authenticate(attempt: AuthAttempt, nowMs: number): AuthOutcome | Promise<AuthOutcome> {
    if (attempt.sessionToken) {
      const user = this.sessions.lookup(attempt.sessionToken, nowMs);
      if (user !== undefined && this.users.has(user)) return { kind: 'ok', user, via: 'session' };
    }
    const credentials = parseBasicAuthorization(attempt.authorization);
    if (!credentials) return { kind: 'missing' };
    return this.authenticatePassword(credentials.user, credentials.password, attempt.client, nowMs);
  }

  /**
   * A user name and password (HTTP Basic, or the login page's form), with the same limiter, queue
   * and remembered passwords as every other check.
   */
  authenticatePassword(user: string, password: string, client: string, nowMs: number): AuthOutcome | Promise<AuthOutcome> {
    this.latestNowMs = Math.max(this.latestNowMs, nowMs);
    // The limiter comes first: an address that must wait is refused whatever it sends, so it cannot
    // keep guessing at full speed while the right password sits in the cache below.
    const verdict = this.limiter.check(client, nowMs);
    if (!verdict.allowed) return { kind: 'limited', retryAfterMs: verdict.retryAfterMs, failures: verdict.failures };

    const key = createHmac('sha256', this.cacheKey).update(user).update('\0').update(password).digest('base64');
    const known = this.verified.get(key);
    if (known && nowMs - known.usedAt <= this.options.verifiedTtlMs) {
      this.verified.delete(key);
      known.usedAt = nowMs;
      this.verified.set(key, known);
      // The same as a checked success: the address's failures are forgiven.
      this.limiter.succeed(client, nowMs);
      return { kind: 'ok', user, via: 'password' };
    }
    this.verified.delete(key);

    const shared = this.pending.get(key);
    if (shared) return shared;
    const check = this.queue.submit(
      client,
      async () => {
        // The check may have waited: the address may have been told to wait meanwhile.
        const late = this.limiter.check(client, this.latestNowMs);
        if (!late.allowed) return { kind: 'limited', retryAfterMs: late.retryAfterMs, failures: late.failures };
        const hash = this.users.get(user);
        const ok = await this.verify(password, hash ?? this.decoy);
        const now = this.users.get(user);
        const current = hash !== undefined && now !== undefined && now.hash.equals(hash.hash) && now.salt.equals(hash.salt);
        return this.settle(ok && current, key, user, client, this.latestNowMs);
      },
      () => ({ kind: 'busy' }),
    );
    if (!check) return { kind: 'busy' };
    const settled = check.finally(() => this.pending.delete(key));
    this.pending.set(key, settled);
    return settled;
  }

  /** Records one check's result once, however many requests wait for it. */
  private settle(ok: boolean, key: string, user: string, client: string, nowMs: number): AuthOutcome {
    if (ok) {
      this.remember(key, user, nowMs);
      this.limiter.succeed(client, nowMs);
      return { kind: 'ok', user, via: 'password' };
    }
    const { failures, delayMs } = this.limiter.fail(client, nowMs);
    return { kind: 'denied', user, failures, delayMs };
  }

  /**
   * The users changed (accounts): a removed user's sessions end, and so do all sessions of a user
   * whose password changed (a cookie stolen before the change stops working; the page that made it
   * gets a new one). Every remembered password is forgotten, so an old password stops working at
   * once. Checks under way finish against the hash they started with but count only if it is still
   * the user's. Returns the users whose access ended.
   */
  setUsers(users: ReadonlyArray<ConfiguredUser>): string[] {
    const next = usersMap(users);
    if (next.size === 0) throw new Error('authentication needs at least one user');
    const ended: string[] = [];
    for (const [name, hash] of this.users) {
      const now = next.get(name);
      if (now && now.hash.equals(hash.hash) && now.salt.equals(hash.salt)) continue;
      ended.push(name);
      this.sessions.endUser(name);
    }
    this.users = next;
    this.verified.clear();
    this.pending.clear();
    return ended;
  }

  /** The user of a live session token, or '' (never a password check). */
  sessionUser(token: string, nowMs: number): string {
    const user = this.sessions.lookup(token, nowMs);
    return user !== undefined && this.users.has(user) ? user : '';
  }

  /** Ends the session of a cookie's token (logging out); returns whether there was one. */
  endSession(token: string): boolean {
    return this.sessions.end(token);
  }

  /** A session for a user who just logged in with a password; returns the cookie value. */
  createSession(user: string, nowMs: number): string {
    return this.sessions.create(user, nowMs);
  }

  private remember(key: string, user: string, nowMs: number): void {
    for (const [k, v] of this.verified) {
      if (this.verified.size < this.options.maxVerified && nowMs - v.usedAt <= this.options.verifiedTtlMs) break;
      this.verified.delete(k);
    }
    this.verified.set(key, { user, usedAt: nowMs });
  }
}

function usersMap(users: ReadonlyArray<ConfiguredUser>): Map<string, PasswordHash> {
  const map = new Map<string, PasswordHash>();
  for (const user of users) {
    const hash = parsePasswordHash(user.passwordHash);
    // The config schema has checked every hash; this is for callers that skip it.
    if (typeof hash === 'string') throw new Error(`user ${user.name}: ${hash}`);
    map.set(user.name, hash);
  }
  return map;
}
