import { loggableName } from '../server/auth/headers.js';
import type { AccountsResult } from '../../device/accounts/store.js';
import type { Logger } from '../../platform/log/logger.js';
import { invalid, jsonObjectBody, MIN_PASSWORD, passwordProblems, stringField, unknownKeys } from '../server/json-body.js';
import type { Request } from '../server/request.js';
import { json, problem, type Response } from '../server/response.js';
import type { Gate, Router } from '../server/router.js';

// First-time setup: until the device has an owner (or the owner chose open viewing), nothing of the
// camera is visible. The page shows the first-run screen from GET /api/setup; POST /api/setup makes
// the owner, once: the first claim wins, a concurrent one gets 409.

export interface SetupPort {
  /** Users exist or open viewing was chosen. */
  readonly claimed: boolean;
  readonly openViewing: boolean;
  /** `password`: what passwordHash was made from, for the owner's Digest HA1 (RTSP, ONVIF). */
  claim(owner: { name: string; passwordHash: string; password?: string; deviceName?: string; openViewing?: boolean }): Promise<AccountsResult>;
}

export interface SetupDeps {
  store: SetupPort;
  deviceName: () => string;
  hashPassword: (password: string) => Promise<string>;
  /** The session cookie for the new owner, so the page goes live without a login prompt. */
  sessionCookieFor: (user: string) => string | undefined;
  logger: Logger;
}

/**
 * A device whose accounts file cannot be used is locked: the router answers this for everything but
 * the page, its assets and /healthz, before any login; the page shows the message.
 */
export function accountsLock(accounts: { readonly locked: boolean; readonly status: { message: string } }): () => Response | undefined {
  return () => (accounts.locked ? problem(503, 'accounts-unreadable', accounts.status.message) : undefined);
}

/** 503 for everything but the page, its assets, /healthz and /api/setup until the device is set up. */
export function setupGate(store: Pick<SetupPort, 'claimed'>): Gate {
  return () =>
    store.claimed
      ? undefined
      : problem(503, 'not-set-up', 'This camera is not set up yet: open its page to choose the owner and a password.');
}

export function setupRoutes(deps: SetupDeps) {
  // One claim at a time: the route needs no login, so a flood of claims must not run scrypt (8 MiB,
  // a core for a while on a Zero) in parallel; a claim while another is under way gets 409.
  let underWay = false;
  const once = async (req: Request): Promise<Response> => {
    if (underWay) return problem(409, 'already-claimed', 'Someone is setting this camera up right now; reload in a moment.');
    underWay = true;
    try {
      return await claim(req, deps);
    } finally {
      underWay = false;
    }
  };
  return (router: Router): void => {
    router.get('/api/setup', () => json(200, { claimed: deps.store.claimed, deviceName: deps.deviceName(), openViewing: deps.store.openViewing, passwordMinimum: MIN_PASSWORD }), {
      public: true,
    });
    router.post('/api/setup', once, { public: true, body: true });
  };
}

async function claim(req: Request, deps: SetupDeps): Promise<Response> {
  if (deps.store.claimed) return alreadyClaimed();
  const body = jsonObjectBody(req);
  if (!body.ok) return body.response;
  const problems = unknownKeys(body.value, ['user', 'password', 'deviceName', 'openViewing']);
  const user = stringField(body.value, 'user', problems);
  const password = stringField(body.value, 'password', problems);
  const deviceName = body.value.deviceName === undefined ? undefined : stringField(body.value, 'deviceName', problems);
  const openViewing = body.value.openViewing ?? false;
  if (typeof openViewing !== 'boolean') problems.push('openViewing: must be true or false');
  if (!user) problems.push('user: must not be empty');
  problems.push(...passwordProblems('password', password));
  if (problems.length > 0) return invalid(problems);
  const passwordHash = await deps.hashPassword(password);
  const result = await deps.store.claim({ name: user, passwordHash, password, deviceName: deviceName || undefined, openViewing: openViewing as boolean });
  if (!result.ok) {
    if (result.status === 409) return alreadyClaimed();
    if (result.status === 400) return invalid(result.problems.map((p) => p.replace(/^name:/, 'user:')));
    return problem(result.status, result.error, result.message);
  }
  deps.logger.info(`set up: owner ${loggableName(user)} from ${req.remote}${openViewing ? ', open viewing on' : ''}`);
  const cookie = deps.sessionCookieFor(user);
  return json(200, { claimed: true }, cookie ? { 'Set-Cookie': cookie } : {});
}

function alreadyClaimed(): Response {
  return problem(409, 'already-claimed', 'This camera already has an owner; log in instead.');
}
