// Settings, users and the first run against the real app with the simulated camera.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { appConfig, freePort, startApp, type RunningApp } from '../../fakes/app.js';
import { openMjpeg } from '../../fakes/mjpeg-client.js';
import { waitFor } from '../../fakes/wait.js';

async function api(app: RunningApp, method: string, path: string, init: { body?: unknown; headers?: Record<string, string> } = {}) {
  const res = await fetch(`http://127.0.0.1:${app.port}${path}`, {
    method,
    headers: { ...(init.body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...init.headers },
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
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

const basic = (user: string, password: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

async function start(t: import('node:test').TestContext, over: Parameters<typeof appConfig>[2] = {}, env: Record<string, string> = {}) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'picamd-settings-'));
  const app = await startApp(appConfig(port, dir, over), { dir, port, env });
  t.after(() => app.stop());
  return app;
}

/** The argv of the newest camera run, from picamd's log. */
function lastCameraArgs(app: RunningApp): string {
  return app.output().split('\n').filter((l) => l.includes('camera: started ')).at(-1) ?? '';
}

describe('first run', () => {
  test('nothing of the camera before an owner; the page, /healthz and /api/setup answer', async (t) => {
    const app = await start(t, { firstRun: true });
    for (const path of ['/stream.mjpg', '/snapshot.jpg', '/api/status', '/api/settings', '/stream', '/?action=snapshot']) {
      const res = await api(app, 'GET', path);
      assert.equal(res.status, 503, path);
      assert.equal(res.json.error, 'not-set-up', path);
    }
    assert.equal((await api(app, 'GET', '/')).status, 200);
    assert.equal((await api(app, 'GET', '/healthz')).status, 200);
    assert.deepEqual((await api(app, 'GET', '/api/setup')).json, { claimed: false, deviceName: (await api(app, 'GET', '/api/setup')).json.deviceName, openViewing: false, passwordMinimum: 10 });
    assert.equal((await api(app, 'POST', '/api/privacy', { body: { enabled: true } })).status, 503);
  });

  test('a bad claim names every field and changes nothing; the first good claim wins, a concurrent one gets 409', async (t) => {
    const app = await start(t, { firstRun: true });
    const bad = await api(app, 'POST', '/api/setup', { body: { user: '', password: 'short', openViewing: 'yes', extra: 1 } });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json.problems.sort(), ['extra: unknown key', 'openViewing: must be true or false', 'password: must have at least 10 characters', 'user: must not be empty'].sort());
    assert.equal((await api(app, 'GET', '/api/setup')).json.claimed, false);
    const claims = await Promise.all(
      ['ann', 'bob'].map((user) => api(app, 'POST', '/api/setup', { body: { user, password: 'a long passphrase', deviceName: 'porch' } })),
    );
    assert.deepEqual(claims.map((c) => c.status).sort(), [200, 409]);
    const winner = claims.find((c) => c.status === 200)!;
    const cookie = winner.headers.get('set-cookie')!.split(';')[0]!;
    assert.match(cookie, /^picamd_session=/);
    // Claimed: login on, the new owner's session works at once, and the name is the one chosen.
    assert.equal((await api(app, 'GET', '/api/status')).status, 401);
    const status = await api(app, 'GET', '/api/status', { headers: { Cookie: cookie } });
    assert.equal(status.status, 200);
    assert.equal(status.json.device.name, 'porch');
    assert.equal(status.json.setup.claimed, true);
    assert.equal((await api(app, 'POST', '/api/setup', { body: { user: 'eve', password: 'a long passphrase' } })).status, 409);
    const saved = JSON.parse(readFileSync(join(app.dir, 'state', 'accounts.json'), 'utf8'));
    assert.match(saved.users[0].passwordHash, /^\$scrypt\$/);
    assert.equal(saved.users[0].role, 'owner');
    assert.doesNotMatch(readFileSync(join(app.dir, 'state', 'settings.json'), 'utf8'), /scrypt/, 'the users live in the accounts file alone');
    assert.ok(!JSON.stringify(saved).includes('a long passphrase'), 'only the hash is stored');
  });

  test('open viewing: anyone may watch, settings still need the login', async (t) => {
    const app = await start(t, { firstRun: true });
    assert.equal((await api(app, 'POST', '/api/setup', { body: { user: 'ann', password: 'a long passphrase', openViewing: true } })).status, 200);
    assert.equal((await api(app, 'GET', '/api/status')).status, 200);
    const viewer = openMjpeg(app.port);
    t.after(() => viewer.close());
    await waitFor('a frame without a login', () => viewer.frames.length > 0 || viewer.error);
    assert.equal(viewer.status, 200);
    assert.equal((await api(app, 'GET', '/api/settings')).status, 401);
    assert.equal((await api(app, 'GET', '/api/settings', { headers: basic('ann', 'a long passphrase') })).status, 200);
  });
});

describe('settings from the API', () => {
  const owner = basic('ann', 'a long passphrase');
  async function claimed(t: import('node:test').TestContext, env: Record<string, string> = {}) {
    const app = await start(t, { firstRun: true }, env);
    assert.equal((await api(app, 'POST', '/api/setup', { body: { user: 'ann', password: 'a long passphrase' } })).status, 200);
    await waitFor('streaming', async () => (await api(app, 'GET', '/api/status', { headers: owner })).json.camera.state === 'streaming', 20_000);
    return app;
  }

  test('rotation 180: the camera restarts with --rotation 180, the viewer stays connected and frames resume; kept over a restart', async (t) => {
    const app = await claimed(t);
    const viewer = openMjpeg(app.port, '/stream.mjpg', { headers: owner });
    t.after(() => viewer.close());
    await waitFor('frames', () => viewer.frames.length > 2);
    const before = await api(app, 'GET', '/api/settings', { headers: owner });
    assert.equal(before.json.values.camera.rotation, 0);
    assert.equal(before.json.origins['camera.rotation'], 'default');
    const put = await api(app, 'PATCH', '/api/settings', { body: { camera: { rotation: 180 } }, headers: { ...owner, 'If-Match': before.headers.get('etag')! } });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json.values.camera.rotation, 180);
    assert.equal(put.json.origins['camera.rotation'], 'page');
    await waitFor('the new run', () => lastCameraArgs(app).includes('--rotation 180'), 15_000);
    const seen = viewer.frames.length;
    await waitFor('live frames again on the same connection', () => viewer.frames.length > seen + 5, 15_000);
    assert.equal(viewer.error, undefined);
    await waitFor('settings ok', async () => (await api(app, 'GET', '/api/settings', { headers: owner })).json.status.state === 'ok');

    await app.stop();
    const again = await startApp(JSON.parse(readFileSync(app.configFile, 'utf8')), { dir: app.dir, port: app.port });
    t.after(() => again.stop());
    await waitFor('the kept setting in use', () => lastCameraArgs(again).includes('--rotation 180'), 15_000);
  });

  test('invalid values and unknown keys get 400 naming each and change nothing; a stale ETag gets 412', async (t) => {
    const app = await claimed(t);
    const first = await api(app, 'GET', '/api/settings', { headers: owner });
    const bad = await api(app, 'PATCH', '/api/settings', { body: { camera: { framerate: 500, rotation: 90, bogus: 1 } }, headers: owner });
    assert.equal(bad.status, 400);
    assert.ok(bad.json.problems.some((p: string) => p.startsWith('camera.framerate: ')), bad.text);
    assert.ok(bad.json.problems.some((p: string) => p.startsWith('camera.rotation: ')), bad.text);
    assert.ok(bad.json.problems.some((p: string) => p.startsWith('camera.bogus: ')), bad.text);
    const notSettable = await api(app, 'PATCH', '/api/settings', { body: { camera: { command: ['sh'] } }, headers: owner });
    assert.equal(notSettable.status, 400, 'the camera command is the administrator\'s');
    assert.equal((await api(app, 'GET', '/api/settings', { headers: owner })).headers.get('etag'), first.headers.get('etag'), 'nothing changed');
    const ok = await api(app, 'PATCH', '/api/settings', { body: { server: { maxViewers: 3 } }, headers: { ...owner, 'If-Match': first.headers.get('etag')! } });
    assert.equal(ok.status, 200);
    const stale = await api(app, 'PATCH', '/api/settings', { body: { server: { maxViewers: 5 } }, headers: { ...owner, 'If-Match': first.headers.get('etag')! } });
    assert.equal(stale.status, 412);
    assert.equal((await api(app, 'GET', '/api/settings', { headers: owner })).json.values.server.maxViewers, 3);
    const big = await api(app, 'PUT', '/api/settings', { body: { pad: 'x'.repeat(20_000) }, headers: owner });
    assert.equal(big.status, 413);
    assert.ok((await api(app, 'GET', '/api/settings/schema', { headers: owner })).json.properties.camera);
  });

  test('a resolution the camera refuses rolls back by itself, quoting the camera', async (t) => {
    const app = await claimed(t, { PICAMD_SIM_SENSOR: '320x240@30,640x480@30' });
    const res = await api(app, 'PATCH', '/api/settings', { body: { camera: { width: 1280, height: 720 } }, headers: owner });
    assert.equal(res.status, 200);
    const rolled = await waitFor(
      'rolled back',
      async () => {
        const now = await api(app, 'GET', '/api/settings', { headers: owner });
        if (!now.json?.status) throw new Error(`${now.status} ${now.text}`);
        return now.json.status.state === 'rolled-back' ? now.json : undefined;
      },
      20_000,
    );
    assert.equal(rolled.values.camera.width, 320);
    assert.match(rolled.status.message, /ERROR/);
    // What was undone, the camera's own line and the likely cause, for the page to say in plain words.
    assert.deepEqual(rolled.status.undone, [
      { path: 'camera.height', tried: 720, now: 240 },
      { path: 'camera.width', tried: 1280, now: 320 },
    ]);
    assert.match(rolled.status.cameraLine, /^ERROR: \*\*\* 1280x720 is larger than any mode/);
    assert.equal(rolled.status.cause, 'the camera cannot make 1280x720 pictures');
    // ...and its code with the values, for a page in another language.
    assert.equal(rolled.status.causeCode, 'size-unsupported');
    assert.deepEqual(rolled.status.causeParams, { width: 1280, height: 720 });
    await waitFor('streaming on the old settings', async () => (await api(app, 'GET', '/api/status', { headers: owner })).json.camera.state === 'streaming', 20_000);
  });

  test('users: change your own password (current required), add and remove, never the last one', async (t) => {
    const app = await claimed(t);
    const wrong = await api(app, 'POST', '/api/users/password', { body: { current: 'nope nope nope', password: 'another long one' }, headers: owner });
    assert.equal(wrong.status, 403);
    const changed = await api(app, 'POST', '/api/users/password', { body: { current: 'a long passphrase', password: 'another long one' }, headers: owner });
    assert.equal(changed.status, 200, changed.text);
    assert.equal((await api(app, 'GET', '/api/status', { headers: owner })).status, 401, 'the old password stops working at once');
    const now = basic('ann', 'another long one');
    assert.equal((await api(app, 'GET', '/api/status', { headers: now })).status, 200);
    const users = await api(app, 'GET', '/api/users', { headers: now });
    assert.deepEqual(users.json, { users: [{ name: 'ann', role: 'owner', inConfig: false }], openViewing: false, me: 'ann' });
    assert.ok(!users.text.includes('scrypt'));
    assert.equal((await api(app, 'DELETE', '/api/users/ann', { headers: now })).status, 409, 'the last owner');
    assert.equal((await api(app, 'POST', '/api/users', { body: { name: 'bob', password: 'bobs long password' }, headers: now })).status, 200);
    assert.equal((await api(app, 'GET', '/api/status', { headers: basic('bob', 'bobs long password') })).status, 200);
    assert.equal((await api(app, 'DELETE', '/api/users/bob', { headers: now })).status, 200);
    assert.equal((await api(app, 'POST', '/api/users/open-viewing', { body: { enabled: true }, headers: now })).status, 400, 'needs the confirmation');
  });
});
