import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Authenticator } from '../../../src/web/server/auth/authenticator.js';
import { hashPassword } from '../../../src/device/accounts/password.js';
import { SessionStore } from '../../../src/web/server/auth/sessions.js';
import type { Response } from '../../../src/web/server/response.js';
import { isTakeover, Router, type Reply } from '../../../src/web/server/router.js';
import { UserConnections } from '../../../src/web/server/user-connections.js';
import { problem } from '../../../src/web/server/response.js';
import { memoryLogger } from '../../fakes/logger.js';
import { makeRequest } from '../../fakes/request.js';

// The router's lock and role steps, and the bookkeeping that ends a user's access (issue 20).

const cheap = { ln: 10, r: 8, p: 1 };
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function fixture(options: { locked?: boolean; openViewing?: boolean } = {}) {
  const authenticator = new Authenticator({
    users: [
      { name: 'ann', passwordHash: await hashPassword('ann password', cheap) },
      { name: 'vic', passwordHash: await hashPassword('vic password', cheap) },
    ],
  });
  const roles: Record<string, 'owner' | 'viewer'> = { ann: 'owner', vic: 'viewer' };
  let viewersMayToggle = false;
  const connections = new UserConnections();
  const router = new Router({
    // A locked device has no users to check (the accounts store gives none).
    authenticator: () => (options.locked ? undefined : authenticator),
    logger: memoryLogger(),
    now: () => 0,
    secure: false,
    roleOf: (user) => roles[user],
    openViewing: () => options.openViewing ?? false,
    lock: () => (options.locked ? problem(503, 'accounts-unreadable', 'locked: run picamd reset-owner') : undefined),
    connections,
  });
  const ok = (): Response => ({ status: 200, headers: {}, body: 'ok' });
  router.get('/healthz', ok, { public: true, ungated: true });
  router.get('/', ok, { viewing: true, ungated: true });
  router.get('/api/setup', ok, { public: true });
  router.get('/api/status', ok, { viewing: true });
  router.get('/api/me', (_req, session) => ({ status: 200, headers: {}, body: String(session.user) }), { viewing: true });
  router.get('/api/settings', ok);
  router.post('/api/privacy', ok, { body: true, viewer: () => viewersMayToggle });
  router.get('/stream.mjpg', () => ({ takeover: () => {} }), { viewing: true });
  const ask = async (method: string, path: string, user?: string): Promise<Reply> => {
    const headers = user ? { authorization: basic(user, `${user} password`) } : {};
    return router.handle(router.find(method, path)!, makeRequest({ method, path, headers }));
  };
  const status = async (method: string, path: string, user?: string) => {
    const reply = await ask(method, path, user);
    return isTakeover(reply) ? 'takeover' : reply.status;
  };
  return { router, ask, status, connections, authenticator, allowViewers: (v: boolean) => (viewersMayToggle = v) };
}

test('a viewer gets the watching routes and those marked for viewers; every other route is the owners\' (403 owner-only)', async () => {
  const f = await fixture();
  assert.equal(await f.status('get', '/api/status', 'vic'), 200);
  assert.equal(await f.status('get', '/', 'vic'), 200);
  assert.equal(await f.status('get', '/stream.mjpg', 'vic'), 'takeover');
  const refused = (await f.ask('get', '/api/settings', 'vic')) as Response;
  assert.equal(refused.status, 403);
  assert.equal(JSON.parse(String(refused.body)).error, 'owner-only');
  assert.equal(await f.status('post', '/api/privacy', 'vic'), 403);
  f.allowViewers(true);
  assert.equal(await f.status('post', '/api/privacy', 'vic'), 200, 'asked per request');
  assert.equal(await f.status('get', '/api/settings', 'ann'), 200);
  assert.equal(await f.status('post', '/api/privacy', 'ann'), 200);
  assert.equal(await f.status('get', '/api/settings'), 401, 'the login comes first');
});

test('a locked device answers only its ungated routes, before any login', async () => {
  const f = await fixture({ locked: true });
  assert.equal(await f.status('get', '/healthz'), 200);
  assert.equal(await f.status('get', '/'), 200);
  for (const [method, path] of [['get', '/api/setup'], ['get', '/api/status'], ['get', '/stream.mjpg'], ['get', '/api/settings']] as const) {
    for (const user of [undefined, 'ann']) {
      const reply = (await f.ask(method, path, user)) as Response;
      assert.equal(reply.status, 503, `${path} ${user}`);
      assert.equal(JSON.parse(String(reply.body)).error, 'accounts-unreadable');
    }
  }
});

