import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deviceModel } from '../../../src/platform/board.js';
import { mqttPrivacyPort, mqttStatusSnapshot, pageUrl } from '../../../src/integrations/mqtt/adapters.js';
import { PrivacyController } from '../../../src/device/privacy/controller.js';
import { memoryLogger } from '../../fakes/logger.js';
import { FakeCamera, MemoryPrivacyStore } from '../../fakes/privacy.js';

test('MQTT privacy commands go through the real controller: saved as "mqtt", refused while the switch holds privacy on', async () => {
  const store = new MemoryPrivacyStore();
  const privacy = new PrivacyController({ store, startPaused: false, logger: memoryLogger() });
  const camera = new FakeCamera();
  privacy.bindCamera(camera);
  await privacy.start();
  const setPrivacy = mqttPrivacyPort(privacy);

  assert.deepEqual(setPrivacy(true), { ok: true });
  assert.equal(privacy.state.source, 'mqtt');
  assert.equal(camera.paused, true);
  await privacy.flush();
  assert.equal(store.saved.at(-1)?.source, 'mqtt', 'the state file accepts the new source');

  privacy.setSwitch(true);
  const refused = setPrivacy(false);
  assert.equal(refused.ok, false);
  assert.match(refused.ok ? '' : refused.message, /privacy switch/);
  assert.equal(privacy.enabled, true);
  assert.equal(camera.paused, true);
  await privacy.stop();
});

test('the status snapshot comes from the same values as /api/status', () => {
  assert.deepEqual(
    mqttStatusSnapshot({ camera: { state: 'backoff', restarts: 4 }, fpsIn: 0, viewers: 3, nowMs: 90_000, startedAtMs: 30_000, privacy: { enabled: false } }),
    { cameraState: 'backoff', fps: 0, viewers: 3, restarts: 4, uptimeS: 60, privacy: false, wifiSignalDbm: null, storage: null },
  );
  const base = { camera: { state: 'streaming' as const, restarts: 0 }, fpsIn: 30, viewers: 0, nowMs: 1, startedAtMs: 0, privacy: { enabled: false } };
  assert.equal(mqttStatusSnapshot({ ...base, network: { kind: 'wifi', signalDbm: -61 } }).wifiSignalDbm, -61);
  assert.equal(mqttStatusSnapshot({ ...base, network: { kind: 'ethernet', signalDbm: null } }).wifiSignalDbm, null);
  assert.equal(mqttStatusSnapshot({ ...base, network: null }).wifiSignalDbm, null);
  assert.equal(mqttStatusSnapshot({ ...base, storage: { state: 'read-only' } }).storage, 'read-only');
});

test('device model from the device tree, and the page URL for the device card', () => {
  assert.equal(deviceModel(() => 'Raspberry Pi Zero 2 W Rev 1.0\0'), 'Raspberry Pi Zero 2 W Rev 1.0');
  assert.equal(
    deviceModel(() => {
      throw new Error('ENOENT');
    }),
    'unknown board',
  );
  assert.equal(pageUrl('kitchen', 80, false), 'http://kitchen.local/');
  assert.equal(pageUrl('kitchen', 443, true), 'https://kitchen.local/');
  assert.equal(pageUrl('kitchen', 8080, false), 'http://kitchen.local:8080/');
});
