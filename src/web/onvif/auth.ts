import { DigestNonces, expectedResponse, parseDigestAuthorization, sameResponse } from '../../formats/digest/http-digest.js';
import type { UsernameToken } from '../../formats/soap/envelope.js';
import { parseCreated, samePasswordDigest, TokenReplayWindow } from '../../formats/soap/ws-security.js';
import { decodeUtf8Strict } from '../../formats/utf8.js';
import { samePassword, type RecorderLogin } from '../../device/accounts/recorder.js';
import type { Role } from '../../device/accounts/rules.js';
import type { Logger } from '../../platform/log/logger.js';
import type { Now } from '../../platform/clock.js';
import type { Authenticator, AuthOutcome } from '../server/auth/authenticator.js';
import { clientKey, loggableName } from '../server/auth/headers.js';
import type { LoginLimiter } from '../server/auth/limiter.js';

// Who is asking, for the ONVIF services, with the accounts and the login limiter of the page:
//
//   HTTP Digest      against each user's stored HA1 = MD5(user:realm:password) (ONVIF Core requires
//                    devices to support it), with the RTSP server's helpers (formats/digest); nonces
//                    are stateless, signed, 5 minutes long.
//   HTTP Basic and   the page's own check (scrypt, its queue and cache) through the Authenticator.
//   UsernameToken
//   PasswordText
//   UsernameToken    Base64(SHA1(nonce + created + password)) needs the password itself: checked
//   PasswordDigest   for the recorder credential only (device/accounts/recorder.ts, kept in plain
//                    form, viewer rights), with a Created within 5 minutes of the device's clock and
//                    a nonce not seen in that window. For any other name picamd has no password to
//                    check it against (scrypt hashes and HA1 only): the HTTP Digest challenge, which
//                    clients that support both (the `onvif` npm client, ONVIF Device Manager) answer.
//                    See docs/security.md#onvif.
//
// The recorder credential is also taken by HTTP Digest (its HA1, through `digest`), Basic and
// PasswordText, always as a viewer. Every failure counts against the client's address in the one
// limiter, whichever way it came.

/** Where the stored Digest HA1 of each user comes from (the accounts). */
export interface DigestSource {
  /** The realm the HA1 were made with. */
  realm: string;
  /** The user's HA1 (hex), or undefined: unknown user, or none stored yet (set before HA1 were kept). */
  ha1(user: string): string | undefined;
}

export interface OnvifAuthDeps {
  /** The page's authenticator (undefined: no users yet). Read per request. */
  authenticator: () => Authenticator | undefined;
  /** Without it, HTTP Digest is not offered. */
  digest?: () => DigestSource | undefined;
  /** The device's one failed-login limiter (the page's and RTSP's too). */
  limiter: LoginLimiter;
  roleOf: (user: string) => Role | undefined;
  logger: Logger;
  now: Now;
  /** The Digest nonces' key; random per start by default (tests pass a fixed one). */
  random?: (bytes: number) => Buffer;
  /** The recorder credential while it logs in (read per request); undefined: none. */
  recorder?: () => RecorderLogin | undefined;
  /** The wall clock (ms since the epoch), for a token's Created; Date.now by default. */
  wallClock?: () => number;
}

export type AuthResult =
  | { kind: 'user'; user: string; role: Role }
  /** No credentials at all. */
  | { kind: 'anonymous' }
  | { kind: 'refused'; status: 400 | 401 | 429 | 503; reason: string; headers: Record<string, string> };

export interface Credentials {
  authorization: string;
  token: UsernameToken | undefined;
  method: string;
  /** The request's path: a Digest answer must be for it. */
  path: string;
  remote: string;
}

const NONCE_MAX_AGE_MS = 5 * 60_000;
/** How far a token's Created may be from the device's clock (either way), and how long its nonce is kept. */
const TOKEN_WINDOW_MS = 5 * 60_000;

export class OnvifAuth {
  private readonly nonces: DigestNonces;
  /** The nonces of the recorder's accepted PasswordDigest tokens, for 5 minutes (WS-Security's replay advice). */
  private readonly tokens = new TokenReplayWindow(TOKEN_WINDOW_MS);

  constructor(private readonly deps: OnvifAuthDeps) {
    this.nonces = new DigestNonces(NONCE_MAX_AGE_MS, deps.random);
  }

