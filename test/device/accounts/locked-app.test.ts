import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { hashPassword } from '../../../src/device/accounts/password.js';
import { appConfig, freePort, startApp } from '../../fakes/app.js';

// Issue 20, high: a device claimed through the page whose settings file (and its .prev) a power cut
// destroyed must not open to everyone; a damaged accounts file locks it instead.

const base = (port: number) => `http://127.0.0.1:${port}`;
const basic = (user: string, password: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

async function claimed(t: import('node:test').TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'picamd-accounts-'));
  const port = await freePort();
  const config = appConfig(port, dir, { firstRun: true });
  const first = await startApp(config, { dir, port });
  t.after(() => first.stop());
  const claim = await fetch(`${base(port)}/api/setup`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user: 'owner', password: 'correct horse battery' }),
  });
  assert.equal(claim.status, 200, await claim.text());
  await first.stop();
  return { dir, port, config, settingsFile: join(dir, 'state', 'settings.json') };
}

test('a claimed device whose settings.json and .prev are garbage still needs the login', async (t) => {
  const { dir, port, config, settingsFile } = await claimed(t);
  writeFileSync(settingsFile, 'garbage{');
  writeFileSync(`${settingsFile}.prev`, '\0\0\0');
  const app = await startApp(config, { dir, port });
  t.after(() => app.stop());
  for (const path of ['/api/status', '/snapshot.jpg', '/api/settings', '/api/users']) {
    const res = await fetch(`${base(port)}${path}`);
    assert.equal(res.status, 401, `${path} without a login: ${res.status}\n${app.output()}`);
  }
  const add = await fetch(`${base(port)}/api/users`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'intruder', password: 'intruder password' }),
  });
  assert.equal(add.status, 401);
  const setup = await fetch(`${base(port)}/api/setup`);
  assert.equal(((await setup.json()) as { claimed: boolean }).claimed, true, 'no first-run claim is offered');
  const status = await fetch(`${base(port)}/api/status`, { headers: basic('owner', 'correct horse battery') });
  assert.equal(status.status, 200, 'the owner still logs in');
});

test('a device whose accounts file cannot be read is locked: page, assets and /healthz only, 503 accounts-unreadable for the rest', async (t) => {
  const { dir, port, config } = await claimed(t);
  const accountsFile = join(dir, 'state', 'accounts.json');
  assert.match(readFileSync(accountsFile, 'utf8'), /"owner"/, 'the owner lives in the accounts file');
  writeFileSync(accountsFile, '{"format": 1, "users": [{"name": "owner"');
  const app = await startApp(config, { dir, port });
  t.after(() => app.stop());
  assert.equal((await fetch(`${base(port)}/healthz`)).status, 200);
  const page = await fetch(`${base(port)}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<html/i);
  for (const path of ['/api/status', '/snapshot.jpg', '/stream.mjpg', '/api/settings', '/api/users', '/api/setup', '/metrics', '/nope']) {
    for (const headers of [{}, basic('owner', 'correct horse battery')]) {
      const res = await fetch(`${base(port)}${path}`, { headers });
      assert.equal(res.status, 503, `${path}: ${res.status}`);
      const body = (await res.json()) as { error: string; message: string };
      assert.equal(body.error, 'accounts-unreadable');
      assert.match(body.message, /reset-owner/);
    }
  }
  const claim = await fetch(`${base(port)}/api/setup`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user: 'intruder', password: 'intruder password' }),
  });
  assert.equal(claim.status, 503, 'never the first-run claim');
  assert.match(app.output(), /accounts\.json/);
  assert.match(readFileSync(accountsFile, 'utf8'), /"owner"$/, 'the damaged file is left as it was, for the owner to look at');
});

test('an older device: the users of settings.json move to the accounts file at start, as owners, and leave settings.json', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'picamd-accounts-'));
  const port = await freePort();
  const config = appConfig(port, dir, { firstRun: true });
  const settingsFile = join(dir, 'state', 'settings.json');
  mkdirSync(join(dir, 'state'), { recursive: true });
  const passwordHash = await hashPassword('correct horse battery', { ln: 10, r: 8, p: 1 });
  const legacy = JSON.stringify({ format: 1, savedAt: 'x', settings: { server: { deviceName: 'porch', auth: { users: [{ name: 'old', passwordHash }] } } } });
  writeFileSync(settingsFile, legacy);
  writeFileSync(`${settingsFile}.prev`, legacy);
  const app = await startApp(config, { dir, port });
  t.after(() => app.stop());
  assert.equal((await fetch(`${base(port)}/api/status`)).status, 401);
  const status = await fetch(`${base(port)}/api/status`, { headers: basic('old', 'correct horse battery') });
  assert.equal(status.status, 200);
  assert.equal(((await status.json()) as { device: { name: string } }).device.name, 'porch', 'the settings stay');
  const accounts = JSON.parse(readFileSync(join(dir, 'state', 'accounts.json'), 'utf8'));
  assert.deepEqual(accounts.users, [{ name: 'old', passwordHash, role: 'owner' }]);
  for (const file of [settingsFile, `${settingsFile}.prev`]) assert.doesNotMatch(readFileSync(file, 'utf8'), /scrypt|"old"/, file);
  assert.match(app.output(), /moved 1 user\(s\) from the settings file/);
});
