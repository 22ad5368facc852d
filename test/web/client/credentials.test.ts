import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newPasswordProblems, userNameProblem } from '../../../src/web/client/credentials.js';

test('new passwords: at least the device\'s minimum (counted as characters, not bytes), typed the same twice', () => {
  assert.deepEqual(newPasswordProblems('short', 'short', 10), { password: 'At least 10 characters (5 so far).' });
  assert.deepEqual(newPasswordProblems('123456789', '123456789', 10), { password: 'At least 10 characters (9 so far).' });
  assert.deepEqual(newPasswordProblems('🔒🔒🔒🔒🔒🔒🔒🔒🔒', '🔒🔒🔒🔒🔒🔒🔒🔒🔒', 10), { password: 'At least 10 characters (9 so far).' });
  assert.deepEqual(newPasswordProblems('1234567890', '1234567890', 10), {});
  assert.deepEqual(newPasswordProblems('correct horse', 'correct horse!', 10), { password2: 'The two passwords differ.' });
  // A device that does not name its minimum checks the password itself.
  assert.deepEqual(newPasswordProblems('short', 'short'), {});
  assert.deepEqual(newPasswordProblems(' '.repeat(12), ' '.repeat(12), 10), { password: 'Not only spaces.' });
});

test('user names as the device takes them', () => {
  assert.equal(userNameProblem(''), 'Enter a user name.');
  assert.equal(userNameProblem('   '), 'Enter a user name.');
  assert.equal(userNameProblem('a:b'), 'No ":" and no control characters.');
  assert.equal(userNameProblem('a\tb'), 'No ":" and no control characters.');
  assert.equal(userNameProblem('a\x7fb'), 'No ":" and no control characters.');
  assert.equal(userNameProblem(' anna'), 'No spaces at the start or the end.');
  assert.equal(userNameProblem('x'.repeat(65)), 'At most 64 characters.');
  assert.equal(userNameProblem('x'.repeat(64)), undefined);
  assert.equal(userNameProblem('Anna Åström'), undefined);
});
