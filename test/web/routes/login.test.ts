// The login page's API on a real server: POST /api/login makes the same session cookie a Basic
// page load does, counts a wrong password, and answers without a Basic challenge; POST
// /api/logout ends the session on the device, so the cookie no longer opens anything. A browser
// that opens the page without credentials is sent to /login; tools still get the challenge.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashPassword } from '../../../src/device/accounts/password.js';
import { SESSION_COOKIE } from '../../../src/web/server/login.js';
import { startServer, type TestServer } from '../../fakes/server.js';

describe('POST /api/login and /api/logout', () => {
  let server: TestServer;
  const url = (path: string) => `http://127.0.0.1:${server.port}${path}`;
  const sameSite = () => ({ Origin: `http://127.0.0.1:${server.port}`, 'Content-Type': 'application/json' });
  const logIn = (user: string, password: string) => fetch(url('/api/login'), { method: 'POST', headers: sameSite(), body: JSON.stringify({ user, password }) });
  const cookieOf = (res: Response) => /picamd_session=([^;]*)/.exec(res.headers.get('set-cookie') ?? '')?.[1] ?? '';

  before(async () => {
    const users = [{ name: 'ann', passwordHash: await hashPassword('correct horse', { ln: 10, r: 8, p: 1 }) }];
    server = await startServer({ server: { auth: { users } }, deps: { status: () => ({ ok: true }) } });
  });
  after(() => server?.stop());

  test('the right password: a session cookie that opens the API; logging out ends it on the device', async () => {
    const res = await logIn('ann', 'correct horse');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { user: 'ann' });
    assert.match(res.headers.get('set-cookie') ?? '', new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict$`));
    const token = cookieOf(res);
    const withCookie = { Cookie: `${SESSION_COOKIE}=${token}` };
    assert.equal((await fetch(url('/api/status'), { headers: withCookie })).status, 200);

    const out = await fetch(url('/api/logout'), { method: 'POST', headers: { ...sameSite(), ...withCookie } });
    assert.equal(out.status, 200);
    assert.deepEqual(await out.json(), { loggedOut: true });
    assert.match(out.headers.get('set-cookie') ?? '', /^picamd_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict$/);
    // The same cookie, sent again as someone who copied it would: refused.
    assert.equal((await fetch(url('/api/status'), { headers: withCookie })).status, 401);
    assert.match(server.logger.lines.join('\n'), /ann logged out from 127\.0\.0\.1/);
  });

  test('a wrong password is a 401 without a Basic challenge, logged and counted', async () => {
    const res = await logIn('ann', 'wrong horse');
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), null, 'no browser dialog over the login page');
    assert.equal((await res.json()).error, 'wrong-credentials');
    assert.equal(res.headers.get('set-cookie'), null);
    assert.match(server.logger.lines.join('\n'), /failed login as "ann" from 127\.0\.0\.1 \(login page; 1 in a row/);
    // The right password afterwards still works (the limiter only delays after more failures).
    assert.equal((await logIn('ann', 'correct horse')).status, 200);
  });

  test('a body that is not {user, password} is a 400 naming the problem', async () => {
    const res = await fetch(url('/api/login'), { method: 'POST', headers: sameSite(), body: JSON.stringify({ user: 'ann', pass: 'x' }) });
    assert.equal(res.status, 400);
    assert.deepEqual((await res.json()).problems, ['pass: unknown key', 'password: must be a string']);
  });

  test('from another site: refused before any password check', async () => {
    const res = await fetch(url('/api/login'), { method: 'POST', headers: { Origin: 'http://evil.example', 'Content-Type': 'application/json' }, body: JSON.stringify({ user: 'ann', password: 'correct horse' }) });
    assert.equal(res.status, 403);
  });

  test('the page without credentials goes to /login; tools and other URLs still get the Basic challenge', async () => {
    const page = await fetch(url('/'), { redirect: 'manual', headers: { Accept: 'text/html', 'Sec-Fetch-Dest': 'document' } });
    assert.equal(page.status, 303);
    assert.equal(page.headers.get('location'), '/login');
    const tool = await fetch(url('/stream.mjpg'), { redirect: 'manual' });
    assert.equal(tool.status, 401);
    assert.match(tool.headers.get('www-authenticate') ?? '', /^Basic realm="picamd"/);
    const mjpgStreamer = await fetch(url('/?action=stream'), { redirect: 'manual', headers: { Accept: 'text/html', 'Sec-Fetch-Dest': 'document' } });
    assert.equal(mjpgStreamer.status, 401, 'a tool URL opened in a browser keeps the challenge');
    // The page's own request after its session ended: a 401 it handles, not the browser's dialog.
    const own = await fetch(url('/api/status'), { headers: { 'Sec-Fetch-Site': 'same-origin', 'Sec-Fetch-Dest': 'empty' } });
    assert.equal(own.status, 401);
    assert.equal(own.headers.get('www-authenticate'), null);
    assert.equal((await own.json()).error, 'login-required');
  });
});
