// settings.json and accounts.json of today's format (fixtures kept as this release writes them)
// are read by this release; a file of a newer format, which a newer picamd left (then rolled back),
// fails closed: the settings fall back to the last good copy and refuse changes instead of
// overwriting it; the accounts lock the device and are never opened. Real temp files.
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AccountsStore } from '../../src/device/accounts/store.js';
import { SettingsStore } from '../../src/device/settings/store.js';
import { memoryLogger } from '../fakes/logger.js';
import { tempDir } from '../fakes/temp-dir.js';

const fixtures = join(import.meta.dirname, '../fixtures/stored');
const base = { server: { port: 8080 } };

async function settingsFrom(t: Parameters<typeof tempDir>[0], files: { main?: string; prev?: string }) {
  const dir = await tempDir(t, 'stored');
  const file = join(dir, 'settings.json');
  if (files.main) writeFileSync(file, files.main);
  if (files.prev) writeFileSync(`${file}.prev`, files.prev);
  const store = new SettingsStore({ base, file, logger: memoryLogger() });
  const status = await store.load();
  return { store, status, file };
}

test("settings.json of today's format (fixture) is read by this release", async (t) => {
  const { store, status } = await settingsFrom(t, { main: readFileSync(join(fixtures, 'settings-format-1.json'), 'utf8') });
  assert.equal(status.state, 'ok', status.message);
  assert.equal(store.config.camera.width, 640);
  assert.equal(store.config.camera.hflip, true);
  assert.equal(store.config.server.deviceName, 'Garden');
  assert.equal(store.config.log.level, 'warn');
});

test('a newer settings.json: the last good copy applies, changes are refused, the file is left as it is', async (t) => {
  const newer = `${JSON.stringify({ format: 2, savedAt: '2027-01-01T00:00:00Z', settings: { camera: { width: 800 }, future: { thing: true } } })}\n`;
  const { store, status, file } = await settingsFrom(t, { main: newer, prev: readFileSync(join(fixtures, 'settings-format-1.json'), 'utf8') });
  assert.equal(status.state, 'fallback');
  assert.match(status.message, /format 2 is newer than this picamd knows \(1\)/);
  assert.match(status.message, /previous good copy/);
  assert.match(status.message, /changes from the page are refused/);
  assert.equal(store.config.camera.width, 640, 'the last good settings');
  const result = await store.update({ camera: { width: 1024 } }, { mode: 'patch' });
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.status, 409);
  assert.match(!result.ok ? result.message : '', /not saved: .*newer/);
  assert.equal(readFileSync(file, 'utf8'), newer, 'never overwritten');
  await store.markGood();
  assert.equal(readFileSync(`${file}.prev`, 'utf8'), readFileSync(join(fixtures, 'settings-format-1.json'), 'utf8'));
});

test('a newer settings.json without a good copy: the config file alone, still not overwritten', async (t) => {
  const newer = JSON.stringify({ format: 9, settings: {} });
  const { store, status, file } = await settingsFrom(t, { main: newer });
  assert.equal(status.state, 'fallback');
  assert.match(status.message, /using the config file alone/);
  assert.equal((await store.reset()).ok, false);
  assert.equal(readFileSync(file, 'utf8'), newer);
});

function accountsIn(dir: string) {
  return new AccountsStore({ file: join(dir, 'accounts.json'), legacyUsers: async () => ({ kind: 'none' }), logger: memoryLogger(), now: () => new Date('2026-12-07T06:00:00Z') });
}

test("accounts.json of today's format (fixture) is read by this release", async (t) => {
  const dir = await tempDir(t, 'stored');
  copyFileSync(join(fixtures, 'accounts-format-1.json'), join(dir, 'accounts.json'));
  const accounts = accountsIn(dir);
  assert.equal((await accounts.load()).state, 'ok');
  assert.deepEqual(accounts.users.map((u) => [u.name, accounts.roleOf(u.name)]), [['ann', 'owner'], ['vic', 'viewer']]);
});

test('a newer accounts.json locks the device with the reason, never opens it, and is left as it is', async (t) => {
  const dir = await tempDir(t, 'stored');
  const newer = JSON.stringify({ format: 2, users: [{ name: 'ann', passwordHash: 'x', role: 'owner', digest: 'y' }] });
  writeFileSync(join(dir, 'accounts.json'), newer);
  const accounts = accountsIn(dir);
  const status = await accounts.load();
  assert.equal(status.state, 'locked');
  assert.match(status.message, /format 2 is newer than this picamd knows \(1\)/);
  assert.equal(accounts.locked, true);
  assert.equal(accounts.claimed, true, 'never offered to a first-run claim');
  assert.deepEqual(accounts.users, []);
  assert.equal(readFileSync(join(dir, 'accounts.json'), 'utf8'), newer);
});
