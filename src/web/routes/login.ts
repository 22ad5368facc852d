import type { Authenticator } from '../server/auth/authenticator.js';
import { clientKey, cookieValue, loggableName } from '../server/auth/headers.js';
import { invalid, jsonObjectBody, stringField, unknownKeys } from '../server/json-body.js';
import { clearedSessionCookie, SESSION_COOKIE, sessionCookie } from '../server/login.js';
import { escapeForLog } from '../../platform/log/escape.js';
import type { Logger } from '../../platform/log/logger.js';
import type { Now } from '../../platform/clock.js';
import type { Request } from '../server/request.js';
import { json, problem, type Response } from '../server/response.js';
import type { Router } from '../server/router.js';

// The login page's API. POST /api/login takes a user name and password as a form would and answers
// with the same session cookie a Basic login on the page gets, through the same limiter and check
// queue (a wrong password counts, a burst waits). POST /api/logout ends the session its cookie
// names on the device, so the cookie is worthless from then on, even to someone who copied it.
// Both are public (a login cannot need one) and, as every state change, only from the device's own
// page (the router's origin step).

export interface LoginRouteDeps {
  /** undefined while nobody may log in (no owner yet). */
  authenticator: () => Authenticator | undefined;
  logger: Logger;
  now: Now;
  /** HTTPS: the cookie gets Secure. */
  secure: () => boolean;
}

export function loginRoutes(deps: LoginRouteDeps) {
  return (router: Router): void => {
    router.post('/api/login', (req) => logIn(req, deps), { public: true, body: true });
    router.post('/api/logout', (req) => logOut(req, deps), { public: true });
  };
}

async function logIn(req: Request, deps: LoginRouteDeps): Promise<Response> {
  const body = jsonObjectBody(req);
  if (!body.ok) return body.response;
  const problems = unknownKeys(body.value, ['user', 'password']);
  const user = stringField(body.value, 'user', problems);
  const password = stringField(body.value, 'password', problems);
  if (problems.length > 0) return invalid(problems);
  const authenticator = deps.authenticator();
  if (!authenticator) return problem(409, 'not-set-up', 'Nobody owns this camera yet: set it up first.');
  const secure = deps.secure() || req.scheme === 'https:';
  const outcome = await authenticator.authenticatePassword(user, password, clientKey(req.remote), deps.now());
  switch (outcome.kind) {
    case 'ok':
      deps.logger.info(`${escapeForLog(outcome.user, 64)} logged in from ${req.remote} (login page)`);
      return json(200, { user: outcome.user }, { 'Set-Cookie': sessionCookie({ authenticator, now: deps.now, secure }, outcome.user) });
    case 'denied': {
      const wait = outcome.delayMs > 0 ? `; next try allowed in ${Math.ceil(outcome.delayMs / 1000)} s` : '';
      deps.logger.warn(`failed login as ${loggableName(outcome.user)} from ${req.remote} (login page; ${outcome.failures} in a row${wait})`);
      // No WWW-Authenticate: the page answers this itself, without the browser's dialog.
      return problem(401, 'wrong-credentials', 'Wrong user name or password.');
    }
    case 'limited': {
      const seconds = Math.max(1, Math.ceil(outcome.retryAfterMs / 1000));
      return problem(429, 'too-many-failures', `Too many failed logins from your address; try again in ${seconds} s.`, { 'Retry-After': String(seconds) }, { retryAfterSeconds: seconds });
    }
    case 'busy':
      return problem(503, 'busy', 'Checking other logins; try again in a moment.', { 'Retry-After': '1' });
    case 'missing':
      return problem(401, 'wrong-credentials', 'Wrong user name or password.');
  }
}

function logOut(req: Request, deps: LoginRouteDeps): Response {
  const token = cookieValue(req.headers.cookie, SESSION_COOKIE);
  const user = token ? deps.authenticator()?.sessionUser(token, deps.now()) : '';
  const ended = token ? (deps.authenticator()?.endSession(token) ?? false) : false;
  if (ended) deps.logger.info(`${user ? escapeForLog(user, 64) : 'an expired session'} logged out from ${req.remote}`);
  // The cookie goes either way; a page logged in with Basic alone has no session to end.
  return json(200, { loggedOut: ended }, { 'Set-Cookie': clearedSessionCookie(deps.secure() || req.scheme === 'https:') });
}
