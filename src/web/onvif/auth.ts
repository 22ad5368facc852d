import { DigestNonces, expectedResponse, parseDigestAuthorization, sameResponse } from '../../formats/digest/http-digest.js';
import type { UsernameToken } from '../../formats/soap/envelope.js';
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
//   UsernameToken    cannot be checked: Base64(SHA1(nonce + created + password)) needs the password
//   PasswordDigest   itself, which picamd does not keep (only a scrypt hash and the HA1). Such a
//                    request gets the HTTP Digest challenge, which clients that support both (the
//                    `onvif` npm client, ONVIF Device Manager, most recorders) answer. See
//                    docs/security.md#onvif.
//
// Every failure counts against the client's address in the one limiter, whichever way it came.

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

export class OnvifAuth {
  private readonly nonces: DigestNonces;

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
    if (/^basic\s/i.test(authorization)) return this.password(authorization, credentials);
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

function refused(status: 400 | 401 | 429 | 503, reason: string, headers: Record<string, string>): AuthResult {
  return { kind: 'refused', status, reason, headers };
}

function limited(retryAfterMs: number): AuthResult {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return refused(429, `Too many failed logins from your address; try again in ${seconds} s.`, { 'Retry-After': String(seconds) });
}
