import { decodeUtf8Strict } from '../../formats/utf8.js';
import { DIGEST_REALM } from '../../device/accounts/digest.js';
import { escapeForLog } from '../../platform/log/escape.js';
import type { Logger } from '../../platform/log/logger.js';
import { DigestNonces, expectedResponse, parseDigestAuthorization, sameResponse } from '../../formats/digest/http-digest.js';
import { randomBytes } from 'node:crypto';

// Who an RTSP request comes from: the page's accounts, through Digest (the HA1 the accounts keep) or
// Basic when a client sends it unasked (checked with scrypt, like the page's login, which also gives
// the user an HA1). The failed-login limiter is the page's own (one count per address, whichever way
// the guesses come). Open viewing lets anyone watch; before the device has an owner, or while its
// accounts are locked, nothing is served. The challenge offers Digest only: a client that would take
// Basic from it would send the password in the clear on every request.

/** The failed-login limiter's side RTSP uses (the page's LoginLimiter). */
export interface LoginAttempts {
  check(key: string, nowMs: number): { allowed: true } | { allowed: false; retryAfterMs: number; failures: number };
  fail(key: string, nowMs: number): { failures: number; delayMs: number };
  succeed(key: string, nowMs?: number): void;
}

/** The accounts' side RTSP uses (AccountsStore). */
export interface RtspAccounts {
  readonly locked: boolean;
  digestHa1(name: string): string | undefined;
  checkPassword(name: string, password: string): Promise<boolean>;
}

export interface RtspLoginDeps {
  accounts: RtspAccounts;
  /** The device has an owner, or open viewing was chosen at the first run. */
  claimed: () => boolean;
  openViewing: () => boolean;
  limiter: LoginAttempts;
  /** The limiter's key of an address (the page's clientKey). */
  clientKey: (address: string) => string;
  now: () => number;
  logger: Logger;
  /** How long a nonce is good for; a client with an older one is told it is stale and retries. */
  nonceLifetimeMs?: number;
  /** Password checks (scrypt) at once over all RTSP connections. */
  maxChecks?: number;
  random?: (bytes: number) => Buffer;
}

export type LoginOutcome =
  | { kind: 'ok'; user: string }
  /** 401 with this challenge. */
  | { kind: 'challenge'; header: string }
  /** 503: not set up, locked, the address must wait, or too many checks under way. */
  | { kind: 'unavailable'; message: string; retryAfterS?: number };

/** What one connection remembers of its logins. */
export interface ConnectionLogin {
  readonly id: number;
  readonly remote: string;
  /** A Basic header already checked on this connection and its user: no second scrypt run. */
  basic?: { header: string; user: string };
  /** A Basic check is under way for this connection. */
  checking?: boolean;
}

export class RtspLogin {
  private readonly nonces: DigestNonces;
  private checks = 0;

  constructor(private readonly deps: RtspLoginDeps) {
    this.nonces = new DigestNonces(deps.nonceLifetimeMs ?? 10 * 60_000, deps.random ?? randomBytes);
  }

  authenticate(conn: ConnectionLogin, method: string, authorization: string | undefined): LoginOutcome | Promise<LoginOutcome> {
    const { deps } = this;
    if (deps.accounts.locked) return { kind: 'unavailable', message: 'the accounts file cannot be used: this camera is locked (see its page)' };
    if (!deps.claimed()) return { kind: 'unavailable', message: 'this camera is not set up yet: open its page to choose the owner' };
    if (deps.openViewing()) return { kind: 'ok', user: '' };
    if (!authorization) return this.challenge(conn, false);
    const client = deps.clientKey(conn.remote);
    const now = deps.now();
    // The limiter first: an address that must wait is refused whatever it sends (as on the page).
    const verdict = deps.limiter.check(client, now);
    if (!verdict.allowed) {
      const seconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
      deps.logger.debug(`login from ${conn.remote} refused: ${verdict.failures} failures, ${seconds} s to wait`);
      return { kind: 'unavailable', message: `too many failed logins from your address; try again in ${seconds} s`, retryAfterS: seconds };
    }
    if (conn.basic && conn.basic.header === authorization) return { kind: 'ok', user: conn.basic.user };
    const digest = parseDigestAuthorization(authorization);
    if (digest) {
      if (digest.realm !== DIGEST_REALM || (digest.algorithm !== undefined && digest.algorithm.toUpperCase() !== 'MD5')) return this.challenge(conn, false);
      const nonce = this.nonces.check(digest.nonce, conn.id, now);
      if (nonce === 'stale') return this.challenge(conn, true);
      if (nonce === 'invalid') return this.challenge(conn, false);
      const ha1 = deps.accounts.digestHa1(digest.username);
      // Computed for an unknown user too, against nothing that can match: the same work either way.
      const expected = expectedResponse(ha1 ?? '-', method, digest);
      if (ha1 !== undefined && sameResponse(expected, digest.response)) {
        deps.limiter.succeed(client, now);
        return { kind: 'ok', user: digest.username };
      }
      this.failed(conn, client, digest.username, ha1 === undefined);
      return this.challenge(conn, false);
    }
    const basic = parseBasic(authorization);
    if (!basic) return this.challenge(conn, false);
    const max = deps.maxChecks ?? 2;
    if (conn.checking || this.checks >= max) return { kind: 'unavailable', message: 'checking other logins; try again in a moment', retryAfterS: 1 };
    conn.checking = true;
    this.checks++;
    return deps.accounts
      .checkPassword(basic.user, basic.password)
      .catch(() => false)
      .then((ok): LoginOutcome => {
        const later = deps.now();
        if (ok) {
          deps.limiter.succeed(client, later);
          conn.basic = { header: authorization, user: basic.user };
          deps.logger.info(`${escapeForLog(basic.user, 64)} logged in from ${conn.remote} (Basic)`);
          return { kind: 'ok', user: basic.user };
        }
        this.failed(conn, client, basic.user, false);
        return this.challenge(conn, false);
      })
      .finally(() => {
        conn.checking = false;
        this.checks--;
      });
  }

  private failed(conn: ConnectionLogin, client: string, user: string, noHa1: boolean): void {
    const { failures, delayMs } = this.deps.limiter.fail(client, this.deps.now());
    const wait = delayMs > 0 ? `; next try allowed in ${Math.ceil(delayMs / 1000)} s` : '';
    const hint = noHa1 ? ' (no Digest credential for this name: an unknown user, or one who has not logged in on the page since picamd kept them; log in on the page once, or set the password again)' : '';
    this.deps.logger.warn(`failed login as "${escapeForLog(user, 64)}" from ${conn.remote} (${failures} in a row${wait})${hint}`);
  }

  private challenge(conn: ConnectionLogin, stale: boolean): LoginOutcome {
    const nonce = this.nonces.issue(conn.id, this.deps.now());
    return { kind: 'challenge', header: `Digest realm="${DIGEST_REALM}", nonce="${nonce}", algorithm=MD5${stale ? ', stale=TRUE' : ''}` };
  }
}

/** `Authorization: Basic base64(user:password)`, UTF-8; undefined otherwise. */
function parseBasic(header: string): { user: string; password: string } | undefined {
  if (header.length > 1024) return undefined;
  const m = /^basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(header);
  if (!m) return undefined;
  const text = decodeUtf8Strict(Buffer.from(m[1]!, 'base64'));
  const colon = text?.indexOf(':') ?? -1;
  if (text === undefined || colon < 0) return undefined;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}
