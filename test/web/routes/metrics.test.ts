import assert from 'node:assert/strict';
import { test } from 'node:test';
import { metricsRoute } from '../../../src/web/routes/metrics.js';
import { Router, type Route } from '../../../src/web/server/router.js';
import { setupGate } from '../../../src/web/routes/setup.js';
import { memoryLogger } from '../../fakes/logger.js';
import { makeRequest } from '../../fakes/request.js';

test('metrics.open serves nothing before the device has an owner', async () => {
  const state = { claimed: false, open: true };
  const router = new Router({ authenticator: () => undefined, logger: memoryLogger(), now: () => 0, secure: false });
  router.addGate(setupGate(state));
  metricsRoute({ source: () => 'picamd_up 1\n', open: () => state.open, claimed: () => state.claimed })(router);
  const get = async () => (await router.handle(router.find('get', '/metrics') as Route, makeRequest({ path: '/metrics' }))) as { status: number; body: unknown };
  const before = await get();
  assert.equal(before.status, 503);
  assert.match(String(before.body), /not-set-up/);
  state.claimed = true;
  const after = await get();
  assert.equal(after.status, 200);
  assert.equal(after.body, 'picamd_up 1\n');
});
