import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { formatPasswordHash } from '../../src/device/accounts/password.js';
import { AccountsStore } from '../../src/device/accounts/store.js';
import { resetOwner } from '../../src/setup/reset-owner.js';
import { memoryLogger } from '../fakes/logger.js';
import { tempDir } from '../fakes/temp-dir.js';

const NOW = new Date('2026-11-30T14:00:00.000Z');
const hash = (n: number) => formatPasswordHash({ ln: 10, r: 8, p: 1, salt: Buffer.alloc(16, n), hash: Buffer.alloc(32, n) });

async function stateDir(t: TestContext) {
  const dir = await tempDir(t, 'state');
  return { dir, settings: join(dir, 'settings.json'), accounts: join(dir, 'accounts.json'), privacy: join(dir, 'privacy.json') };
}

const reset = (s: Awaited<ReturnType<typeof stateDir>>) =>
  resetOwner({ settingsFile: s.settings, privacyStateFile: s.privacy, base: {}, now: NOW, logger: memoryLogger() });

/** Every file in the directory, as text: the old users' names and hashes must be in none. */
async function everything(dir: string): Promise<string> {
  const names = await readdir(dir);
  return (await Promise.all(names.map((n) => readFile(join(dir, n), 'utf8')))).join('\n');
}

test('reset: the accounts file loses its users, open viewing goes off, privacy on, and the old users are copied nowhere', async (t) => {
  const s = await stateDir(t);
  await writeFile(s.accounts, JSON.stringify({ format: 1, users: [{ name: 'ann', passwordHash: hash(1), role: 'owner' }, { name: 'vic', passwordHash: hash(2), role: 'viewer' }] }));
  await writeFile(s.settings, JSON.stringify({ format: 1, savedAt: 'x', settings: { server: { openViewing: true, deviceName: 'porch' } } }));
  assert.deepEqual(await reset(s), { removed: ['ann', 'vic'] });
  assert.deepEqual(JSON.parse(await readFile(s.accounts, 'utf8')).users, []);
  // Open viewing off is the config file's value here, so the page layer no longer mentions it.
  assert.deepEqual(JSON.parse(await readFile(s.settings, 'utf8')).settings, { server: { deviceName: 'porch' } });
  assert.deepEqual(JSON.parse(await readFile(s.privacy, 'utf8')), { enabled: true, source: 'boot', since: NOW.toISOString() });
  assert.doesNotMatch(await everything(s.dir), /"ann"|"vic"|scrypt/);
  assert.equal((await stat(s.accounts)).mode & 0o777, 0o600);
  // picamd starts unclaimed: the first-run screen is back.
  const accounts = new AccountsStore({ file: s.accounts, logger: memoryLogger() });
  await accounts.load();
  assert.equal(accounts.claimed, false);
});

test('users an older version left in settings.json and .prev are removed from both, not copied to .prev', async (t) => {
  const s = await stateDir(t);
  const legacy = JSON.stringify({ format: 1, savedAt: 'x', settings: { server: { auth: { users: [{ name: 'admin', passwordHash: hash(1) }] } }, log: { level: 'warn' } } });
  await writeFile(s.settings, legacy);
  await writeFile(`${s.settings}.prev`, legacy);
  assert.deepEqual(await reset(s), { removed: ['admin'] });
  assert.doesNotMatch(await everything(s.dir), /admin|scrypt/);
  assert.deepEqual(JSON.parse(await readFile(s.settings, 'utf8')).settings, { log: { level: 'warn' } });
});

test('a damaged accounts file (a locked device) is replaced: the reset is the way out', async (t) => {
  const s = await stateDir(t);
  await writeFile(s.accounts, '{"format": 1, "users": [');
  assert.deepEqual(await reset(s), { removed: [] });
  const accounts = new AccountsStore({ file: s.accounts, logger: memoryLogger() });
  assert.equal((await accounts.load()).state, 'ok');
  assert.equal(accounts.claimed, false);
});

test('no state at all: an empty accounts file, privacy on; a damaged settings file does not stop the reset', async (t) => {
  const s = await stateDir(t);
  assert.deepEqual(await reset(s), { removed: [] });
  assert.deepEqual(JSON.parse(await readFile(s.accounts, 'utf8')).users, []);
  const d = await stateDir(t);
  await writeFile(d.settings, '{"format":1,');
  assert.deepEqual(await reset(d), { removed: [] });
  assert.equal(JSON.parse(await readFile(d.privacy, 'utf8')).enabled, true);
  assert.deepEqual(JSON.parse(await readFile(d.accounts, 'utf8')).users, []);
});

test('reset: the recorder login goes off (its file is removed), so a recorder of the old owner keeps no access', async (t) => {
  const s = await stateDir(t);
  const recorderFile = join(s.dir, 'recorder.json');
  await writeFile(s.accounts, JSON.stringify({ format: 1, users: [{ name: 'ann', passwordHash: hash(1), role: 'owner' }] }));
  await writeFile(recorderFile, JSON.stringify({ format: 1, user: 'recorder', password: 'Abcdefghij0123456789' }), { mode: 0o600 });
  await reset(s);
  await assert.rejects(stat(recorderFile), { code: 'ENOENT' });
  assert.doesNotMatch(await everything(s.dir), /Abcdefghij0123456789/);
});
