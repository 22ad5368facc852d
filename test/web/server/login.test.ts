import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Authenticator } from '../../../src/web/server/auth/authenticator.js';
import { login } from '../../../src/web/server/login.js';
import { memoryLogger } from '../../fakes/logger.js';
import { makeRequest } from '../../fakes/request.js';

test('a user name in the login lines is escaped: U+2028, U+2029 and bidi controls cannot forge or reorder a line', async () => {
  const logger = memoryLogger();
  const user = 'ann\u2028warn forged\u2029\u202egnp.exe';
  const authenticator = {
    authenticate: async () => ({ kind: 'ok', user, via: 'password' }),
    createSession: () => 'token',
  } as unknown as Authenticator;
  await login(makeRequest({ headers: { authorization: 'Basic eA==' } }), { authenticator, logger, now: () => 0, secure: false });
  assert.deepEqual(logger.lines, ['info ann\\u{2028}warn forged\\u{2029}\\u{202e}gnp.exe logged in from 127.0.0.1']);
});
