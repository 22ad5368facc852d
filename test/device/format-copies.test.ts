import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import fc from 'fast-check';
import { formatPasswordHash } from '../../src/device/accounts/password.js';
import { AccountsStore } from '../../src/device/accounts/store.js';
import { copyPathOf, prepareVersioned, writeVersioned, type VersionedFile } from '../../src/device/format-copies.js';
import { SettingsStore } from '../../src/device/settings/store.js';
import type { Tree } from '../../src/device/settings/tree.js';
import type { FormatSteps } from '../../src/formats/stored-format.js';
import type { SafeFs } from '../../src/platform/safe-file.js';
import { recordingFs } from '../fakes/fs.js';
import { memoryLogger } from '../fakes/logger.js';
import { tempDir } from '../fakes/temp-dir.js';

// There is no real format 2 yet: these tests run a synthetic one (format 1 -> 2 and back) through
// the real stores, as a newer release would, and then this release's stores as the older one.

const NOW = new Date('2026-12-07T08:00:00.000Z');
const hash = (n: number) => formatPasswordHash({ ln: 10, r: 8, p: 1, salt: Buffer.alloc(16, n), hash: Buffer.alloc(32, n) });

/** Settings format 2: the same shape (the migration only raises the number); everything goes back. */
const SETTINGS_2: FormatSteps = { current: 2, up: { 1: (doc) => doc }, down: { 1: (doc) => ({ doc, lost: [] }) } };
/** Accounts format 2: as 1, but a user whose name starts with "new-" is one format 1 cannot hold. */
const ACCOUNTS_2: FormatSteps = {
  current: 2,
  up: { 1: (doc) => doc },
  down: {
    1: (doc) => {
      const users = doc.users as Array<{ name: string }>;
      const lost = users.filter((u) => u.name.startsWith('new-')).map((u) => `user ${u.name} (added in format 2)`);
      return { doc: { ...doc, users: users.filter((u) => !u.name.startsWith('new-')) }, lost };
    },
  },
};

const base: Tree = { server: { openViewing: true } };

function settingsOf(dir: string, formats?: FormatSteps, fs?: SafeFs) {
  return new SettingsStore({ base, file: join(dir, 'settings.json'), logger: memoryLogger(), now: () => NOW, formats, fs, hasUsers: () => true });
}
function accountsOf(dir: string, formats?: FormatSteps, fs?: SafeFs) {
  return new AccountsStore({ file: join(dir, 'accounts.json'), logger: memoryLogger(), now: () => NOW, formats, fs });
}
const json = async (path: string) => JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
const ownerHash = (accounts: AccountsStore) => accounts.users.find((u) => u.name === 'ann')?.passwordHash;

/** A device of this release (format 1): an owner with password 1, open viewing on, a device name. */
async function olderDevice(t: TestContext) {
  const dir = await tempDir(t, 'format-copies');
  const settings = settingsOf(dir);
  await settings.load();
  assert.equal((await settings.update({ server: { deviceName: 'porch' } }, { mode: 'patch' })).ok, true);
  const accounts = accountsOf(dir);
  await accounts.load();
  assert.equal((await accounts.claim({ name: 'ann', passwordHash: hash(1) })).ok, true);
  return dir;
}

test('a newer release keeps the untouched file as <file>.v1 before it writes its own format over it', async (t) => {
  const dir = await olderDevice(t);
  const before = await readFile(join(dir, 'settings.json'), 'utf8');
  const settings = settingsOf(dir, SETTINGS_2);
  assert.match((await settings.load()).message, /migrated from format 1; the old file kept as .*settings\.json\.v1/);
  assert.equal(await readFile(join(dir, 'settings.json.v1'), 'utf8'), before);
  assert.equal((await json(join(dir, 'settings.json'))).format, 2);
  assert.equal(settings.config.server.deviceName, 'porch');
  const accounts = accountsOf(dir, ACCOUNTS_2);
  assert.equal((await accounts.load()).state, 'ok');
  assert.equal((await json(join(dir, 'accounts.json.v1'))).format, 1);
  assert.equal((await json(join(dir, 'accounts.json'))).format, 2);
});

