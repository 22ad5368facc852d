// POST /api/time-zone and GET /api/time-zones on a real server with the login on: owners only,
// a zone the device does not know is a 400 before anything is asked, and the time service's
// refusals are answers that say what is missing.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashPassword } from '../../../src/device/accounts/password.js';
import { timeStatus } from '../../../src/observe/time.js';
import { timeRoutes } from '../../../src/web/routes/time.js';
import { FakeDeviceTime } from '../../fakes/device-time.js';
import { memoryLogger } from '../../fakes/logger.js';
import { startServer, type TestServer } from '../../fakes/server.js';

describe('the time zone API', () => {
  let server: TestServer;
  const time = new FakeDeviceTime();
  const logger = memoryLogger();
  const url = (path: string) => `http://127.0.0.1:${server.port}${path}`;
  const as = (user: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:correct horse`).toString('base64')}` });
  const post = (user: string, body: unknown) =>
    fetch(url('/api/time-zone'), { method: 'POST', headers: { ...as(user), Origin: url(''), 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

  before(async () => {
    const passwordHash = await hashPassword('correct horse', { ln: 10, r: 8, p: 1 });
    const roles: Record<string, 'owner' | 'viewer'> = { ann: 'owner', vic: 'viewer' };
    server = await startServer({
      server: { auth: { users: [{ name: 'ann', passwordHash }, { name: 'vic', passwordHash }] } },
      deps: { roleOf: (user) => roles[user], routes: [timeRoutes({ time, status: () => timeStatus(time, Date.parse('2026-12-07T05:00:00Z'), undefined), logger })] },
    });
  });
  after(() => server?.stop());

  test('an owner sets a zone the device knows, and gets the new time status', async () => {
    const res = await post('ann', { timeZone: 'Asia/Shanghai' });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { now: '2026-12-07T05:00:00.000Z', timeZone: 'Asia/Shanghai', synchronized: true, firmwareDate: null });
    assert.match(logger.lines.join('\n'), /time zone Europe\/Berlin -> Asia\/Shanghai by "ann"/);
    const zones = await fetch(url('/api/time-zones'), { headers: as('ann') });
    assert.deepEqual(await zones.json(), { zones: ['Asia/Shanghai', 'Europe/Berlin', 'UTC'] });
  });

  test('a zone the device does not know, or a wrong body: 400 naming it, nothing asked', async () => {
    const asked = time.asked.length;
    const unknown = await post('ann', { timeZone: 'Mars/Olympus' });
    assert.equal(unknown.status, 400);
    assert.deepEqual((await unknown.json()).problems, ['timeZone: "Mars/Olympus" is not a time zone this device knows (GET /api/time-zones lists them)']);
    const typo = await post('ann', { timezone: 'UTC' });
    assert.equal(typo.status, 400);
    assert.deepEqual((await typo.json()).problems, ['timezone: unknown key', 'timeZone: must be a string']);
    assert.equal(time.asked.length, asked);
  });

  test('a viewer may not change it', async () => {
    const res = await post('vic', { timeZone: 'UTC' });
    assert.equal(res.status, 403);
    assert.equal((await res.json()).error, 'owner-only');
  });

  test('the time service’s refusal is a 403 that quotes it; no helper or no time service, a 503', async () => {
    time.refuse = { ok: false, reason: 'not-permitted', message: 'Failed to set time zone: Access denied' };
    const denied = await post('ann', { timeZone: 'UTC' });
    assert.equal(denied.status, 403);
    const body = await denied.json();
    assert.equal(body.error, 'time-zone-not-permitted');
    assert.equal(body.message, 'The time service refused: Failed to set time zone: Access denied.');
    time.refuse = { ok: false, reason: 'unavailable', message: 'Failed to connect to bus: Host is down' };
    assert.equal((await post('ann', { timeZone: 'UTC' })).status, 503);
    time.refuse = undefined;
    assert.equal(time.state().timeZone, 'Asia/Shanghai', 'unchanged by the refusals');
  });
});
