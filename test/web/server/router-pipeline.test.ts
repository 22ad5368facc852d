import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Authenticator } from '../../../src/web/server/auth/authenticator.js';
import { hashPassword } from '../../../src/device/accounts/password.js';
import { SESSION_COOKIE } from '../../../src/web/server/login.js';
import type { Request } from '../../../src/web/server/request.js';
import { json, problem, type Response } from '../../../src/web/server/response.js';
import { isTakeover, MAX_REQUEST_BODY, Router, type Reply, type Route } from '../../../src/web/server/router.js';
import { memoryLogger } from '../../fakes/logger.js';
import { makeRequest } from '../../fakes/request.js';

// The request path as plain values: routes run through Router.handle without uWebSockets.js.

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const passwordHash = await hashPassword('s3cret', { ln: 10, r: 8, p: 1 });

function router(login: boolean) {
  const logger = memoryLogger();
  const authenticator = login ? new Authenticator({ users: [{ name: 'admin', passwordHash }] }) : undefined;
  const seen: Array<{ req: Request; user: string | null }> = [];
  const r = new Router({ authenticator: () => authenticator, logger, now: () => performance.now(), secure: false });
  const echo = (req: Request, session: { user: string | null }): Response => {
    seen.push({ req, user: session.user });
    return json(200, { body: req.body.toString(), user: session.user });
  };
  r.get('/healthz', () => json(200, { ok: true }), { public: true });
  r.get('/page', echo);
  r.post('/api/thing', echo);
  r.get('/boom', () => {
    throw new Error('bug');
  });
  r.get('/late-boom', async () => {
    throw new Error('async bug');
  });
  r.get('/take', () => ({ takeover: () => {}, head: json(200, {}) }));
  return { r, logger, seen };
}

async function run(r: Router, method: string, pattern: string, req: Partial<Parameters<typeof makeRequest>[0]>, body?: string | Buffer): Promise<Reply> {
  const route = r.find(method, pattern) as Route;
  assert.ok(route, `${method} ${pattern} is registered`);
  const payload = body === undefined ? undefined : Promise.resolve({ ok: true as const, body: Buffer.from(body) });
  return r.handle(route, makeRequest({ method, path: pattern, ...req }), payload);
}

function asResponse(reply: Reply): Response {
  assert.ok(!isTakeover(reply), 'a whole response');
  return reply;
}

describe('the request path, step by step', () => {
  test('framing comes first: two Content-Lengths are 400, a declared body over the cap 413, both closing', async () => {
    const { r, seen } = router(true);
    const twice = asResponse(await run(r, 'post', '/api/thing', { headers: { 'content-length': '2' }, repeated: ['content-length'] }, '{}'));
    assert.equal(twice.status, 400);
    assert.equal(twice.close, true);
    const big = asResponse(await run(r, 'post', '/api/thing', { headers: { 'content-length': String(MAX_REQUEST_BODY + 1), origin: 'https://evil.example' } }));
    assert.equal(big.status, 413, 'before the origin check and the login');
    assert.equal(big.close, true);
    assert.equal(seen.length, 0);
  });

  test('the origin check comes before the login: another site gets 403 whatever it holds', async () => {
    const { r, logger } = router(true);
    const reply = asResponse(
      await run(r, 'post', '/api/thing', { headers: { origin: 'https://evil.example', host: 'cam.local', authorization: basic('admin', 's3cret') } }, '{}'),
    );
    assert.equal(reply.status, 403);
    assert.ok(logger.lines.some((l) => l.includes('refused POST /api/thing from 127.0.0.1')));
  });

  test('login: 401 with a challenge without credentials; public routes pass without', async () => {
    const { r, seen } = router(true);
    const refused = asResponse(await run(r, 'get', '/page', {}));
    assert.equal(refused.status, 401);
    assert.match(refused.headers['WWW-Authenticate']!, /^Basic realm="picamd"/);
    assert.equal(asResponse(await run(r, 'get', '/healthz', {})).status, 200);
    assert.equal(seen.length, 0);
  });

  test('a page load with a password gets the session cookie on its own response; a tool does not', async () => {
    const { r, seen } = router(true);
    const page = asResponse(await run(r, 'get', '/page', { headers: { authorization: basic('admin', 's3cret'), 'sec-fetch-dest': 'document' } }));
    assert.equal(page.status, 200);
    assert.match(page.headers['Set-Cookie']!, new RegExp(`^${SESSION_COOKIE}=[^;]+; Path=/; HttpOnly; SameSite=Strict$`));
    assert.equal(seen.at(-1)!.user, 'admin');
    const tool = asResponse(await run(r, 'get', '/page', { headers: { authorization: basic('admin', 's3cret') } }));
    assert.equal(tool.headers['Set-Cookie'], undefined);
    const cookie = page.headers['Set-Cookie']!.split(';')[0]!;
    const withCookie = asResponse(await run(r, 'get', '/page', { headers: { cookie } }));
    assert.equal(withCookie.status, 200);
    assert.equal(withCookie.headers['Set-Cookie'], undefined, 'a session does not make another session');
  });

  test('gates run after the login and skip public routes', async () => {
    const { r, seen } = router(false);
    const gated: string[] = [];
    r.addGate((req) => {
      gated.push(req.path);
      return problem(503, 'not-set-up', 'Not set up yet.');
    });
    assert.equal(asResponse(await run(r, 'get', '/page', {})).status, 503);
    assert.equal(asResponse(await run(r, 'get', '/healthz', {})).status, 200);
    assert.deepEqual(gated, ['/page']);
    assert.equal(seen.length, 0);
  });

  test('the body reaches the route whole; one over the cap is 413 and the route never runs', async () => {
    const { r, seen } = router(false);
    const ok = asResponse(await run(r, 'post', '/api/thing', {}, '{"enabled":true}'));
    assert.deepEqual(JSON.parse(String(ok.body)), { body: '{"enabled":true}', user: null });
    const route = r.find('post', '/api/thing')!;
    const tooLarge = asResponse(await r.handle(route, makeRequest({ method: 'post', path: '/api/thing' }), Promise.resolve({ ok: false, tooLarge: true })));
    assert.equal(tooLarge.status, 413);
    assert.equal(seen.length, 1);
  });

  test('a route that throws, at once or later, answers 500 and is logged', async () => {
    const { r, logger } = router(false);
    assert.equal(asResponse(await run(r, 'get', '/boom', {})).status, 500);
    assert.equal(asResponse(await run(r, 'get', '/late-boom', {})).status, 500);
    assert.ok(logger.lines.some((l) => l.startsWith('error GET /boom failed: Error: bug')));
    assert.ok(logger.lines.some((l) => l.startsWith('error GET /late-boom failed: Error: async bug')));
  });

  test('a request that needs no waiting is answered synchronously, in its handler', () => {
    const { r } = router(false);
    const reply = r.handle(r.find('get', '/page')!, makeRequest({ path: '/page' }));
    assert.ok(!(reply instanceof Promise));
    assert.ok(isTakeover(r.handle(r.find('get', '/take')!, makeRequest({ path: '/take' })) as Reply));
  });
});
