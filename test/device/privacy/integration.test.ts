import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { readSimStamp } from '../../../src/sim/stamp.js';
import { startApp, status } from '../../fakes/app.js';
import { get, openMjpeg } from '../../fakes/mjpeg-client.js';
import { processExists, waitFor } from '../../fakes/wait.js';

function setPrivacy(port: number, body: string) {
  return get(port, '/api/privacy', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
}

const isLive = (frame: Buffer | undefined) => frame !== undefined && readSimStamp(frame) !== undefined;

test('privacy through the API stops the camera process, survives a restart, and resumes on the same connection', async () => {
  let app = await startApp();
  const { dir, port } = app;
  try {
    const viewer = openMjpeg(port);
    await waitFor('live frames', () => isLive(viewer.frames.at(-1)));
    const cameraPid = (await status(port)).camera.pid as number;
    assert.ok(processExists(cameraPid));

    const on = await setPrivacy(port, '{"enabled": true}');
    assert.equal(on.status, 200);
    const body = JSON.parse(on.body.toString());
    assert.equal(body.privacy.enabled, true);
    assert.equal(body.privacy.source, 'api');
    const saved = JSON.parse(readFileSync(`${dir}/state/privacy.json`, 'utf8'));
    assert.equal(saved.enabled, true, 'the state is on disk by the time the API answers');

    const t0 = performance.now();
    await waitFor('camera process gone', () => !processExists(cameraPid), 2_000, 10);
    const stoppedMs = performance.now() - t0;
    assert.ok(stoppedMs < 1_500, `camera stopped ${stoppedMs.toFixed(0)} ms after the request`);
    const s = await status(port);
    assert.equal(s.camera.state, 'paused');
    assert.equal(s.camera.pid, null);
    assert.equal(s.privacy.enabled, true);
    assert.equal(s.privacy.source, 'api');

    const before = viewer.count;
    await waitFor('privacy placeholders', () => viewer.count >= before + 2, 5_000);
    assert.equal(isLive(viewer.frames.at(-1)), false, 'viewers get the placeholder, not camera frames');
    assert.equal(viewer.closed, false);

    const snap = await get(port, '/snapshot.jpg');
    assert.equal(snap.status, 503);
    assert.equal(JSON.parse(snap.body.toString()).error, 'privacy');


    // A restart (or a power cut) keeps the device private; the camera never starts.
    viewer.close();
    assert.equal((await app.stop()).code, 0);
    app = await startApp(undefined, { dir, port });
    const after = await status(port);
    assert.equal(after.privacy.enabled, true);
    assert.equal(after.camera.state, 'paused');
    assert.doesNotMatch(app.output(), /camera: started/);

    const viewer2 = openMjpeg(port);
    await waitFor('placeholder after restart', () => viewer2.count >= 1);
    assert.equal(isLive(viewer2.frames[0]), false);

    const off = await setPrivacy(port, '{"enabled": false}');
    assert.equal(off.status, 200);
    await waitFor('live frames on the same connection', () => isLive(viewer2.frames.at(-1)), 10_000);
    assert.equal(viewer2.closed, false);
    assert.equal((await get(port, '/snapshot.jpg')).status, 200);
    viewer2.close();
  } finally {
    await app.stop();
  }
});

test('POST /api/privacy rejects bad bodies clearly', async () => {
  const app = await startApp();
  try {
    for (const [body, pattern] of [
      ['not json', /not valid JSON/],
      ['{"enabled": "yes"}', /"enabled" must be true or false/],
      ['{"enabled": true, "x": 1}', /Unknown field/],
      ['[]', /JSON object/],
    ] as const) {
      const r = await setPrivacy(app.port, body);
      assert.equal(r.status, 400, body);
      assert.match(JSON.parse(r.body.toString()).message, pattern);
    }
    const huge = await setPrivacy(app.port, JSON.stringify({ enabled: true, pad: 'x'.repeat(100_000) }));
    assert.equal(huge.status, 413);
    assert.equal((await get(app.port, '/api/privacy')).status, 405);
    assert.equal((await status(app.port)).privacy.enabled, false, 'nothing changed');
  } finally {
    await app.stop();
  }
});
