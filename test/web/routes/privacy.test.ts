// POST /api/privacy on a real server when the card cannot take the state file: the camera is
// stopped all the same (fail closed) and the answer, like /api/status, says it was not saved.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PrivacyController } from '../../../src/device/privacy/controller.js';
import { statusSource } from '../../../src/observe/status.js';
import { privacyRoutes } from '../../../src/web/routes/privacy.js';
import { memoryLogger } from '../../fakes/logger.js';
import { FakeCamera, MemoryPrivacyStore } from '../../fakes/privacy.js';
import { startServer, type TestServer } from '../../fakes/server.js';

describe('privacy on a full card', () => {
  let server: TestServer;
  const store = new MemoryPrivacyStore();
  const camera = new FakeCamera();
  const privacy = new PrivacyController({ store, startPaused: false, logger: memoryLogger() });
  privacy.bindCamera(camera);
  const status = () => statusSource({
    deviceName: () => 'cam', version: '0', now: () => 0, startedAtMs: 0,
    memory: () => ({ rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 }),
    camera: { status: () => ({ state: 'paused', detail: '', restarts: 0, lastExit: null }) } as never,
    cameraConfig: () => ({ width: 1, height: 1, framerate: 1 }) as never,
    fpsIn: () => 0, stream: { framesPublished: 0, list: () => [] }, maxViewers: () => 1, privacy,
  })();
  const url = (path: string) => `http://127.0.0.1:${server.port}${path}`;
  const post = (enabled: boolean) =>
    fetch(url('/api/privacy'), { method: 'POST', headers: { Origin: url(''), 'Content-Type': 'application/json' }, body: JSON.stringify({ enabled }) });

  before(async () => {
    await privacy.start();
    server = await startServer({ server: { openViewing: true }, deps: { routes: [privacyRoutes(privacy, { viewers: () => true })] } });
  });
  after(() => server?.stop());

  test('turning privacy on still stops the camera; 200 with notSaved in plain words, in /api/status too, until a save succeeds', async () => {
    store.saveError = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const res = await post(true);
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.privacy.enabled, true);
    assert.equal(camera.paused, true);
    assert.equal(body.privacy.notSaved.error, 'storage-full');
    assert.match(body.privacy.notSaved.message, /^Not saved: the memory card is full\. Privacy is on now, but a restart will not remember it\.$/);
    assert.deepEqual(status().privacy.notSaved, body.privacy.notSaved);
    store.saveError = null;
    const off = await post(false);
    assert.equal(off.status, 200);
    const saved = await off.json();
    assert.equal(saved.privacy.enabled, false);
    assert.equal(saved.privacy.notSaved, undefined);
    assert.equal(status().privacy.notSaved, undefined);
    assert.equal(store.saved.at(-1)?.enabled, false);
  });
});
