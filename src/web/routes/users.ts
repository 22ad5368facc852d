import type { OpenViewingConfirmation } from '../api/types.js';
import { clientKey, loggableName } from '../server/auth/headers.js';
import { LoginLimiter } from '../server/auth/limiter.js';
import type { AccountsResult, AccountView } from '../../device/accounts/store.js';
import { MIN_PASSWORD, ROLES, type Role } from '../../device/accounts/rules.js';
import type { ChangeResult } from '../../device/settings/store.js';
import type { Logger } from '../../platform/log/logger.js';
import type { Now } from '../../platform/clock.js';
import { invalid, jsonObjectBody, passwordProblems, stringField, unknownKeys } from '../server/json-body.js';
import type { Request } from '../server/request.js';
import { json, problem, type Response } from '../server/response.js';
import type { Router, Session } from '../server/router.js';

// Users from the page: list them (names and roles: no route ever returns a password hash), add
// them as owner or viewer and remove them (never the last owner), change your own password (the
// current one required; your other sessions end), and open viewing, only with an explicit
// confirmation. Every route here is the owners', but GET /api/me and your own password.

export const OPEN_VIEWING_CONFIRMATION: OpenViewingConfirmation = 'I understand';

export interface UsersPort {
  list(): AccountView[];
  roleOf(name: string): Role | undefined;
  /** `password`: what the hash was made from, for the user's Digest HA1 (RTSP, ONVIF). */
  addUser(name: string, passwordHash: string, role: Role, password?: string): Promise<AccountsResult>;
  removeUser(name: string): Promise<AccountsResult>;
  setPassword(name: string, passwordHash: string, password?: string): Promise<AccountsResult>;
  /** Whether `password` is `name`'s current one. */
  checkPassword(name: string, password: string): Promise<boolean>;
}

export interface OpenViewingPort {
  readonly openViewing: boolean;
  setOpenViewing(enabled: boolean): Promise<ChangeResult>;
}

export interface UsersRouteDeps {
  store: UsersPort;
  openViewing: OpenViewingPort;
  hashPassword: (password: string) => Promise<string>;
  /** A new session cookie for a user whose password just changed (their old sessions ended). */
  sessionCookieFor: (user: string) => string | undefined;
  /** Whether viewers may switch privacy (privacy.viewersToggle). */
  viewersTogglePrivacy: () => boolean;
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
  const listing = () => ({ users: store.list(), openViewing: deps.openViewing.openViewing });
  const answer = (result: AccountsResult | ChangeResult, session: Session, headers: Record<string, string> = {}): Response => {
    if (result.ok) return json(200, { ...listing(), me: session.user }, headers);
    if (result.status === 400) return invalid(result.problems);
    return problem(result.status, result.error, result.message);
  };
  const by = (session: Session) => loggableName(session.user ?? '(no login)');
  return (router: Router): void => {
    /** Who the page is logged in as, and so what it shows. */
    router.get(
      '/api/me',
      (_req, session) => {
        // null: nobody logged in (open viewing, or no login at all); the page then shows everything
        // and the device asks for a login where one is needed.
        const role: Role | null = session.user ? (store.roleOf(session.user) ?? 'viewer') : null;
        return json(200, {
          name: session.user,
          role,
          mayTogglePrivacy: role !== 'viewer' || deps.viewersTogglePrivacy(),
          passwordMinimum: MIN_PASSWORD,
        });
      },
      { viewing: true },
    );

    router.get('/api/users', (_req, session) => json(200, { ...listing(), me: session.user }));

    router.post('/api/users', async (req, session) => {
      const body = jsonObjectBody(req);
      if (!body.ok) return body.response;
      const problems = unknownKeys(body.value, ['name', 'password', 'role']);
      const name = stringField(body.value, 'name', problems);
      const password = stringField(body.value, 'password', problems);
      // Least power by default: a user added without a role only watches.
      const role = body.value.role ?? 'viewer';
      if (!ROLES.includes(role as Role)) problems.push(`role: must be one of ${ROLES.map((r) => `"${r}"`).join(', ')}`);
      if (!name) problems.push('name: must not be empty');
      problems.push(...passwordProblems('password', password));
      if (problems.length > 0) return invalid(problems);
      const result = await store.addUser(name, await deps.hashPassword(password), role as Role, password);
      if (result.ok) logger.info(`user ${loggableName(name)} added as ${role} by ${by(session)}`);
      return answer(result, session);
    });

    router.del('/api/users/:name', async (req, session) => {
      const name = req.params[0] ?? '';
      const result = await store.removeUser(name);
      if (result.ok) logger.info(`user ${loggableName(name)} removed by ${by(session)}`);
      return answer(result, session);
    });

    router.post(
      '/api/users/password',
      async (req, session) => {
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
          right = await store.checkPassword(session.user, current);
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
        const result = await store.setPassword(session.user, await deps.hashPassword(password), password);
        if (!result.ok) return answer(result, session);
        logger.info(`user ${loggableName(session.user)} changed their password; their other sessions ended`);
        // Every session of the user ended with the old password; this browser carries on with a new one.
        const cookie = deps.sessionCookieFor(session.user);
        return answer(result, session, cookie ? { 'Set-Cookie': cookie } : {});
      },
      { body: true, viewer: true },
    );

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
      const result = await deps.openViewing.setOpenViewing(enabled as boolean);
      if (result.ok) logger.warn(`open viewing ${enabled ? 'on: anyone on the network may watch' : 'off'}, by ${by(session)}`);
      return answer(result, session);
    });
  };
}