test('rolled back: the older release reads its copy, with the password and the privacy changed on the newer one, and may save again', async (t) => {
  const dir = await olderDevice(t);
  // On trial: a new password, open viewing off (more private), another setting.
  const newer = { settings: settingsOf(dir, SETTINGS_2), accounts: accountsOf(dir, ACCOUNTS_2) };
  await newer.settings.load();
  await newer.accounts.load();
  assert.equal((await newer.accounts.setPassword('ann', hash(2))).ok, true);
  assert.equal((await newer.settings.setOpenViewing(false)).ok, true);
  assert.equal((await newer.settings.update({ server: { deviceName: 'garden' } }, { mode: 'patch' })).ok, true);
  // Rolled back: this release finds format 2 and reads its own copy.
  const older = { settings: settingsOf(dir), accounts: accountsOf(dir) };
  const status = await older.settings.load();
  assert.equal(status.state, 'ok');
  assert.match(status.message, /format 2 of a newer picamd .*settings\.json\.v1/);
  assert.equal(older.settings.openViewing, false);
  assert.equal(older.settings.config.server.deviceName, 'garden');
  assert.equal((await older.accounts.load()).state, 'ok');
  assert.equal(ownerHash(older.accounts), hash(2));
  assert.deepEqual([...older.settings.formatNotes(), ...older.accounts.formatNotes()], []);
  // Its own changes are saved (over the newer file, which the newer release migrates again).
  assert.equal((await older.settings.update({ server: { deviceName: 'shed' } }, { mode: 'patch' })).ok, true);
  assert.equal((await json(join(dir, 'settings.json'))).format, 1);
  const again = settingsOf(dir, SETTINGS_2);
  await again.load();
  assert.equal(again.config.server.deviceName, 'shed');
  assert.equal(again.openViewing, false);
});

test('a change the older format cannot hold is left out of its copy, and the older release says what was undone', async (t) => {
  const dir = await olderDevice(t);
  const newer = accountsOf(dir, ACCOUNTS_2);
  await newer.load();
  assert.equal((await newer.addUser('new-bob', hash(3), 'viewer')).ok, true);
  assert.deepEqual((await json(join(dir, 'accounts.json.v1'))).undoneOnRollback, ['user new-bob (added in format 2)']);
  const older = accountsOf(dir);
  assert.equal((await older.load()).state, 'ok');
  assert.deepEqual(older.users.map((u) => u.name), ['ann']);
  assert.deepEqual(older.formatNotes(), ['user new-bob (added in format 2)']);
});

test('a newer file without a copy for this release fails closed, as before: accounts locked, settings not saved over it', async (t) => {
  const dir = await olderDevice(t);
  await settingsOf(dir, SETTINGS_2).load();
  await accountsOf(dir, ACCOUNTS_2).load();
  await rm(join(dir, 'settings.json.v1'));
  await rm(join(dir, 'accounts.json.v1'));
  const accounts = accountsOf(dir);
  const locked = await accounts.load();
  assert.equal(locked.state, 'locked');
  assert.match(locked.message, /format 2 is newer .*there is no copy .*accounts\.json\.v1/);
  const settings = settingsOf(dir);
  assert.equal((await settings.load()).state, 'fallback');
  assert.equal((await settings.update({ server: { deviceName: 'x' } }, { mode: 'patch' })).ok, false);
  assert.equal((await json(join(dir, 'settings.json'))).format, 2);
});

test('a copy this release cannot use (damaged) fails closed too: nothing is saved over the newer file', async (t) => {
  const dir = await olderDevice(t);
  await settingsOf(dir, SETTINGS_2).load();
  await writeFile(join(dir, 'settings.json.v1'), '{"format": 1, "settings": {"server": {"port": "eighty"}}}');
  const settings = settingsOf(dir);
  assert.equal((await settings.load()).state, 'fallback');
  assert.equal((await settings.update({ server: { deviceName: 'x' } }, { mode: 'patch' })).ok, false);
  assert.equal((await json(join(dir, 'settings.json'))).format, 2);
});

/** Whatever a cut left, this release (the older one) and the newer one both start with a usable state. */
async function assertReadable(dir: string, label: string) {
  const older = { settings: settingsOf(dir), accounts: accountsOf(dir) };
  assert.equal((await older.accounts.load()).state, 'ok', `${label}: accounts of the older release`);
  assert.notEqual((await older.settings.load()).state, 'fallback', `${label}: settings of the older release`);
  assert.equal(older.settings.config.server.deviceName, 'porch', label);
  const newer = { settings: settingsOf(dir, SETTINGS_2), accounts: accountsOf(dir, ACCOUNTS_2) };
  assert.equal((await newer.accounts.load()).state, 'ok', `${label}: accounts of the newer release`);
  assert.notEqual((await newer.settings.load()).state, 'fallback', `${label}: settings of the newer release`);
  return { older, newer };
}

