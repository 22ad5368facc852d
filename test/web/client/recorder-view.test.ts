import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recorderSummary, TEXT } from '../../../src/web/client/recorder-view.js';

test('the recorder card: the login while on, and what a damaged file or a conflicting name means', () => {
  assert.deepEqual(recorderSummary({ state: 'on', user: 'recorder', password: 'Abc123Abc123Abc123Ab' }), { line: TEXT.on, tone: 'ok', login: { user: 'recorder', password: 'Abc123Abc123Abc123Ab' } });
  assert.deepEqual(recorderSummary({ state: 'off' }), { line: TEXT.off, tone: '' });
  const damaged = recorderSummary({ state: 'damaged', message: "The recorder credential's file cannot be used (not valid JSON)." });
  assert.equal(damaged.login, undefined);
  assert.equal(damaged.tone, 'bad');
  assert.match(damaged.line, /^No recorder login: .*cannot be used/);
  const conflict = recorderSummary({ state: 'conflict', user: 'nvr', message: 'An account is also called "nvr".' });
  assert.equal(conflict.login, undefined);
  assert.equal(conflict.tone, 'bad');
});
