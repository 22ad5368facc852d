import type { OpenViewingConfirmation } from '../api/types.js';
import { clientKey, loggableName } from '../server/auth/headers.js';
import { LoginLimiter } from '../server/auth/limiter.js';
import type { ChangeResult } from '../../device/settings/store.js';
import type { Logger } from '../../platform/log/logger.js';
import type { Now } from '../../platform/clock.js';
import { invalid, jsonObjectBody, passwordProblems, stringField, unknownKeys } from '../server/json-body.js';
import type { Request } from '../server/request.js';
import { json, problem, type Response } from '../server/response.js';
import type { Router, Session } from '../server/router.js';

// Users from the page: list them (names only: no route ever returns a password hash), add and
// remove them (never the last one while open viewing is off), change your own password (the current
// one required), and open viewing, only with an explicit confirmation.

export const OPEN_VIEWING_CONFIRMATION: OpenViewingConfirmation = 'I understand';

export interface UsersPort {
  readonly users: string[];
  readonly openViewing: boolean;
  addUser(name: string, passwordHash: string): Promise<ChangeResult>;
  removeUser(name: string): Promise<ChangeResult>;
  setPassword(name: string, passwordHash: string): Promise<ChangeResult>;
  setOpenViewing(enabled: boolean): Promise<ChangeResult>;
}

export interface UsersRouteDeps {
  store: UsersPort;
  hashPassword: (password: string) => Promise<string>;
  /** Whether `password` is `user`'s current one. */
  checkPassword: (user: string, password: string) => Promise<boolean>;
  logger: Logger;
  now: Now;
  /** Wrong current passwords per address, as for logins (default: the login policy, its own counts). */
  limiter?: LoginLimiter;
}

export function usersRoutes(deps: UsersRouteDeps) {
  const { store, logger } = deps;
  // The current-password check is a password guess like a login: someone holding a stolen session
  // must not try passwords at full speed. Its own counts, so a login (which forgives an address's
  // failures) does not wipe them; one check per address at a time, so parallel guesses do not
  // slip past the count.
  const limiter = deps.limiter ?? new LoginLimiter();
  const checking = new Set<string>();
  const listing = () => ({ users: store.users.map((name) => ({ name })), openViewing: store.openViewing });
  const answer = (result: ChangeResult, session: Session): Response => {
    if (result.ok) return json(200, { ...listing(), me: session.user });
    if (result.status === 400) return invalid(result.problems.map((p) => p.replace(/^server\.auth\.users\.\d+\.name/, 'name')));
    return problem(result.status, result.error, result.message);
  };
  return (router: Router): void => {
    router.get('/api/users', (_req, session) => json(200, { ...listing(), me: session.user }));

    router.post('/api/users', async (req, session) => {
      const body = jsonObjectBody(req);
      if (!body.ok) return body.response;
      const problems = unknownKeys(body.value, ['name', 'password']);
      const name = stringField(body.value, 'name', problems);
      const password = stringField(body.value, 'password', problems);
      if (!name) problems.push('name: must not be empty');
      problems.push(...passwordProblems('password', password));
      if (problems.length > 0) return invalid(problems);
      const result = await store.addUser(name, await deps.hashPassword(password));
      if (result.ok) logger.info(`user ${loggableName(name)} added by ${loggableName(session.user ?? '(no login)')}`);
      return answer(result, session);
    });

    router.del('/api/users/:name', async (req, session) => {
      const name = req.params[0] ?? '';
      const result = await store.removeUser(name);
      if (result.ok) logger.info(`user ${loggableName(name)} removed by ${loggableName(session.user ?? '(no login)')}`);
      return answer(result, session);
    });

    router.post('/api/users/password', async (req, session) => {
      if (!session.user) return problem(409, 'no-login', 'Passwords belong to users; log in as the user whose password you change.');
      const body = jsonObjectBody(req);
      if (!body.ok) return body.response;
      const problems = unknownKeys(body.value, ['current', 'password']);
      const current = stringField(body.value, 'current', problems);
      const password = stringField(body.value, 'password', problems);
      problems.push(...passwordProblems('password', password));
      if (problems.length > 0) return invalid(problems);
      const client = clientKey(req.remote);
      const verdict = limiter.check(client, deps.now());
      if (!verdict.allowed) {
        const seconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
        logger.debug(`password change by ${loggableName(session.user)} from ${req.remote} refused: ${verdict.failures} wrong current passwords, ${seconds} s to wait`);
        return problem(429, 'too-many-failures', `Too many wrong passwords from your address; try again in ${seconds} s.`, { 'Retry-After': String(seconds) });
      }
      if (checking.has(client)) return problem(503, 'busy', 'Checking another password from your address; try again in a moment.', { 'Retry-After': '1' });
      checking.add(client);
      let right: boolean;
      try {
        right = await deps.checkPassword(session.user, current);
      } finally {
        checking.delete(client);
      }
      if (!right) {
        const { failures, delayMs } = limiter.fail(client, deps.now());
        const wait = delayMs > 0 ? `; next try allowed in ${Math.ceil(delayMs / 1000)} s` : '';
        logger.warn(`wrong current password in a password change by ${loggableName(session.user)} from ${req.remote} (${failures} in a row${wait})`);
        // 403, not 401: a 401 would make the browser drop the login it holds.
        return problem(403, 'wrong-password', 'The current password is wrong.');
      }
      limiter.succeed(client, deps.now());
      const result = await store.setPassword(session.user, await deps.hashPassword(password));
      if (result.ok) logger.info(`user ${loggableName(session.user)} changed their password`);
      return answer(result, session);
    });

    router.post('/api/users/open-viewing', async (req: Request, session) => {
      const body = jsonObjectBody(req);
      if (!body.ok) return body.response;
      const problems = unknownKeys(body.value, ['enabled', 'confirm']);
      const enabled = body.value.enabled;
      if (typeof enabled !== 'boolean') problems.push('enabled: must be true or false');
      if (enabled === true && body.value.confirm !== OPEN_VIEWING_CONFIRMATION) {
        problems.push(`confirm: must be "${OPEN_VIEWING_CONFIRMATION}" to let anyone on the network watch without a password`);
      }
      if (problems.length > 0) return invalid(problems);
      const result = await store.setOpenViewing(enabled as boolean);
      if (result.ok) logger.warn(`open viewing ${enabled ? 'on: anyone on the network may watch' : 'off'}, by ${loggableName(session.user ?? '(no login)')}`);
      return answer(result, session);
    });
  };
}
