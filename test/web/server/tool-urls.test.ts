// The URLs other tools hard-code and GET /metrics, on the real app with the simulated camera.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { hashPassword } from '../../../src/device/accounts/password.js';
import { appConfig, freePort, startApp } from '../../fakes/app.js';
import { get, openMjpeg } from '../../fakes/mjpeg-client.js';
import { waitFor } from '../../fakes/wait.js';
import { parseExposition } from '../../fakes/exposition-parser.js';

const auth = { Authorization: `Basic ${Buffer.from('ann:a long passphrase').toString('base64')}` };

async function start(t: import('node:test').TestContext, metricsOpen: boolean) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'picamd-tools-'));
  const users = [{ name: 'ann', passwordHash: await hashPassword('a long passphrase', { ln: 10, r: 8, p: 1 }) }];
  const config = { ...appConfig(port, dir, { server: { auth: { users } } }), metrics: { open: metricsOpen } };
  const app = await startApp(config, { dir, port });
  t.after(() => app.stop());
  await waitFor('a live frame', async () => (await get(port, '/snapshot.jpg', { headers: auth })).status === 200, 20_000);
  return app;
}

test("mjpg-streamer's, µStreamer's and camera-streamer's URLs stream and snapshot with the same login and ?fps", async (t) => {
  const app = await start(t, false);
  for (const path of ['/?action=snapshot', '/snapshot']) {
    assert.equal((await get(app.port, path)).status, 401, `${path} needs the login`);
    const shot = await get(app.port, path, { headers: auth });
    assert.equal(shot.status, 200, path);
    assert.equal(shot.headers.get('content-type'), 'image/jpeg');
    assert.deepEqual([...shot.body.subarray(0, 2)], [0xff, 0xd8]);
  }
  for (const path of ['/?action=stream', '/stream', '/?action=stream&fps=5']) {
    const viewer = openMjpeg(app.port, path, { headers: auth });
    t.after(() => viewer.close());
    await waitFor(`frames from ${path}`, () => viewer.frames.length >= 3 || viewer.error, 15_000);
    assert.equal(viewer.status, 200, path);
    assert.match(String(viewer.headers['content-type']), /^multipart\/x-mixed-replace/);
    viewer.close();
  }
  assert.equal((await get(app.port, '/?action=stream&fps=0.001', { headers: auth })).status, 400, 'the same ?fps rules');
  const page = await get(app.port, '/', { headers: auth });
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/, 'plain / is still the page');
});

test('/metrics: Prometheus text behind the login, open when metrics.open', async (t) => {
  const closed = await start(t, false);
  assert.equal((await get(closed.port, '/metrics')).status, 401);
  const scrape = await get(closed.port, '/metrics', { headers: auth });
  assert.equal(scrape.status, 200);
  assert.match(scrape.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const families = parseExposition(scrape.body.toString());
  for (const name of ['picamd_camera_frames_total', 'picamd_viewers', 'picamd_privacy_enabled']) assert.ok(families.has(name), `${name} in ${[...families.keys()].join(', ')}`);
  const open = await start(t, true);
  assert.equal((await get(open.port, '/metrics')).status, 200);
  assert.equal((await get(open.port, '/api/status')).status, 401, 'only /metrics opens');
});