  /** The challenge headers for a 401: Digest when HA1 are kept, else Basic. */
  challenge(stale = false): Record<string, string> {
    const digest = this.deps.digest?.();
    if (digest) {
      // HTTP has no connection to bind a nonce to (a client may open a new one per request): 0 for all.
      const nonce = this.nonces.issue(0, this.deps.now());
      return { 'WWW-Authenticate': `Digest realm="${digest.realm}", qop="auth", algorithm=MD5, nonce="${nonce}"${stale ? ', stale=true' : ''}` };
    }
    return { 'WWW-Authenticate': 'Basic realm="picamd", charset="UTF-8"' };
  }

  identify(credentials: Credentials): AuthResult | Promise<AuthResult> {
    const { authorization, token } = credentials;
    if (/^digest\s/i.test(authorization)) return this.digest(credentials);
    if (/^basic\s/i.test(authorization)) {
      const basic = parseBasic(authorization);
      if (basic && this.isRecorder(basic.user)) return this.recorderPassword(basic.user, basic.password, credentials);
      return this.password(authorization, credentials);
    }
    if (token && this.isRecorder(token.user)) {
      return token.kind === 'text' ? this.recorderPassword(token.user, token.password, credentials) : this.recorderDigest(token, credentials);
    }
    if (token?.kind === 'text') {
      return this.password(`Basic ${Buffer.from(`${token.user}:${token.password}`).toString('base64')}`, credentials);
    }
    if (token?.kind === 'digest') {
      // Not a failed login: nothing was checked. The client is told how it can log in.
      this.deps.logger.debug(`UsernameToken PasswordDigest from ${credentials.remote} for ${loggableName(token.user)}: answered with the HTTP Digest challenge`);
      return refused(401, 'A UsernameToken PasswordDigest cannot be checked by this camera; use HTTP Digest (or PasswordText over HTTPS).', this.challenge());
    }
    return { kind: 'anonymous' };
  }

  private isRecorder(user: string): boolean {
    return this.deps.recorder?.()?.user === user;
  }

  /** Basic or PasswordText with the recorder's name: the plain password, compared in constant time. */
  private recorderPassword(user: string, password: string, credentials: Credentials): AuthResult {
    return this.recorderVerdict(credentials, user, (login) => (samePassword(login.password, password) ? 'ok' : 'wrong'));
  }

  /** A PasswordDigest token with the recorder's name (UsernameToken Profile 1.0, 3.1 and 3.2). */
  private recorderDigest(token: UsernameToken, credentials: Credentials): AuthResult {
    return this.recorderVerdict(credentials, token.user, (login) => {
      // Without a nonce and a Created nothing stops a replay: refused, as a wrong password would be.
      if (token.nonce.length < 8 || token.created === '') return 'wrong';
      if (!samePasswordDigest(token.password, token.nonce, token.created, login.password)) return 'wrong';
      const verdict = this.tokens.admit(token.nonce, parseCreated(token.created), (this.deps.wallClock ?? Date.now)());
      return verdict === 'fresh' ? 'ok' : verdict;
    });
  }

  private recorderVerdict(credentials: Credentials, user: string, check: (login: RecorderLogin) => 'ok' | 'wrong' | 'stale' | 'replayed' | 'full'): AuthResult {
    const login = this.deps.recorder?.();
    const client = clientKey(credentials.remote);
    const now = this.deps.now();
    const verdict = this.deps.limiter.check(client, now);
    if (!verdict.allowed) return limited(verdict.retryAfterMs);
    const result = login && login.user === user ? check(login) : 'wrong';
    if (result === 'ok') {
      this.deps.limiter.succeed(client, now);
      return { kind: 'user', user, role: 'viewer' };
    }
    // The password was right: a clock that is off, or a busy recorder, is not a guess.
    if (result === 'stale') {
      this.deps.logger.warn(`ONVIF token of ${loggableName(user)} from ${credentials.remote} refused: its Created is more than ${TOKEN_WINDOW_MS / 60_000} minutes off this camera's clock`);
      return refused(401, "The token's Created time is more than 5 minutes off this camera's clock (see GetSystemDateAndTime).", this.challenge());
    }
    if (result === 'full') return refused(503, 'Too many logins of the recorder at once; try again in a moment.', { 'Retry-After': '5' });
    const { failures, delayMs } = this.deps.limiter.fail(client, now);
    this.logFailure(user, credentials.remote, failures, delayMs);
    return refused(401, result === 'replayed' ? 'This token was already used (a replayed nonce).' : 'Wrong user name or password.', this.challenge());
  }

