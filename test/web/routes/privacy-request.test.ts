import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePrivacyRequest, respondToPrivacyRequest } from '../../../src/web/routes/privacy-request.js';
import { PrivacyController } from '../../../src/device/privacy/controller.js';
import { memoryLogger } from '../../fakes/logger.js';
import { FakeCamera, MemoryPrivacyStore } from '../../fakes/privacy.js';

test('parsePrivacyRequest accepts exactly {"enabled": boolean}', () => {
  assert.deepEqual(parsePrivacyRequest('{"enabled": true}'), { ok: true, enabled: true });
  assert.deepEqual(parsePrivacyRequest(Buffer.from('{"enabled":false}')), { ok: true, enabled: false });
  const bad: Array<[string, RegExp]> = [
    ['', /^Body is not valid JSON/],
    ['enabled=true', /^Body is not valid JSON/],
    ['true', /^Body must be a JSON object/],
    ['[{"enabled": true}]', /^Body must be a JSON object/],
    ['null', /^Body must be a JSON object/],
    ['{}', /"enabled" must be true or false \(got nothing\)/],
    ['{"enabled": "true"}', /"enabled" must be true or false \(got "true"\)/],
    ['{"enabled": 1}', /got 1/],
    ['{"enabled": true, "until": 5}', /^Unknown field\(s\) "until"/],
  ];
  for (const [body, message] of bad) {
    const result = parsePrivacyRequest(body);
    assert.equal(result.ok, false, body.slice(0, 40));
    assert.match(result.ok ? '' : result.message, message, body.slice(0, 40));
  }
});

test('respondToPrivacyRequest: 200 with the new state, 400 for a bad body, 409 while the switch is on', async () => {
  const privacy = new PrivacyController({ store: new MemoryPrivacyStore(), startPaused: false, logger: memoryLogger() });
  const camera = new FakeCamera();
  privacy.bindCamera(camera);
  await privacy.start();

  const on = respondToPrivacyRequest(privacy, '{"enabled": true}');
  assert.equal(on.status, 200);
  assert.deepEqual(on.body, { privacy: privacy.state });
  assert.equal(privacy.state.source, 'api');
  assert.equal(camera.paused, true);

  const bad = respondToPrivacyRequest(privacy, '{"enabled": "no"}');
  assert.equal(bad.status, 400);
  assert.equal((bad.body as { error: string }).error, 'bad-request');
  assert.equal(privacy.enabled, true, 'a bad body changes nothing');

  privacy.setSwitch(true);
  const conflict = respondToPrivacyRequest(privacy, '{"enabled": false}');
  assert.equal(conflict.status, 409);
  assert.deepEqual(conflict.body, {
    error: 'privacy-switch-on',
    message: 'The privacy switch on the device is on; turn the switch off to turn privacy off.',
    privacy: privacy.state,
  });
  assert.equal(camera.paused, true);
});
