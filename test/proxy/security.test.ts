// The login, the Host and Origin checks and the login limiter through real reverse proxies: Debian's
// nginx in the configuration docs/integrations.md gives, and Caddy in its default one. picamd behind
// them twice: once trusting the proxy (server.trustedProxies), once not. The test's clients connect
// to the proxy from 127.0.0.2 and 127.0.0.3, the proxies to picamd from 127.0.0.1, so the address
// picamd counts failed logins against shows whether it believed the proxy.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { hashPassword } from '../../src/device/accounts/password.js';
import { appConfig, freePort, startApp, type RunningApp } from '../fakes/app.js';
import { CADDY, NGINX, skipWithout, startCaddy, startNginx, type RunningProxy } from '../fakes/proxies.js';
import { openWs } from '../fakes/ws-client.js';

const PASSWORD = 'correct horse battery';
const users = [{ name: 'admin', passwordHash: await hashPassword(PASSWORD, { ln: 10, r: 8, p: 1 }) }];
const basic = (password: string) => `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;

/** The nginx location docs/integrations.md recommends, for picamd at 127.0.0.1:port. */
export function recommendedNginx(upstream: number): string {
  return `location / {
      proxy_pass http://127.0.0.1:${upstream};
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host "";
      proxy_set_header Forwarded "";
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
    }`;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request through the proxy, from `from`, with exactly these headers (Host included). */
function send(port: number, from: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, localAddress: from, method, path, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface Setup {
  trusting: RunningApp;
  plain: RunningApp;
  /** Proxy ports in front of each. */
  toTrusting: number;
  toPlain: number;
}

async function setUp(t: TestContext, kind: 'nginx' | 'caddy'): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), `picamd-${kind}-security-`));
  const [trustingPort, plainPort, toTrusting, toPlain] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const start = (port: number, name: string, trustedProxies: string[]) => {
    const appDir = join(dir, name);
    return startApp(appConfig(port, appDir, { server: { auth: { users }, trustedProxies } }), { dir: mkdtempSync(`${appDir}-`), port });
  };
  const trusting = await start(trustingPort, 'trusting', ['127.0.0.1']);
  t.after(() => trusting.stop());
  const plain = await start(plainPort, 'plain', []);
  t.after(() => plain.stop());
  let proxy: RunningProxy;
  if (kind === 'nginx') {
    // Two listeners: startNginx serves the first; the second server block rides in its http block.
    proxy = await startNginx(
      dir,
      toTrusting,
      `${recommendedNginx(trustingPort)}
    # The recipe before it cleared the forwarded host: nginx passes a client's own on.
    location /passthrough/ {
      proxy_pass http://127.0.0.1:${trustingPort}/;
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    listen 127.0.0.1:${toPlain};
    ${recommendedNginx(plainPort)}`,
    );
  } else {
    proxy = await startCaddy(
      dir,
      toTrusting,
      `http://:${toTrusting} {
	bind 127.0.0.1
	reverse_proxy 127.0.0.1:${trustingPort}
}
http://:${toPlain} {
	bind 127.0.0.1
	reverse_proxy 127.0.0.1:${plainPort}
}`,
    );
  }
  t.after(() => proxy.stop());
  return { trusting, plain, toTrusting, toPlain };
}

for (const kind of ['nginx', 'caddy'] as const) {
  const skip = kind === 'nginx' ? skipWithout(NGINX, 'nginx-light') : skipWithout(CADDY, 'caddy');
  describe(`through ${kind}`, { skip, timeout: 120_000 }, () => {
    test('login, Host and Origin checks, and the limiter on the real client address when the proxy is trusted', async (t) => {
      const { trusting, plain, toTrusting, toPlain } = await setUp(t, kind);
      for (const port of [toTrusting, toPlain]) {
        const host = `127.0.0.1:${port}`;
        // Login required through the proxy.
        assert.equal((await send(port, '127.0.0.2', 'GET', '/api/status', { Host: host })).status, 401);
        const ok = await send(port, '127.0.0.2', 'GET', '/api/status', { Host: host, Authorization: basic(PASSWORD) });
        assert.equal(ok.status, 200, ok.body);
        // A name the device does not answer to: 421 (DNS rebinding), through the proxy too.
        const rebound = await send(port, '127.0.0.2', 'GET', '/api/status', { Host: 'evil.example', Authorization: basic(PASSWORD) });
        assert.equal(rebound.status, 421, rebound.body);
        // A rebound page that adds a forwarded host of the device itself: 421 too.
        for (const header of [{ 'X-Forwarded-Host': host }, { Forwarded: `host="${host}"` }] as Array<Record<string, string>>) {
          const forged = await send(port, '127.0.0.2', 'GET', '/api/status', { Host: 'evil.example', Authorization: basic(PASSWORD), ...header });
          assert.equal(forged.status, 421, `${JSON.stringify(header)}: ${forged.body}`);
        }
        // Another site's page driving the visitor's browser: 403; the device's own page: 200.
        const privacy = (origin: string) =>
          send(port, '127.0.0.2', 'POST', '/api/privacy', { Host: host, Origin: origin, Authorization: basic(PASSWORD), 'Content-Type': 'application/json' }, '{"enabled": false}');
        assert.equal((await privacy('http://evil.example')).status, 403);
        const own = await privacy(`http://${host}`);
        assert.equal(own.status, 200, own.body);
        // The page's live updates (a WebSocket) pass the proxy, from the page's own origin only.
        const events = (origin: string) => openWs(port, { Host: host, Origin: origin, Authorization: basic(PASSWORD) });
        assert.equal((await events('http://evil.example')).status, 403);
        const ws = await events(`http://${host}`);
        ws.socket?.destroy();
        assert.equal(ws.status, 101);
      }
      if (kind === 'nginx') {
        // Even behind a proxy that passes a client's forwarded host on, picamd checks Host and it.
        const host = `127.0.0.1:${toTrusting}`;
        for (const header of [{ 'X-Forwarded-Host': host }, { Forwarded: `host="${host}"` }] as Array<Record<string, string>>) {
          const passed = await send(toTrusting, '127.0.0.2', 'GET', '/passthrough/api/status', { Host: 'evil.example', Authorization: basic(PASSWORD), ...header });
          assert.equal(passed.status, 421, `${JSON.stringify(header)}: ${passed.body}`);
        }
        const own = await send(toTrusting, '127.0.0.2', 'GET', '/passthrough/api/status', { Host: host, Authorization: basic(PASSWORD), 'X-Forwarded-Host': host });
        assert.equal(own.status, 200, own.body);
      }
      // Six wrong passwords from 127.0.0.2: five are free, the sixth makes that address wait.
      for (const port of [toTrusting, toPlain]) {
        for (let i = 0; i < 6; i++) {
          const wrong = await send(port, '127.0.0.2', 'GET', '/api/status', { Host: `127.0.0.1:${port}`, Authorization: basic(`wrong${i}`) });
          assert.equal(wrong.status, 401, wrong.body);
        }
      }
      // Right away, the right password from another client, 127.0.0.3.
      const other = (port: number) => send(port, '127.0.0.3', 'GET', '/api/status', { Host: `127.0.0.1:${port}`, Authorization: basic(PASSWORD) });
      // Trusted: the limiter counted 127.0.0.2; 127.0.0.3 is let in.
      assert.equal((await other(toTrusting)).status, 200);
      assert.match(trusting.output(), /failed login as "admin" from 127\.0\.0\.2 \(6 in a row/);
      // Not trusted: every client is the proxy's address to picamd, so 127.0.0.3 waits too.
      assert.equal((await other(toPlain)).status, 429);
      assert.match(plain.output(), /failed login as "admin" from 127\.0\.0\.1 \(6 in a row/);
      assert.doesNotMatch(plain.output(), /127\.0\.0\.2/);
    });
  });
}