test('a logged-in user\'s stream is registered until it ends, and closed with the user\'s other connections', async () => {
  const f = await fixture();
  const reply = await f.ask('get', '/stream.mjpg', 'vic');
  assert.ok(isTakeover(reply));
  let closed = 0;
  let aborted: (() => void) | undefined;
  let routeSawAbort = 0;
  const connection = {
    res: { close: () => (closed++, aborted?.()) } as never,
    headers: {},
    context: undefined,
    onAborted: (handler: () => void) => (aborted = handler),
  };
  reply.takeover(connection);
  // The route registers its own abort handler through the same connection; the router keeps both.
  connection.onAborted(() => routeSawAbort++);
  assert.equal(f.connections.count('vic'), 1);
  assert.equal(f.connections.closeUser('ann'), 0);
  assert.equal(f.connections.closeUser('vic'), 1);
  assert.equal(closed, 1);
  assert.equal(routeSawAbort, 1, 'the route cleans up as for any client that left');
  assert.equal(f.connections.count('vic'), 0);
  assert.equal(f.connections.closeUser('vic'), 0, 'closed once');
});

test('UserConnections: a connection that ended by itself is forgotten and never closed again', () => {
  const connections = new UserConnections();
  const closes: string[] = [];
  const forgetA = connections.add('ann', () => closes.push('a1'));
  connections.add('ann', () => closes.push('a2'));
  connections.add('vic', () => {
    throw new Error('already gone');
  });
  forgetA();
  assert.equal(connections.closeUser('ann'), 1);
  assert.deepEqual(closes, ['a2']);
  assert.equal(connections.closeUser('vic'), 1, 'a close that throws is skipped');
});

test('sessions: endUser ends every session of one user and no other', () => {
  const sessions = new SessionStore({});
  const a1 = sessions.create('ann', 0);
  const a2 = sessions.create('ann', 0);
  const v = sessions.create('vic', 0);
  assert.equal(sessions.endUser('ann'), 2);
  assert.equal(sessions.lookup(a1, 1), undefined);
  assert.equal(sessions.lookup(a2, 1), undefined);
  assert.equal(sessions.lookup(v, 1), 'vic');
});

test('setUsers ends the sessions of users removed or whose password changed, and says whose; re-adding a name revives nothing', async () => {
  const ann = await hashPassword('ann password', cheap);
  const vic = await hashPassword('vic password', cheap);
  const auth = new Authenticator({ users: [{ name: 'ann', passwordHash: ann }, { name: 'vic', passwordHash: vic }] });
  const annCookie = auth.createSession('ann', 0);
  const vicCookie = auth.createSession('vic', 0);
  const login = (token: string) => auth.authenticate({ authorization: '', sessionToken: token, client: '127.0.0.1' }, 1);
  assert.deepEqual(auth.setUsers([{ name: 'ann', passwordHash: ann }]), ['vic']);
  assert.equal((login(vicCookie) as { kind: string }).kind, 'missing');
  assert.deepEqual(auth.setUsers([{ name: 'ann', passwordHash: ann }, { name: 'vic', passwordHash: vic }]), []);
  assert.equal((login(vicCookie) as { kind: string }).kind, 'missing', 'the old cookie stays dead');
  assert.equal((login(annCookie) as { kind: string }).kind, 'ok');
  assert.deepEqual(auth.setUsers([{ name: 'ann', passwordHash: await hashPassword('new one here', cheap) }, { name: 'vic', passwordHash: vic }]), ['ann']);
  assert.equal((login(annCookie) as { kind: string }).kind, 'missing');
});

test('open viewing: routes for watching need no login, but a logged-in page is still known by its session cookie', async () => {
  const f = await fixture({ openViewing: true });
  const me = async (headers: Record<string, string>) =>
    String(((await f.router.handle(f.router.find('get', '/api/me')!, makeRequest({ path: '/api/me', headers }))) as Response).body);
  assert.equal(await me({}), 'null');
  const token = f.authenticator.createSession('vic', 0);
  assert.equal(await me({ cookie: `picamd_session=${token}` }), 'vic');
  assert.equal(await me({ cookie: 'picamd_session=not-a-session' }), 'null', 'a stale cookie is no login and no challenge');
  assert.equal(await f.status('get', '/api/status'), 200);
  assert.equal(await f.status('get', '/api/settings'), 401, 'changing anything still needs the login');
});
