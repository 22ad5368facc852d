/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeviceApi, OPEN_VIEWING_CONFIRMATION } from '../../../src/web/client/api.js';
import { FakeFetch, json } from '../../fakes/browser.js';

const PAGE = new URL('http://owner:secret@camera.local/');
const doc = { values: { camera: { width: 1280 } }, origins: { 'camera.width': 'default' }, status: { state: 'ok', message: '' } };

test('settings: GET with its ETag, PUT with If-Match to the host without credentials', async () => {
  const fetch = new FakeFetch().next(() => json(doc, 200, { ETag: '"v1"' })).next(() => json(doc, 200, { ETag: '"v2"' }));
  const api = new DeviceApi({ location: PAGE, fetch: fetch.fetch });
  const got = await api.settings();
  assert.ok(got.ok);
  assert.equal(got.etag, '"v1"');
  assert.deepEqual(got.body, doc);
  const put = await api.putSettings({ camera: { width: 1920 } }, got.etag);
  assert.ok(put.ok);
  assert.equal(put.etag, '"v2"');
  assert.deepEqual(fetch.urls(), ['http://camera.local/api/settings', 'http://camera.local/api/settings']);
  const init = fetch.calls[1]!.init!;
  assert.equal(init.method, 'PUT');
  assert.equal((init.headers as Record<string, string>)['If-Match'], '"v1"');
  assert.equal((init.headers as Record<string, string>)['Content-Type'], 'application/json');
  assert.deepEqual(JSON.parse(String(init.body)), { camera: { width: 1920 } });
});

test('refusals come back as plain results: 400 with its problems, 412 stale, no answer at all', async () => {
  const fetch = new FakeFetch()
    .next(() => json({ error: 'invalid', message: 'invalid settings', problems: ['camera.width: must be at most 4608', 7] }, 400))
    .next(() => json({ error: 'stale' }, 412))
    .next(() => new Response('<html>', { status: 502 }));
  const api = new DeviceApi({ location: PAGE, fetch: fetch.fetch });
  assert.deepEqual(await api.putSettings({}, '"v1"'), {
    ok: false,
    status: 400,
    error: 'invalid',
    message: 'invalid settings',
    problems: ['camera.width: must be at most 4608'],
  });
  const stale = await api.putSettings({}, '"v0"');
  assert.equal(stale.ok, false);
  assert.equal(stale.status, 412);
  assert.equal(!stale.ok && stale.error, 'stale');
  const bad = await api.settings();
  assert.equal(!bad.ok && bad.message, 'The device answered HTTP 502.');
  const gone = await api.settings();
  assert.deepEqual(gone, { ok: false, status: 0, error: 'unreachable', message: 'The device did not answer.', problems: [] });
});

test('users, open viewing and setup follow the contract', async () => {
  const fetch = new FakeFetch(() => json({}));
  const api = new DeviceApi({ location: new URL('https://cam:8443/x'), fetch: fetch.fetch });
  await api.removeUser('anna/b s');
  await api.setOpenViewing(true);
  await api.changePassword('old password', 'new password!');
  await api.claim({ user: 'o', password: 'p'.repeat(10), deviceName: 'd', openViewing: false });
  await api.importSettings('{"format":1,"settings":{}}');
  assert.deepEqual(fetch.calls.map((c) => `${c.init?.method} ${c.url}`), [
    'DELETE https://cam:8443/api/users/anna%2Fb%20s',
    'POST https://cam:8443/api/users/open-viewing',
    'POST https://cam:8443/api/users/password',
    'POST https://cam:8443/api/setup',
    'POST https://cam:8443/api/settings/import',
  ]);
  assert.deepEqual(JSON.parse(String(fetch.calls[1]!.init!.body)), { enabled: true, confirm: OPEN_VIEWING_CONFIRMATION });
  assert.equal(OPEN_VIEWING_CONFIRMATION, 'I understand');
  assert.deepEqual(JSON.parse(String(fetch.calls[2]!.init!.body)), { current: 'old password', password: 'new password!' });
  assert.equal(fetch.calls[4]!.init!.body, '{"format":1,"settings":{}}', 'the file as it is');
});
