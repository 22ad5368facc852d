import type { OpenViewingConfirmation } from '../api/types.js';
import { loggableName } from '../server/auth/headers.js';
import type { ChangeResult } from '../../device/settings/store.js';
import type { Logger } from '../../platform/log/logger.js';
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
}

export function usersRoutes(deps: UsersRouteDeps) {
  const { store, logger } = deps;
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
      // 403, not 401: a 401 would make the browser drop the login it holds.
      if (!(await deps.checkPassword(session.user, current))) return problem(403, 'wrong-password', 'The current password is wrong.');
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
