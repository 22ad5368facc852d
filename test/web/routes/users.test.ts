import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChangeResult } from '../../../src/device/settings/store.js';
import { Router, type Route } from '../../../src/web/server/router.js';
import { usersRoutes, type UsersPort } from '../../../src/web/routes/users.js';
import type { Response } from '../../../src/web/server/response.js';
import { memoryLogger } from '../../fakes/logger.js';
import { makeRequest } from '../../fakes/request.js';

// The users routes called as the router calls them, with a stand-in store and password check.

function setup() {
  const logger = memoryLogger();
  let nowMs = 0;
  const passwords = new Map([['ann', 'the right passphrase']]);
  const ok: ChangeResult = { ok: true, etag: '"x"', paths: [] };
  const store: UsersPort = {
    users: ['ann'],
    openViewing: false,
    addUser: async () => ok,
    removeUser: async () => ok,
    setPassword: async (name) => {
      passwords.set(name, 'changed');
      return ok;
    },
    setOpenViewing: async () => ok,
  };
  const router = new Router({ authenticator: () => undefined, logger, now: () => nowMs, secure: false });
  usersRoutes({
    store,
    hashPassword: async (p) => `hash of ${p}`,
    checkPassword: async (user, password) => passwords.get(user) === password,
    logger,
    now: () => nowMs,
  })(router);
  const route = router.find('post', '/api/users/password') as Route;
  const change = async (current: string, remote = '192.0.2.7') =>
    (await route.handler(
      makeRequest({ method: 'post', path: '/api/users/password', remote, body: Buffer.from(JSON.stringify({ current, password: 'a new long passphrase' })) }),
      { user: 'ann' },
    )) as Response;
  return { logger, change, advance: (ms: number) => (nowMs += ms), passwords };
}

test('the current-password check of a password change is rate-limited and logged like a login', async () => {
  const { logger, change, advance, passwords } = setup();
  // Five typos cost nothing; each is logged with the address and the count.
  for (let i = 1; i <= 5; i++) assert.equal((await change(`guess ${i}`)).status, 403);
  assert.match(logger.lines.at(-1)!, /wrong current password in a password change by "ann" from 192\.0\.2\.7 \(5 in a row\)/);
  // The sixth imposes a wait; until it passes, even the right password is refused unchecked.
  assert.equal((await change('guess 6')).status, 403);
  assert.match(logger.lines.at(-1)!, /\(6 in a row; next try allowed in 1 s\)/);
  const limited = await change('the right passphrase');
  assert.equal(limited.status, 429);
  assert.equal(limited.headers?.['Retry-After'], '1');
  assert.equal(passwords.get('ann'), 'the right passphrase', 'nothing changed');
  // Another address is not held up by this one.
  assert.equal((await change('guess 7', '192.0.2.8')).status, 403);
  // After the wait the right password goes through.
  advance(1000);
  assert.equal((await change('the right passphrase')).status, 200);
  assert.equal(passwords.get('ann'), 'changed');
});

test('a new password of only spaces is refused (400), whatever its length', async () => {
  const logger = memoryLogger();
  const router = new Router({ authenticator: () => undefined, logger, now: () => 0, secure: false });
  const added: string[] = [];
  const ok: ChangeResult = { ok: true, etag: '"x"', paths: [] };
  usersRoutes({
    store: { users: ['ann'], openViewing: false, addUser: async (name) => (added.push(name), ok), removeUser: async () => ok, setPassword: async () => ok, setOpenViewing: async () => ok },
    hashPassword: async (p) => p,
    checkPassword: async () => true,
    logger,
    now: () => 0,
  })(router);
  const route = router.find('post', '/api/users') as Route;
  for (const password of [' '.repeat(12), '\u00a0\u3000'.repeat(6), ' \t '.repeat(5)]) {
    const res = (await route.handler(makeRequest({ method: 'post', body: Buffer.from(JSON.stringify({ name: 'bob', password })) }), { user: 'ann' })) as Response;
    assert.equal(res.status, 400, JSON.stringify(password));
    assert.match(String(res.body), /password: must not be only spaces/);
  }
  assert.deepEqual(added, []);
});

test('one current-password check per address at a time: a parallel guess is 503, not a free try', async () => {
  const logger = memoryLogger();
  const router = new Router({ authenticator: () => undefined, logger, now: () => 0, secure: false });
  let release: (ok: boolean) => void = () => {};
  const ok: ChangeResult = { ok: true, etag: '"x"', paths: [] };
  usersRoutes({
    store: { users: ['ann'], openViewing: false, addUser: async () => ok, removeUser: async () => ok, setPassword: async () => ok, setOpenViewing: async () => ok },
    hashPassword: async (p) => p,
    checkPassword: () => new Promise<boolean>((resolve) => (release = resolve)),
    logger,
    now: () => 0,
  })(router);
  const route = router.find('post', '/api/users/password') as Route;
  const change = (remote: string) =>
    route.handler(makeRequest({ method: 'post', remote, body: Buffer.from(JSON.stringify({ current: 'a guess at it', password: 'a new long passphrase' })) }), { user: 'ann' }) as Promise<Response>;
  const first = change('192.0.2.7');
  const second = await change('192.0.2.7');
  assert.equal(second.status, 503);
  assert.equal(second.headers?.['Retry-After'], '1');
  release(false);
  assert.equal((await first).status, 403);
});
