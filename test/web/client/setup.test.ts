import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setupProblems, setupRequest, validateSetup } from '../../../src/web/client/setup.js';

const good = { user: 'owner', password: 'correct horse', password2: 'correct horse', deviceName: ' Front door ', openViewing: false };

test('a good form has no problems and becomes the POST /api/setup body', () => {
  assert.deepEqual(validateSetup(good), {});
  assert.deepEqual(setupRequest(good), { user: 'owner', password: 'correct horse', deviceName: 'Front door', openViewing: false });
  assert.equal(setupRequest({ ...good, openViewing: true }).openViewing, true);
});

test('each field says what is wrong with it, checked client-side before anything is sent', () => {
  assert.deepEqual(validateSetup({ ...good, password: 'short', password2: 'short' }, 10), { password: 'At least 10 characters (5 so far).' });
  assert.deepEqual(validateSetup({ ...good, password2: 'correct horse!' }), { password2: 'The two passwords differ.' });
  assert.deepEqual(validateSetup({ ...good, user: 'own:er' }), { user: 'No ":" and no control characters.' });
  assert.deepEqual(validateSetup({ user: '', password: '', password2: '', deviceName: ' ', openViewing: true }, 10), {
    password: 'At least 10 characters (0 so far).',
    user: 'Enter a user name.',
    deviceName: "Enter the camera's name.",
  });
  assert.equal(validateSetup({ ...good, deviceName: 'n'.repeat(65) }).deviceName, 'At most 64 characters.');
});

test("the device's 400 problems go to the form's fields", () => {
  assert.deepEqual(setupProblems(['user: must not contain ":"', 'password: too short', 'password: too common', 'deviceName: too long', 'openViewing: expected boolean', 'something else']), {
    byField: { user: 'must not contain ":"', password: 'too short too common', deviceName: 'too long' },
    general: ['openViewing: expected boolean', 'something else'],
  });
});
