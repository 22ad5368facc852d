import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AccountsResult } from '../../../src/device/accounts/store.js';
import { isTakeover, Router, type Reply } from '../../../src/web/server/router.js';
import type { Response } from '../../../src/web/server/response.js';
import { setupGate, setupRoutes, type SetupPort } from '../../../src/web/routes/setup.js';
import { memoryLogger } from '../../fakes/logger.js';
import { makeRequest } from '../../fakes/request.js';

function fixture() {
  let release: () => void = () => {};
  const hashes: string[] = [];
  const store: SetupPort & { owner?: string } = {
    claimed: false,
    openViewing: false,
    async claim(owner): Promise<AccountsResult> {
      await new Promise<void>((resolve) => (release = resolve));
      (store as { claimed: boolean }).claimed = true;
      store.owner = owner.name;
      return { ok: true };
    },
  };
  const router = new Router({ authenticator: () => undefined, logger: memoryLogger(), now: () => 0, secure: false });
  router.addGate(setupGate(store));
  setupRoutes({
    store,
    deviceName: () => 'porch',
    hashPassword: async (p) => {
      hashes.push(p);
      return `hash(${p})`;
    },
    sessionCookieFor: (user) => `picamd_session=for-${user}`,
    logger: memoryLogger(),
  })(router);
  router.get('/api/status', () => ({ status: 200, headers: {}, body: '{}' }));
  const post = (body: unknown) =>
    router.handle(
      router.find('post', '/api/setup')!,
      makeRequest({ method: 'post', path: '/api/setup' }),
      Promise.resolve({ ok: true as const, body: Buffer.from(JSON.stringify(body)) }),
    ) as Promise<Reply>;
  return { store, router, post, hashes, release: () => release() };
}

const response = (reply: Reply): Response => {
  assert.ok(!isTakeover(reply));
  return reply;
};

test('until claimed, the gate answers 503 not-set-up; /api/setup passes it', async () => {
  const { router, store } = fixture();
  const status = response(await router.handle(router.find('get', '/api/status')!, makeRequest({ path: '/api/status' })));
  assert.equal(status.status, 503);
  assert.equal(JSON.parse(String(status.body)).error, 'not-set-up');
  const setup = response(await router.handle(router.find('get', '/api/setup')!, makeRequest({ path: '/api/setup' })));
  assert.deepEqual(JSON.parse(String(setup.body)), { claimed: false, deviceName: 'porch', openViewing: false, passwordMinimum: 10 });
  (store as { claimed: boolean }).claimed = true;
  assert.equal(response(await router.handle(router.find('get', '/api/status')!, makeRequest({ path: '/api/status' }))).status, 200);
});

test('one claim at a time: a second one while the first runs gets 409 and runs no scrypt', async () => {
  const { post, hashes, release, store } = fixture();
  const first = post({ user: 'ann', password: 'a long passphrase' });
  await new Promise((resolve) => setImmediate(resolve));
  const second = response(await post({ user: 'bob', password: 'another passphrase' }));
  assert.equal(second.status, 409);
  release();
  const won = response(await first);
  assert.equal(won.status, 200);
  assert.equal(won.headers['Set-Cookie'], 'picamd_session=for-ann');
  assert.deepEqual(hashes, ['a long passphrase']);
  assert.equal(store.owner, 'ann');
  assert.equal(response(await post({ user: 'eve', password: 'a long passphrase' })).status, 409, 'claimed: 409 at once');
});
