import assert from 'node:assert/strict';
import { request, type IncomingHttpHeaders } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { Authenticator } from '../../../src/web/server/auth/authenticator.js';
import { LoginLimiter } from '../../../src/web/server/auth/limiter.js';
import { hashPassword } from '../../../src/device/accounts/password.js';
import { EventHub } from '../../../src/web/routes/events.js';
import { SESSION_COOKIE } from '../../../src/web/server/login.js';
import { crossSiteReason, isPageLoad } from '../../../src/web/server/origin.js';
import { MAX_REQUEST_BODY, Router } from '../../../src/web/server/router.js';
import type { MjpegViewer } from '../../../src/web/streaming/mjpeg-route.js';
import { privacyRoutes } from '../../../src/web/routes/privacy.js';
import type { PrivacyState } from '../../../src/device/privacy/store.js';
import { Broadcaster } from '../../../src/media/broadcaster.js';
import { loadFixtures } from '../../fixtures/jpeg/index.js';
import { memoryLogger } from '../../fakes/logger.js';
import { openMjpeg } from '../../fakes/mjpeg-client.js';
import { makeRequest } from '../../fakes/request.js';
import { startServer, type TestServer } from '../../fakes/server.js';
import { waitFor } from '../../fakes/wait.js';
import { openWs } from '../../fakes/ws-client.js';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP/1.1 request on its own connection, with full control of headers and source address. */
export function call(
  port: number,
  path: string,
  { method = 'GET', headers = {}, body, localAddress }: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, localAddress, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('pure checks', () => {
  test('cross-site requests are told apart from the page and from tools', () => {
    assert.equal(crossSiteReason('', 'cam.local', '', 'http:'), undefined, 'curl: no Origin');
    assert.equal(crossSiteReason('http://192.168.1.20', '192.168.1.20', '', 'http:'), undefined);
    assert.equal(crossSiteReason('http://picamd.local:8080', 'PICAMD.local:8080', '', 'http:'), undefined, 'host names ignore case');
    assert.ok(crossSiteReason('http://picamd.local', 'picamd.local:8080', '', 'http:'), 'another port is another site');
    assert.ok(crossSiteReason('https://evil.example', '192.168.1.20', '', 'http:'));
    assert.ok(crossSiteReason('null', '192.168.1.20', '', 'http:'), 'an opaque origin');
    assert.equal(crossSiteReason('', 'cam.local', 'none', 'http:'), undefined);
    assert.equal(crossSiteReason('http://cam.local', 'cam.local', 'same-origin', 'http:'), undefined);
    assert.equal(crossSiteReason('http://cam.local', 'cam.local:80', '', 'http:'), undefined, 'default port');
    assert.equal(crossSiteReason('https://cam.local', 'CAM.local:443', '', 'https:'), undefined);
    // Scheme, host and port: under TLS a page served over plain http is another origin.
    assert.match(crossSiteReason('http://cam.local', 'cam.local', '', 'https:')!, /another site \(http:\/\/cam\.local\)/);
    assert.match(crossSiteReason('http://cam.local:443', 'cam.local:443', '', 'https:')!, /another site/);
    assert.match(crossSiteReason('https://cam.local', 'cam.local', '', 'http:')!, /another site/);
    assert.equal(crossSiteReason('http://[::1]:8080', '[::1]:8080', '', 'http:'), undefined);
    assert.match(crossSiteReason('http://evil.example', 'cam.local', '', 'http:')!, /another site \(http:\/\/evil\.example\)/);
    assert.match(crossSiteReason('http://cam.local:8081', 'cam.local:8080', '', 'http:')!, /another site/, 'another port is another origin');
    assert.match(crossSiteReason('null', 'cam.local', '', 'http:')!, /unknown origin/);
    assert.match(crossSiteReason('chrome-extension://abc', 'cam.local', '', 'http:')!, /unknown origin/);
    assert.match(crossSiteReason('', 'cam.local', 'cross-site', 'http:')!, /Sec-Fetch-Site: cross-site/);
    assert.match(crossSiteReason('http://cam.local', '', '', 'http:')!, /another site/, 'no Host, no match');
  });

  test('a page load is a GET for a document', () => {
    const req = (method: string, headers: Record<string, string>) => makeRequest({ method, headers });
    assert.equal(isPageLoad(req('get', { 'sec-fetch-dest': 'document' })), true);
    assert.equal(isPageLoad(req('get', { accept: 'text/html,application/xhtml+xml' })), true);
    assert.equal(isPageLoad(req('get', { 'sec-fetch-dest': 'image', accept: 'text/html' })), false);
    assert.equal(isPageLoad(req('get', { accept: '*/*' })), false, 'ffmpeg, curl');
    assert.equal(isPageLoad(req('post', { 'sec-fetch-dest': 'document' })), false);
  });
});

describe('login on a real server', () => {
  const fixtures = loadFixtures().map((f) => f.bytes);
  const logger = memoryLogger();
  let privacy: PrivacyState = { enabled: false, source: 'boot', since: new Date(0).toISOString() };
  const privacyPort = {
    set: (enabled: boolean) => {
      privacy = { enabled, source: 'api', since: new Date().toISOString() };
      return { ok: true as const, changed: true, state: privacy };
    },
    flush: async () => {},
  };
  const hub = new EventHub({
    status: () => ({ privacy }),
    logger: memoryLogger(),
    timers: { setInterval, clearInterval: (h) => clearInterval(h as NodeJS.Timeout) },
    now: () => performance.now(),
  });
  const page = (router: Router) => {
    router.get('/', () => ({ status: 200, headers: { 'Content-Type': 'text/html' }, body: '<h1>picamd</h1>' }));
  };
  const broadcaster = new Broadcaster<MjpegViewer>(() => performance.now(), 8);
  let server: TestServer;
  let port = 0;
  let limiter: LoginLimiter;

  before(async () => {
    const cheap = { ln: 10, r: 8, p: 1 };
    const users = [
      { name: 'admin', passwordHash: await hashPassword('s3cret', cheap) },
      { name: 'late', passwordHash: await hashPassword('first-post', cheap) },
    ];
    limiter = new LoginLimiter({ freeFailures: 2, baseDelayMs: 60_000 });
    hub.start();
    server = await startServer({
      server: { auth: { users } },
      deps: {
        broadcaster,
        status: () => ({ ok: 1 }),
        snapshot: () => ({ jpeg: fixtures[0]! }),
        logger,
        routes: [privacyRoutes(privacyPort), hub.route, page],
        authenticator: new Authenticator({ users, limiter }),
      },
    });
    port = server.port;
  });
  after(() => {
    hub.stop();
    server.stop();
  });

  test('/healthz is open; everything else answers 401 with a Basic challenge', async () => {
    assert.equal((await call(port, '/healthz')).status, 200);
    for (const [method, path] of [
      ['GET', '/'],
      ['GET', '/stream.mjpg'],
      ['GET', '/snapshot.jpg'],
      ['GET', '/api/status'],
      ['POST', '/api/privacy'],
      ['GET', '/no-such-page'],
      ['DELETE', '/stream.mjpg'],
    ] as const) {
      const reply = await call(port, path, { method, body: method === 'POST' ? '{"enabled":true}' : undefined });
      assert.equal(reply.status, 401, `${method} ${path}`);
      assert.equal(reply.headers['www-authenticate'], 'Basic realm="picamd", charset="UTF-8"');
      assert.equal(JSON.parse(reply.body).error, 'unauthorized');
    }
    const ws = await openWs(port, {});
    assert.equal(ws.status, 401, 'the WebSocket too');
    assert.equal(privacy.enabled, false, 'nothing changed');
  });

  test('Basic opens the stream for tools (ffmpeg, VLC, Home Assistant) and sets no cookie', async () => {
    const client = openMjpeg(port, '/stream.mjpg', { headers: { Authorization: basic('admin', 's3cret') } });
    await client.ready;
    assert.equal(client.status, 200);
    assert.equal(client.headers['set-cookie'], undefined);
    await waitFor('viewer', () => broadcaster.viewerCount === 1);
    broadcaster.publish(fixtures[1]!, true);
    await waitFor('a frame', () => client.count >= 1 || client.error);
    assert.ok(client.frames.at(-1)!.equals(fixtures[1]!));
    client.close();
    await waitFor('viewer gone', () => broadcaster.viewerCount === 0);
    const snap = await call(port, '/snapshot.jpg', { headers: { Authorization: basic('admin', 's3cret') } });
    assert.equal(snap.status, 200);
  });

  test('a page load with Basic sets a session cookie that then carries stream, API, POST and WebSocket', async () => {
    const load = await call(port, '/', { headers: { Authorization: basic('admin', 's3cret'), 'Sec-Fetch-Dest': 'document' } });
    assert.equal(load.status, 200);
    assert.equal(load.body, '<h1>picamd</h1>');
    const setCookie = load.headers['set-cookie']![0]!;
    assert.match(setCookie, new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict$`));
    const cookie = setCookie.split(';')[0]!;
    assert.equal((await call(port, '/api/status', { headers: { Cookie: cookie } })).status, 200);
    const post = await call(port, '/api/privacy', {
      method: 'POST',
      headers: { Cookie: cookie, Origin: `http://127.0.0.1:${port}`, 'Content-Type': 'application/json' },
      body: '{"enabled":true}',
    });
    assert.equal(post.status, 200, post.body);
    assert.equal(privacy.enabled, true);
    const client = openMjpeg(port, '/stream.mjpg', { headers: { Cookie: cookie } });
    await client.ready;
    assert.equal(client.status, 200);
    client.close();
    const ws = await openWs(port, { Cookie: cookie, Origin: `http://127.0.0.1:${port}` });
    assert.equal(ws.status, 101);
    await waitFor('status message', () => ws.messages.length >= 1);
    ws.socket!.destroy();
    assert.equal((await call(port, '/api/status', { headers: { Cookie: `${SESSION_COOKIE}=${'A'.repeat(43)}` } })).status, 401, 'a made-up token');
  });

  test('a first request that needs a password check keeps its body (POST with Basic)', async () => {
    const post = await call(port, '/api/privacy', {
      method: 'POST',
      headers: { Authorization: basic('late', 'first-post'), 'Content-Type': 'application/json' },
      body: '{"enabled":false}',
    });
    assert.equal(post.status, 200, post.body);
    assert.equal(JSON.parse(post.body).privacy.enabled, false);
    assert.equal(privacy.enabled, false);
    assert.ok(logger.lines.some((l) => /late logged in from 127\.0\.0\.1/.test(l)));
  });

  test('another site cannot change state or open the WebSocket, whatever credentials the browser holds', async () => {
    const before = privacy.enabled;
    const post = await call(port, '/api/privacy', {
      method: 'POST',
      headers: { Authorization: basic('admin', 's3cret'), Origin: 'http://evil.example', 'Content-Type': 'application/json' },
      body: JSON.stringify({ enabled: !before }),
    });
    assert.equal(post.status, 403);
    assert.equal(JSON.parse(post.body).error, 'cross-origin');
    assert.equal(privacy.enabled, before);
    const ws = await openWs(port, { Authorization: basic('admin', 's3cret'), Origin: 'http://evil.example' });
    assert.equal(ws.status, 403);
    assert.ok(logger.lines.some((l) => /refused POST \/api\/privacy from 127\.0\.0\.1: a request from another site/.test(l)));
  });

  test('wrong passwords are logged and, after two, the address must wait; other addresses are not affected', async () => {
    const from = '127.0.0.7';
    for (const n of [1, 2]) {
      const reply = await call(port, '/api/status', { headers: { Authorization: basic('admin', `guess${n}`) }, localAddress: from });
      assert.equal(reply.status, 401);
      assert.equal(JSON.parse(reply.body).message, 'Wrong user name or password.');
    }
    const third = await call(port, '/api/status', { headers: { Authorization: basic('admin', 'guess3') }, localAddress: from });
    assert.equal(third.status, 401);
    const limited = await call(port, '/api/status', { headers: { Authorization: basic('late', 'first-post-not') }, localAddress: from });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers['retry-after'], '60');
    assert.match(JSON.parse(limited.body).message, /Too many failed logins/);
    assert.ok(logger.lines.some((l) => l.includes(`failed login as "admin" from ${from} (1 in a row)`)));
    assert.ok(logger.lines.some((l) => l.includes(`failed login as "admin" from ${from} (3 in a row; next try allowed in 60 s)`)));
    const other = await call(port, '/api/status', { headers: { Authorization: basic('admin', 's3cret') }, localAddress: '127.0.0.8' });
    assert.equal(other.status, 200);
    limiter.succeed(from);
  });

  test('a declared body over the cap is refused at once, before it is sent', async () => {
    const reply = await new Promise<{ status: number; closed: boolean }>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1',
        port,
        path: '/api/privacy',
        method: 'POST',
        agent: false,
        headers: { 'Content-Length': String(100 * 1024 * 1024), Authorization: basic('admin', 's3cret') },
      });
      req.on('response', (res) => {
        res.resume();
        res.on('close', () => resolve({ status: res.statusCode!, closed: true }));
      });
      req.on('error', reject);
      req.write('{"enabled":'); // and nothing more
    });
    assert.equal(reply.status, 413);
    assert.ok(MAX_REQUEST_BODY < 100 * 1024 * 1024);
  });
});

