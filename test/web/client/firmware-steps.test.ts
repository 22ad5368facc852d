import assert from 'node:assert/strict';
import { test } from 'node:test';
import { showUpdate } from '../../../src/web/client/firmware-steps.js';

test('after a rollback the Firmware card says what the older version could not keep of the settings and accounts', () => {
  const rolledBack = { state: 'rolled-back', version: '1.6.0', from: '1.1.0', reason: 'picamd 1.6.0 was not ready within 150 s' };
  assert.equal(showUpdate(rolledBack).message, 'The update to 1.6.0 failed and was rolled back: picamd 1.6.0 was not ready within 150 s');
  const shown = showUpdate({ ...rolledBack, undone: ['user new-bob (added in format 2)', 'x'] });
  assert.match(shown.message, /rolled back: picamd 1\.6\.0 was not ready within 150 s Not kept from the newer version \(this version cannot hold it\): user new-bob \(added in format 2\); x$/);
  assert.equal(shown.tone, 'bad');
  // "Go back" commits the older version: the same words, and not as a plain success.
  const back = showUpdate({ state: 'committed', version: '1.1.0', from: '1.6.0', reason: '', undone: ['user new-bob (added in format 2)'] });
  assert.match(back.message, /Not kept from the newer version/);
  assert.equal(back.tone, 'bad');
  assert.equal(showUpdate({ state: 'committed', version: '1.1.0', from: '1.6.0', reason: '' }).tone, 'ok');
});