  private digest(credentials: Credentials): AuthResult {
    const source = this.deps.digest?.();
    const limiter = this.deps.limiter;
    if (!source) return refused(401, 'HTTP Digest is not available on this camera yet.', this.challenge());
    const client = clientKey(credentials.remote);
    const now = this.deps.now();
    const verdict = limiter.check(client, now);
    if (!verdict.allowed) return limited(verdict.retryAfterMs);
    const parsed = parseDigestAuthorization(credentials.authorization);
    if (!parsed || parsed.uri.split('?')[0] !== credentials.path) return refused(400, 'Malformed Digest credentials, or for another URI.', {});
    const nonce = this.nonces.check(parsed.nonce, 0, now);
    // A nonce of an earlier start or an old one: ask again, without counting a failure.
    if (nonce !== 'valid') return refused(401, 'The Digest nonce has expired; retry with the new one.', this.challenge(nonce === 'stale'));
    const ha1 = parsed.realm === source.realm ? source.ha1(parsed.username) : undefined;
    // An unknown user costs the same MD5 work as a known one.
    const md5 = parsed.algorithm === undefined || parsed.algorithm.toUpperCase() === 'MD5';
    const qopOk = parsed.qop === undefined || (parsed.qop === 'auth' && parsed.nc !== undefined && parsed.cnonce !== undefined);
    const matches = sameResponse(expectedResponse(ha1 ?? '0'.repeat(32), credentials.method.toUpperCase(), parsed), parsed.response);
    const ok = md5 && qopOk && matches && ha1 !== undefined;
    const role = ok ? this.deps.roleOf(parsed.username) : undefined;
    if (ok && role) {
      limiter.succeed(client, now);
      return { kind: 'user', user: parsed.username, role };
    }
    const { failures, delayMs } = limiter.fail(client, now);
    this.logFailure(parsed.username, credentials.remote, failures, delayMs);
    return refused(401, 'Wrong user name or password.', this.challenge());
  }

  private password(authorization: string, credentials: Credentials): AuthResult | Promise<AuthResult> {
    const authenticator = this.deps.authenticator();
    if (!authenticator) return refused(503, 'This camera is not set up yet.', {});
    const outcome = authenticator.authenticate({ authorization, sessionToken: '', client: clientKey(credentials.remote) }, this.deps.now());
    const decide = (o: AuthOutcome): AuthResult => {
      switch (o.kind) {
        case 'ok': {
          const role = this.deps.roleOf(o.user);
          return role ? { kind: 'user', user: o.user, role } : refused(401, 'Wrong user name or password.', this.challenge());
        }
        case 'missing':
          return refused(400, 'Malformed credentials.', {});
        case 'denied':
          this.logFailure(o.user, credentials.remote, o.failures, o.delayMs);
          return refused(401, 'Wrong user name or password.', this.challenge());
        case 'limited':
          return limited(o.retryAfterMs);
        case 'busy':
          return refused(503, 'Checking other logins; try again in a moment.', { 'Retry-After': '1' });
      }
    };
    return outcome instanceof Promise ? outcome.then(decide) : decide(outcome);
  }

  private logFailure(user: string, remote: string, failures: number, delayMs: number): void {
    const wait = delayMs > 0 ? `; next try allowed in ${Math.ceil(delayMs / 1000)} s` : '';
    this.deps.logger.warn(`failed ONVIF login as ${loggableName(user)} from ${remote} (${failures} in a row${wait})`);
  }
}

/** `Authorization: Basic base64(user:password)` (UTF-8), or undefined. */
function parseBasic(header: string): { user: string; password: string } | undefined {
  const m = /^basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(header);
  const text = m && header.length <= 1024 ? decodeUtf8Strict(Buffer.from(m[1]!, 'base64')) : undefined;
  const colon = text?.indexOf(':') ?? -1;
  return text !== undefined && colon >= 0 ? { user: text.slice(0, colon), password: text.slice(colon + 1) } : undefined;
}

function refused(status: 400 | 401 | 429 | 503, reason: string, headers: Record<string, string>): AuthResult {
  return { kind: 'refused', status, reason, headers };
}

function limited(retryAfterMs: number): AuthResult {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return refused(429, `Too many failed logins from your address; try again in ${seconds} s.`, { 'Retry-After': String(seconds) });
}
