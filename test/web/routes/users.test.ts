// Owners and viewers, and sessions that end when access ends, against the real app with the
// simulated camera (issue 20).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { appConfig, freePort, startApp, type RunningApp } from '../../fakes/app.js';
import { openMjpeg } from '../../fakes/mjpeg-client.js';
import { waitFor } from '../../fakes/wait.js';
import { openWs } from '../../fakes/ws-client.js';
import type { AccountsResult } from '../../../src/device/accounts/store.js';
import type { ChangeResult } from '../../../src/device/settings/store.js';
import { Router, type Route } from '../../../src/web/server/router.js';
import { usersRoutes, type UsersPort, type UsersRouteDeps } from '../../../src/web/routes/users.js';
import type { Response } from '../../../src/web/server/response.js';
import { memoryLogger } from '../../fakes/logger.js';
import { makeRequest } from '../../fakes/request.js';

const basic = (user: string, password: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
const OWNER = basic('ann', 'a long passphrase');

async function api(app: RunningApp, method: string, path: string, init: { body?: unknown; headers?: Record<string, string> } = {}) {
  const res = await fetch(`http://127.0.0.1:${app.port}${path}`, {
    method,
    headers: { ...(init.body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

async function claimed(t: TestContext) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'picamd-users-'));
  const app = await startApp(appConfig(port, dir, { firstRun: true }), { dir, port });
  t.after(() => app.stop());
  const claim = await api(app, 'POST', '/api/setup', { body: { user: 'ann', password: 'a long passphrase' } });
  assert.equal(claim.status, 200, claim.text);
  await waitFor('streaming', async () => (await api(app, 'GET', '/api/status', { headers: OWNER })).json?.camera?.state === 'streaming', 20_000);
  return { app, claimCookie: claim.headers.get('set-cookie')!.split(';')[0]! };
}

/** A session cookie as the page gets one: loading the page itself with Basic credentials. */
async function pageCookie(app: RunningApp, headers: Record<string, string>): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${app.port}/`, { headers: { ...headers, Accept: 'text/html', 'Sec-Fetch-Dest': 'document' } });
  await res.arrayBuffer();
  const cookie = res.headers.get('set-cookie');
  assert.ok(cookie, `no session cookie (${res.status})`);
  return cookie.split(';')[0]!;
}

test('a viewer watches, takes snapshots and reads the status; settings, users and privacy are the owners\' (403)', async (t) => {
  const { app } = await claimed(t);
  const badRole = await api(app, 'POST', '/api/users', { body: { name: 'vic', password: 'vics long password', role: 'admin' }, headers: OWNER });
  assert.equal(badRole.status, 400);
  assert.match(badRole.json.problems.join(), /role: must be one of "owner", "viewer"/);
  // Without a role a user only watches.
  assert.equal((await api(app, 'POST', '/api/users', { body: { name: 'vic', password: 'vics long password' }, headers: OWNER })).status, 200);
  const users = await api(app, 'GET', '/api/users', { headers: OWNER });
  assert.deepEqual(users.json.users, [{ name: 'ann', role: 'owner', inConfig: false }, { name: 'vic', role: 'viewer', inConfig: false }]);

  const VIEWER = basic('vic', 'vics long password');
  assert.equal((await api(app, 'GET', '/api/status', { headers: VIEWER })).status, 200);
  assert.equal((await api(app, 'GET', '/snapshot.jpg', { headers: VIEWER })).status, 200);
  assert.equal((await api(app, 'GET', '/', { headers: VIEWER })).status, 200);
  const stream = openMjpeg(app.port, '/stream.mjpg', { keep: false, headers: VIEWER });
  t.after(() => stream.close());
  await waitFor('a frame for the viewer', () => stream.count > 0 || stream.error, 15_000);
  assert.equal(stream.status, 200);
  const me = await api(app, 'GET', '/api/me', { headers: VIEWER });
  assert.deepEqual(me.json, { name: 'vic', role: 'viewer', mayTogglePrivacy: false, passwordMinimum: 10 });
  assert.equal((await api(app, 'GET', '/api/me', { headers: OWNER })).json.role, 'owner');

  for (const [method, path, body] of [
    ['GET', '/api/settings', undefined],
    ['PATCH', '/api/settings', { server: { deviceName: 'mine' } }],
    ['POST', '/api/settings/reset', undefined],
    ['GET', '/api/settings/export', undefined],
    ['GET', '/api/users', undefined],
    ['POST', '/api/users', { name: 'eve', password: 'eves long password', role: 'owner' }],
    ['DELETE', '/api/users/ann', undefined],
    ['POST', '/api/users/open-viewing', { enabled: true, confirm: 'I understand' }],
    ['POST', '/api/privacy', { enabled: true }],
    ['GET', '/metrics', undefined],
  ] as const) {
    const res = await api(app, method, path, { body, headers: VIEWER });
    assert.equal(res.status, 403, `${method} ${path}: ${res.status} ${res.text}`);
    assert.equal(res.json.error, 'owner-only');
  }
  assert.equal((await api(app, 'GET', '/api/users', { headers: OWNER })).json.users.length, 2, 'nothing changed');

  // The owner lets viewers switch privacy.
  assert.equal((await api(app, 'PATCH', '/api/settings', { body: { privacy: { viewersToggle: true } }, headers: OWNER })).status, 200);
  assert.equal((await api(app, 'GET', '/api/me', { headers: VIEWER })).json.mayTogglePrivacy, true);
  assert.equal((await api(app, 'POST', '/api/privacy', { body: { enabled: true }, headers: VIEWER })).status, 200);
  assert.equal((await api(app, 'POST', '/api/privacy', { body: { enabled: false }, headers: VIEWER })).status, 200);
  assert.equal((await api(app, 'GET', '/api/settings', { headers: VIEWER })).status, 403, 'still not the settings');

  // A viewer changes their own password.
  const own = await api(app, 'POST', '/api/users/password', { body: { current: 'vics long password', password: 'vics new password' }, headers: VIEWER });
  assert.equal(own.status, 200, own.text);

  // At least one owner remains.
  assert.equal((await api(app, 'DELETE', '/api/users/ann', { headers: OWNER })).json.error, 'last-owner');
  assert.equal((await api(app, 'POST', '/api/users', { body: { name: 'olga', password: 'olgas long password', role: 'owner' }, headers: OWNER })).status, 200);
  assert.equal((await api(app, 'DELETE', '/api/users/ann', { headers: basic('olga', 'olgas long password') })).status, 200);
  assert.equal((await api(app, 'DELETE', '/api/users/olga', { headers: basic('olga', 'olgas long password') })).json.error, 'last-owner');
});

test('a password change ends the user\'s other sessions; the browser that made it carries on with a new cookie', async (t) => {
  const { app, claimCookie } = await claimed(t);
  const other = await pageCookie(app, OWNER);
  for (const cookie of [claimCookie, other]) assert.equal((await api(app, 'GET', '/api/status', { headers: { Cookie: cookie } })).status, 200);
  const changed = await api(app, 'POST', '/api/users/password', {
    body: { current: 'a long passphrase', password: 'another long one' },
    headers: { Cookie: claimCookie },
  });
  assert.equal(changed.status, 200, changed.text);
  const fresh = changed.headers.get('set-cookie')?.split(';')[0];
  assert.ok(fresh, 'a new cookie for the browser that changed it');
  assert.equal((await api(app, 'GET', '/api/status', { headers: { Cookie: other } })).status, 401, 'another session of the user');
  assert.equal((await api(app, 'GET', '/api/status', { headers: { Cookie: claimCookie } })).status, 401, 'the cookie from before the change');
  assert.equal((await api(app, 'GET', '/api/status', { headers: { Cookie: fresh } })).status, 200);
});

test('a removed user\'s cookies stop working, also after a user of the same name is added again; their stream and WebSocket close at once', async (t) => {
  const { app } = await claimed(t);
  assert.equal((await api(app, 'POST', '/api/users', { body: { name: 'vic', password: 'vics long password' }, headers: OWNER })).status, 200);
  const VIEWER = basic('vic', 'vics long password');
  const cookie = await pageCookie(app, VIEWER);
  const stream = openMjpeg(app.port, '/stream.mjpg', { keep: false, headers: { Cookie: cookie } });
  t.after(() => stream.close());
  const byPassword = openMjpeg(app.port, '/stream.mjpg', { keep: false, headers: VIEWER });
  t.after(() => byPassword.close());
  const ws = await openWs(app.port, { Cookie: cookie });
  t.after(() => ws.socket?.destroy());
  assert.equal(ws.status, 101);
  const ownerStream = openMjpeg(app.port, '/stream.mjpg', { keep: false, headers: OWNER });
  t.after(() => ownerStream.close());
  await waitFor('frames for everyone', () => (stream.count > 0 && byPassword.count > 0 && ownerStream.count > 0) || stream.error || byPassword.error, 15_000);

  assert.equal((await api(app, 'DELETE', '/api/users/vic', { headers: OWNER })).status, 200);
  // Closed by picamd on the removal, not by the stall sweep or the 16 s WebSocket idle timeout.
  await waitFor('the removed user\'s connections closed', () => stream.closed && byPassword.closed && ws.closeCode !== undefined, 5_000, 20);
  assert.equal(ws.closeCode, 4401);
  assert.equal((await api(app, 'GET', '/api/status', { headers: { Cookie: cookie } })).status, 401);
  assert.equal((await api(app, 'POST', '/api/users', { body: { name: 'vic', password: 'vics long password' }, headers: OWNER })).status, 200);
  assert.equal((await api(app, 'GET', '/api/status', { headers: { Cookie: cookie } })).status, 401, 're-adding the name does not revive the old cookie');
  assert.equal((await api(app, 'GET', '/api/status', { headers: VIEWER })).status, 200, 'the new user logs in with its password');
  const frames = ownerStream.count;
  await waitFor('the owner still watching', () => ownerStream.count > frames, 10_000);
  assert.equal(ownerStream.closed, false);
});

// The users routes called as the router calls them, with a stand-in store and password check.

const OK: AccountsResult = { ok: true };
const OPEN_VIEWING = { openViewing: false, setOpenViewing: async (): Promise<ChangeResult> => ({ ok: true, etag: '"x"', paths: [] }) };

/** A stand-in accounts store with one owner, ann; `over` replaces parts of it. */
function standInStore(over: Partial<UsersPort> = {}): UsersPort {
  return {
    list: () => [{ name: 'ann', role: 'owner', inConfig: false }],
    roleOf: (name) => (name === 'ann' ? 'owner' : undefined),
    addUser: async () => OK,
    removeUser: async () => OK,
    setPassword: async () => OK,
    checkPassword: async () => true,
    ...over,
  };
}

function routeDeps(store: UsersPort, logger: UsersRouteDeps['logger'], now: () => number): UsersRouteDeps {
  return { store, openViewing: OPEN_VIEWING, hashPassword: async (p) => `hash of ${p}`, sessionCookieFor: () => undefined, viewersTogglePrivacy: () => false, logger, now };
}

function setup() {
  const logger = memoryLogger();
  let nowMs = 0;
  const passwords = new Map([['ann', 'the right passphrase']]);
  const store = standInStore({
    setPassword: async (name) => {
      passwords.set(name, 'changed');
      return OK;
    },
    checkPassword: async (user, password) => passwords.get(user) === password,
  });
  const router = new Router({ authenticator: () => undefined, logger, now: () => nowMs, secure: false });
  usersRoutes(routeDeps(store, logger, () => nowMs))(router);
  const route = router.find('post', '/api/users/password') as Route;
  const change = async (current: string, remote = '192.0.2.7') =>
    (await route.handler(
      makeRequest({ method: 'post', path: '/api/users/password', remote, body: Buffer.from(JSON.stringify({ current, password: 'a new long passphrase' })) }),
      { user: 'ann' },
    )) as Response;
  return { logger, change, advance: (ms: number) => (nowMs += ms), passwords };
}

test('the current-password check of a password change is rate-limited and logged like a login', async () => {
  const { logger, change, advance, passwords } = setup();
  // Five typos cost nothing; each is logged with the address and the count.
  for (let i = 1; i <= 5; i++) assert.equal((await change(`guess ${i}`)).status, 403);
  assert.match(logger.lines.at(-1)!, /wrong current password in a password change by "ann" from 192\.0\.2\.7 \(5 in a row\)/);
  // The sixth imposes a wait; until it passes, even the right password is refused unchecked.
  assert.equal((await change('guess 6')).status, 403);
  assert.match(logger.lines.at(-1)!, /\(6 in a row; next try allowed in 1 s\)/);
  const limited = await change('the right passphrase');
  assert.equal(limited.status, 429);
  assert.equal(limited.headers?.['Retry-After'], '1');
  assert.equal(passwords.get('ann'), 'the right passphrase', 'nothing changed');
  // Another address is not held up by this one.
  assert.equal((await change('guess 7', '192.0.2.8')).status, 403);
  // After the wait the right password goes through.
  advance(1000);
  assert.equal((await change('the right passphrase')).status, 200);
  assert.equal(passwords.get('ann'), 'changed');
});

test('a new password of only spaces is refused (400), whatever its length', async () => {
  const logger = memoryLogger();
  const router = new Router({ authenticator: () => undefined, logger, now: () => 0, secure: false });
  const added: string[] = [];
  usersRoutes(routeDeps(standInStore({ addUser: async (name) => (added.push(name), OK) }), logger, () => 0))(router);
  const route = router.find('post', '/api/users') as Route;
  for (const password of [' '.repeat(12), '\u00a0\u3000'.repeat(6), ' \t '.repeat(5)]) {
    const res = (await route.handler(makeRequest({ method: 'post', body: Buffer.from(JSON.stringify({ name: 'bob', password })) }), { user: 'ann' })) as Response;
    assert.equal(res.status, 400, JSON.stringify(password));
    assert.match(String(res.body), /password: must not be only spaces/);
  }
  assert.deepEqual(added, []);
});

test('one current-password check per address at a time: a parallel guess is 503, not a free try', async () => {
  const logger = memoryLogger();
  const router = new Router({ authenticator: () => undefined, logger, now: () => 0, secure: false });
  let release: (ok: boolean) => void = () => {};
  usersRoutes(routeDeps(standInStore({ checkPassword: () => new Promise<boolean>((resolve) => (release = resolve)) }), logger, () => 0))(router);
  const route = router.find('post', '/api/users/password') as Route;
  const change = (remote: string) =>
    route.handler(makeRequest({ method: 'post', remote, body: Buffer.from(JSON.stringify({ current: 'a guess at it', password: 'a new long passphrase' })) }), { user: 'ann' }) as Promise<Response>;
  const first = change('192.0.2.7');
  const second = await change('192.0.2.7');
  assert.equal(second.status, 503);
  assert.equal(second.headers?.['Retry-After'], '1');
  release(false);
  assert.equal((await first).status, 403);
});
