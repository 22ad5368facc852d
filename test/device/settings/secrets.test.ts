import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maskSecrets, restoreSecrets, SECRET_PLACEHOLDER } from '../../../src/device/settings/secrets.js';

test('the placeholder sent back is restored and named as kept; a typed password is not', () => {
  const current = { mqtt: { url: 'mqtt://broker.lan', username: 'cam', password: 'secret' } };
  assert.equal((maskSecrets(current).mqtt as { password: string }).password, SECRET_PLACEHOLDER);
  const back = restoreSecrets({ mqtt: { url: 'mqtt://evil.example', password: SECRET_PLACEHOLDER } }, current);
  assert.deepEqual(back, { tree: { mqtt: { url: 'mqtt://evil.example', password: 'secret' } }, kept: ['mqtt.password'] });
  assert.deepEqual(restoreSecrets({ mqtt: { password: 'typed' } }, current), { tree: { mqtt: { password: 'typed' } }, kept: [] });
});
