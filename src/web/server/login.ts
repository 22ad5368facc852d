import type { Authenticator, AuthOutcome } from './auth/authenticator.js';
import { clientKey, cookieValue, loggableName, parseBasicAuthorization } from './auth/headers.js';
import { escapeForLog } from '../../platform/log/escape.js';
import type { Logger } from '../../platform/log/logger.js';
import type { Now } from '../../platform/clock.js';
import { isPageLoad } from './origin.js';
import type { Request } from './request.js';
import { problem, type Response } from './response.js';

// The login step of the request path: HTTP Basic, so <img>, ffmpeg, VLC, Home Assistant and go2rtc
// work with http://user:pass@host/stream.mjpg. A browser that loads the page with Basic credentials
// also gets a session cookie (HttpOnly, SameSite=Strict), which then carries the stream, the API and
// the WebSocket. A password check runs scrypt off the event loop, so the answer may be a promise.
// A browser that opens the page with no credentials at all is sent to the login page (/login,
// routes/login.ts), which makes the same session with a form.

export const SESSION_COOKIE = 'picamd_session';
export const REALM = 'picamd';

/** Let in: who, and the session cookie to set on this response when the login made one. */
export interface Admitted {
  user: string;
  setCookie?: string;
}

export interface LoginDeps {
  authenticator: Authenticator;
  logger: Logger;
  now: Now;
  /** HTTPS: the session cookie gets Secure. */
  secure: boolean;
}

/** Admitted, or the refusal to send; a promise while a password is checked. */
export function login(req: Request, deps: LoginDeps): Admitted | Response | Promise<Admitted | Response> {
  const outcome = deps.authenticator.authenticate(
    {
      authorization: req.headers.authorization,
      sessionToken: cookieValue(req.headers.cookie, SESSION_COOKIE),
      client: clientKey(req.remote),
    },
    deps.now(),
  );
  if (!(outcome instanceof Promise)) return decide(outcome, req, deps);
  return outcome.then((result) => {
    if (result.kind === 'ok') deps.logger.info(`${escapeForLog(result.user, 64)} logged in from ${req.remote}`);
    return decide(result, req, deps);
  });
}

/**
 * The recorder credential (device/accounts/recorder.ts: viewer rights) by HTTP Basic, on the routes
 * that take it: the snapshot ONVIF's GetSnapshotUri names, which a recorder fetches with the login
 * it uses for ONVIF and RTSP. Undefined when the request does not carry it, or its address must
 * wait: the ordinary login then decides (a wrong password is refused and counted like any other).
 */
export function recorderAdmitted(req: Request, deps: LoginDeps, matches: (user: string, password: string) => boolean): Admitted | undefined {
  const credentials = parseBasicAuthorization(req.headers.authorization);
  if (!credentials) return undefined;
  const client = clientKey(req.remote);
  const now = deps.now();
  if (!deps.authenticator.limiter.check(client, now).allowed || !matches(credentials.user, credentials.password)) return undefined;
  deps.authenticator.limiter.succeed(client, now);
  return { user: '' };
}

/**
 * Who a request's session cookie belongs to, or '' (no cookie, or not a live session): for routes
 * anyone may use (open viewing), so the page still learns who is logged in and a user's stream
 * still ends with their access. Never a challenge, never a password check.
 */
export function sessionUser(req: Request, deps: Pick<LoginDeps, 'authenticator' | 'now'>): string {
  const token = cookieValue(req.headers.cookie, SESSION_COOKIE);
  return token ? deps.authenticator.sessionUser(token, deps.now()) : '';
}

/** The Set-Cookie value of a new session for `user`. */
export function sessionCookie(deps: Pick<LoginDeps, 'authenticator' | 'now' | 'secure'>, user: string): string {
  const token = deps.authenticator.createSession(user, deps.now());
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict${deps.secure ? '; Secure' : ''}`;
}

function decide(outcome: AuthOutcome, req: Request, deps: LoginDeps): Admitted | Response {
  switch (outcome.kind) {
    case 'ok':
      return outcome.via === 'password' && isPageLoad(req)
        ? { user: outcome.user, setCookie: sessionCookie(deps, outcome.user) }
        : { user: outcome.user };
    case 'missing':
      if (isPageLoad(req) && req.path === '/' && req.query.size === 0) return toLoginPage();
      // The page's own requests (a session that ended): no challenge, or the browser would show its
      // login dialog over the page; the page goes to its login page instead.
      if (req.headers['sec-fetch-site'] === 'same-origin' && req.headers['sec-fetch-dest'] === 'empty') {
        return problem(401, 'login-required', 'Log in again: the session has ended.');
      }
      return challenge('This camera needs a user name and password.');
    case 'denied': {
      const wait = outcome.delayMs > 0 ? `; next try allowed in ${Math.ceil(outcome.delayMs / 1000)} s` : '';
      deps.logger.warn(`failed login as ${loggableName(outcome.user)} from ${req.remote} (${outcome.failures} in a row${wait})`);
      return challenge('Wrong user name or password.');
    }
    case 'limited': {
      const seconds = Math.max(1, Math.ceil(outcome.retryAfterMs / 1000));
      deps.logger.debug(`login from ${req.remote} refused: ${outcome.failures} failures, ${seconds} s to wait`);
      return problem(429, 'too-many-failures', `Too many failed logins from your address; try again in ${seconds} s.`, {
        'Retry-After': String(seconds),
      });
    }
    case 'busy':
      return problem(503, 'busy', 'Checking other logins; try again in a moment.', { 'Retry-After': '1' });
  }
}

/** Where a browser that opens the page without a login goes. */
export const LOGIN_PAGE = '/login';

/**
 * The page opened without credentials: the login page, not the browser's Basic dialog. Tools send
 * credentials (or answer the challenge every other URL gives) and never get here.
 */
function toLoginPage(): Response {
  return { status: 303, headers: { Location: LOGIN_PAGE, 'Cache-Control': 'no-store' }, body: '' };
}

/** The Set-Cookie value that removes the session cookie (logging out). */
export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

function challenge(message: string): Response {
  return problem(401, 'unauthorized', message, { 'WWW-Authenticate': `Basic realm="${REALM}", charset="UTF-8"` });
}
