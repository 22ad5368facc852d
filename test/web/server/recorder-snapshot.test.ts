import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Authenticator } from '../../../src/web/server/auth/authenticator.js';
import { LoginLimiter } from '../../../src/web/server/auth/limiter.js';
import { hashPassword } from '../../../src/device/accounts/password.js';
import type { Response } from '../../../src/web/server/response.js';
import { isTakeover, Router } from '../../../src/web/server/router.js';
import { memoryLogger } from '../../fakes/logger.js';
import { makeRequest } from '../../fakes/request.js';

// The recorder credential on the snapshot that ONVIF's GetSnapshotUri names: recorders fetch it with
// the login they use for ONVIF and RTSP. Only routes marked `recorder` take it.

const cheap = { ln: 10, r: 8, p: 1 };
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const RECORDER = { user: 'recorder', password: 'Q7wLm2Xc9RtY4bNv8KpZ' };

async function fixture() {
  const limiter = new LoginLimiter();
  const authenticator = new Authenticator({ users: [{ name: 'ann', passwordHash: await hashPassword('ann password', cheap) }], limiter });
  let recorderOn = true;
  const router = new Router({
    authenticator: () => authenticator,
    logger: memoryLogger(),
    now: () => 1_000,
    secure: false,
    roleOf: () => 'owner',
    recorderMatches: (user, password) => recorderOn && user === RECORDER.user && password === RECORDER.password,
  });
  const ok = (_req: unknown, session: { user: string | null }): Response => ({ status: 200, headers: {}, body: `as ${session.user ?? ''}` });
  router.get('/snapshot.jpg', ok, { viewing: true, recorder: true });
  router.get('/api/status', ok, { viewing: true });
  router.get('/api/settings', ok);
  router.get('/stream.mjpg', () => ({ takeover: () => {} }), { viewing: true });
  const status = async (path: string, authorization?: string, remote = '192.0.2.7') => {
    const reply = await router.handle(router.find('get', path)!, makeRequest({ method: 'get', path, headers: authorization ? { authorization } : {}, remote }));
    return isTakeover(reply) ? 'takeover' : reply.status;
  };
  return { status, limiter, turnOff: () => (recorderOn = false) };
}

test('the recorder credential fetches the snapshot, and nothing else', async () => {
  const f = await fixture();
  const recorder = basic(RECORDER.user, RECORDER.password);
  assert.equal(await f.status('/snapshot.jpg', recorder), 200);
  for (const path of ['/api/status', '/api/settings', '/stream.mjpg']) assert.equal(await f.status(path, recorder), 401, path);
  assert.equal(await f.status('/snapshot.jpg', basic('ann', 'ann password')), 200, 'accounts still log in there');
  assert.equal(await f.status('/snapshot.jpg'), 401, 'no credentials: the challenge');
});

test('a wrong recorder password is refused and counted; an address told to wait is refused even with the right one', async () => {
  const f = await fixture();
  assert.equal(await f.status('/snapshot.jpg', basic(RECORDER.user, 'Q7wLm2Xc9RtY4bNv8KpX')), 401);
  assert.equal(f.limiter.hasFailures('192.0.2.7', 1_000), true, 'the failure counts against the address');
  for (let i = 0; i < 20 && f.limiter.check('192.0.2.7', 1_000).allowed; i++) await f.status('/snapshot.jpg', basic('recorder', `wrong ${i}`));
  assert.equal(f.limiter.check('192.0.2.7', 1_000).allowed, false, 'the address must wait');
  assert.equal(await f.status('/snapshot.jpg', basic(RECORDER.user, RECORDER.password)), 429);
  assert.equal(await f.status('/snapshot.jpg', basic(RECORDER.user, RECORDER.password), '192.0.2.8'), 200, 'another address is not held back');
});

test('a recorder credential turned off no longer fetches the snapshot', async () => {
  const f = await fixture();
  f.turnOff();
  assert.equal(await f.status('/snapshot.jpg', basic(RECORDER.user, RECORDER.password)), 401);
});
