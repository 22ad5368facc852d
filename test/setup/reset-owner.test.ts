import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { readSettingsText, withOwner, withoutOwner } from '../../src/setup/owner-settings.js';
import { resetOwner } from '../../src/setup/reset-owner.js';

const NOW = new Date('2026-11-30T14:00:00.000Z');

async function stateDir(t: TestContext) {
  const dir = await mkdtemp(join(tmpdir(), 'picamd-state-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return { dir, settings: join(dir, 'settings.json'), privacy: join(dir, 'privacy.json') };
}

test('withOwner replaces the same name, keeps others; withoutOwner removes the users and open viewing', () => {
  const tree = { server: { deviceName: 'Cam', openViewing: true, auth: { users: [{ name: 'a', passwordHash: '1' }, { name: 'b', passwordHash: '2' }] } }, camera: { width: 640 } };
  assert.deepEqual(withOwner(tree, { name: 'a', passwordHash: 'new' }).server, {
    deviceName: 'Cam', openViewing: true, auth: { users: [{ name: 'b', passwordHash: '2' }, { name: 'a', passwordHash: 'new' }] },
  });
  assert.deepEqual(withoutOwner(tree), { server: { deviceName: 'Cam', openViewing: false }, camera: { width: 640 } });
  assert.deepEqual(withOwner({}, { name: 'x', passwordHash: 'h' }), { server: { auth: { users: [{ name: 'x', passwordHash: 'h' }] } } });
  assert.deepEqual(readSettingsText('{"format":2,"settings":{}}').ok, false);
  assert.deepEqual(readSettingsText(null), { ok: true, settings: {} });
});

test('reset: users gone, open viewing off, the previous file kept as .prev, privacy on', async (t) => {
  const s = await stateDir(t);
  const before = `${JSON.stringify({ format: 1, savedAt: 'x', settings: { server: { openViewing: true, auth: { users: [{ name: 'admin', passwordHash: 'H' }] } }, camera: { fps: 1 } } })}\n`;
  await writeFile(s.settings, before, { mode: 0o600 });
  assert.deepEqual(await resetOwner({ settingsFile: s.settings, privacyStateFile: s.privacy, now: NOW }), { removed: ['admin'] });
  assert.equal(await readFile(s.settings, 'utf8'), `${JSON.stringify({
    format: 1, savedAt: NOW.toISOString(), settings: { server: { openViewing: false }, camera: { fps: 1 } },
  }, null, 2)}\n`);
  assert.equal(await readFile(`${s.settings}.prev`, 'utf8'), before);
  assert.deepEqual(JSON.parse(await readFile(s.privacy, 'utf8')), { enabled: true, source: 'boot', since: NOW.toISOString() });
  assert.equal((await stat(s.settings)).mode & 0o777, 0o600);
});

test('no settings file yet: the reset still writes an unclaimed one and switches privacy on', async (t) => {
  const s = await stateDir(t);
  assert.deepEqual(await resetOwner({ settingsFile: s.settings, privacyStateFile: s.privacy, now: NOW }), { removed: [] });
  assert.deepEqual(JSON.parse(await readFile(s.settings, 'utf8')).settings, { server: { openViewing: false } });
});

test('a corrupt settings file is not overwritten blindly', async (t) => {
  const s = await stateDir(t);
  await mkdir(s.dir, { recursive: true });
  await writeFile(s.settings, '{"format":1,');
  await assert.rejects(resetOwner({ settingsFile: s.settings, privacyStateFile: s.privacy, now: NOW }), /not valid JSON; move it away/);
  assert.equal(await readFile(s.settings, 'utf8'), '{"format":1,');
});