test('a power cut at every step of the migration and of the next change leaves a state both releases read', async (t) => {
  for (const file of ['settings', 'accounts'] as const) {
    // Count the steps of an uninterrupted run: the load that migrates, then a change.
    const probe = await olderDevice(t);
    const counted = recordingFs();
    const run = async (dir: string, fs: SafeFs) => {
      if (file === 'settings') {
        const s = settingsOf(dir, SETTINGS_2, fs);
        await s.load();
        await s.setOpenViewing(false);
      } else {
        const a = accountsOf(dir, ACCOUNTS_2, fs);
        await a.load();
        await a.setPassword('ann', hash(2));
      }
    };
    await run(probe, counted.fs);
    const renames = counted.steps.filter((s) => s === 'rename').length;
    assert.ok(renames >= 3, `${file}: copy, migrated file, refreshed copy, file (${renames} renames)`);
    for (let nth = 1; nth <= renames; nth++) {
      for (const failAt of ['rename', 'fsync'] as const) {
        const dir = await olderDevice(t);
        const cut = recordingFs({ failAt, nth, powerCut: true });
        await run(dir, cut.fs).catch(() => {});
        const { older, newer } = await assertReadable(dir, `${file}, cut at ${failAt} ${nth}`);
        // A change the newer release's file holds is in the copy too (the copy is written first).
        if (ownerHash(newer.accounts) === hash(2)) assert.equal(ownerHash(older.accounts), hash(2));
        if (!newer.settings.openViewing) assert.equal(older.settings.openViewing, false);
      }
    }
  }
});

test('property: after a rollback, privacy is never less private and the password is the last one set on the newer release', async (t) => {
  const change = fc.oneof(
    fc.record({ kind: fc.constant('open' as const), on: fc.boolean() }),
    fc.record({ kind: fc.constant('password' as const), n: fc.integer({ min: 2, max: 9 }) }),
    fc.record({ kind: fc.constant('name' as const), name: fc.constantFrom('a', 'b', 'c') }),
  );
  await fc.assert(
    fc.asyncProperty(fc.boolean(), fc.array(change, { maxLength: 6 }), async (openBefore, changes) => {
      const dir = await olderDevice(t);
      const first = settingsOf(dir);
      await first.load();
      await first.setOpenViewing(openBefore);
      const newer = { settings: settingsOf(dir, SETTINGS_2), accounts: accountsOf(dir, ACCOUNTS_2) };
      await newer.settings.load();
      await newer.accounts.load();
      for (const c of changes) {
        if (c.kind === 'open') await newer.settings.setOpenViewing(c.on);
        else if (c.kind === 'password') await newer.accounts.setPassword('ann', hash(c.n));
        else await newer.settings.update({ server: { deviceName: c.name } }, { mode: 'patch' });
      }
      const older = { settings: settingsOf(dir), accounts: accountsOf(dir) };
      await older.settings.load();
      await older.accounts.load();
      // Private if the newer release's last state was private (the restored one is never less).
      if (!newer.settings.openViewing) assert.equal(older.settings.openViewing, false);
      assert.equal(older.settings.openViewing, newer.settings.openViewing);
      assert.equal(ownerHash(older.accounts), ownerHash(newer.accounts));
    }),
    { numRuns: 25 },
  );
});

test('writeVersioned: a copy that cannot be written stops the change, the file keeps its old content', async (t) => {
  const dir = await tempDir(t, 'format-copies');
  const file = join(dir, 'x.json');
  const spec = (fs?: SafeFs): VersionedFile => ({ file, what: 'x', current: 2, up: { 1: (d) => d }, down: { 1: (d) => ({ doc: d, lost: [] }) }, maxBytes: 4096, fs });
  await writeFile(file, '{"format": 1, "v": 1}\n');
  assert.deepEqual(await prepareVersioned(spec()), { kind: 'migrated', from: 1, copy: copyPathOf(file, 1) });
  const failing = recordingFs({ failAt: 'rename' });
  await assert.rejects(writeVersioned(spec(failing.fs), '{"format": 2, "v": 2}\n'));
  assert.deepEqual(await json(file), { format: 2, v: 1 });
  await writeVersioned(spec(), '{"format": 2, "v": 3}\n');
  assert.deepEqual(await json(copyPathOf(file, 1)), { format: 1, v: 3 });
});
