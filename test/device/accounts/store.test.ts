import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { formatPasswordHash, hashPassword } from '../../../src/device/accounts/password.js';
import { AccountsStore, accountsTextWithOwner, type AccountsResult, type LegacyUsers } from '../../../src/device/accounts/store.js';
import { recordingFs } from '../../fakes/fs.js';
import { memoryLogger } from '../../fakes/logger.js';
import { tempDir as scratch } from '../../fakes/temp-dir.js';

const hash = (n: number) => formatPasswordHash({ ln: 10, r: 8, p: 1, salt: Buffer.alloc(16, n), hash: Buffer.alloc(32, n) });
const NOW = new Date('2026-12-07T02:00:00.000Z');

const tempDir = (t: TestContext) => scratch(t, 'accounts');

function store(dir: string, options: { legacy?: LegacyUsers; configUsers?: Array<{ name: string; passwordHash: string }>; fs?: ReturnType<typeof recordingFs>['fs'] } = {}) {
  const logger = memoryLogger();
  let legacyReads = 0;
  const accounts = new AccountsStore({
    file: join(dir, 'accounts.json'),
    configUsers: options.configUsers,
    legacyUsers: async () => {
      legacyReads++;
      return options.legacy ?? { kind: 'none' };
    },
    logger,
    fs: options.fs,
    now: () => NOW,
  });
  return { accounts, logger, legacyReads: () => legacyReads };
}

const fileOf = (dir: string) => join(dir, 'accounts.json');
const refusal = (r: AccountsResult) => (r.ok ? 'ok' : `${r.status} ${r.error}`);

test('a new device: the accounts file is created without users, and nobody owns the device', async (t) => {
  const dir = await tempDir(t);
  const { accounts } = store(dir);
  assert.equal((await accounts.load()).state, 'ok');
  assert.equal(accounts.claimed, false);
  assert.equal(accounts.holdsUsers, true);
  assert.deepEqual(JSON.parse(await readFile(fileOf(dir), 'utf8')), { format: 1, savedAt: NOW.toISOString(), users: [] });
  assert.equal((await stat(fileOf(dir))).mode & 0o777, 0o600);
});

test('users of an older settings.json move in once, as owners; once the file exists, settings.json is never asked again', async (t) => {
  const dir = await tempDir(t);
  const legacy: LegacyUsers = { kind: 'users', users: [{ name: 'ann', passwordHash: hash(1) }, { name: 'bob', passwordHash: hash(2) }] };
  const first = store(dir, { legacy });
  await first.accounts.load();
  assert.deepEqual(first.accounts.list(), [
    { name: 'ann', role: 'owner', inConfig: false },
    { name: 'bob', role: 'owner', inConfig: false },
  ]);
  assert.match(first.logger.lines.join('\n'), /moved 2 user\(s\) from the settings file/);
  // A power cut right after this write leaves the users in both files: the accounts file wins.
  const again = store(dir, { legacy: { kind: 'users', users: [{ name: 'mallory', passwordHash: hash(9) }] } });
  await again.accounts.load();
  assert.equal(again.legacyReads(), 0);
  assert.deepEqual(again.accounts.users.map((u) => u.name), ['ann', 'bob']);
});

test('the migration write fails: the users stay usable from settings.json, which keeps them until it succeeds', async (t) => {
  const dir = await tempDir(t);
  const failing = recordingFs({ failAt: 'rename' });
  const { accounts, logger } = store(dir, { legacy: { kind: 'users', users: [{ name: 'ann', passwordHash: hash(1) }] }, fs: failing.fs });
  assert.equal((await accounts.load()).state, 'ok');
  assert.deepEqual(accounts.users.map((u) => u.name), ['ann']);
  assert.equal(accounts.holdsUsers, false, 'settings.json must not drop them');
  assert.match(logger.lines.join('\n'), /cannot write .*accounts\.json/);
});

const damaged: Array<[string, (file: string) => Promise<void>, RegExp]> = [
  ['garbage', (f) => writeFile(f, 'garbage{'), /not valid JSON/],
  ['empty (a power cut)', (f) => writeFile(f, ''), /the file is empty/],
  ['truncated', (f) => writeFile(f, '{"format": 1, "users": [{"name": "ann"'), /not valid JSON/],
  ['another format', (f) => writeFile(f, JSON.stringify({ format: 2, users: [] })), /format/],
  ['a plain-text password', (f) => writeFile(f, JSON.stringify({ format: 1, users: [{ name: 'ann', passwordHash: 'hunter2', role: 'owner' }] })), /passwordHash/],
  ['no role', (f) => writeFile(f, JSON.stringify({ format: 1, users: [{ name: 'ann', passwordHash: hash(1) }] })), /role/],
  ['a name twice', (f) => writeFile(f, JSON.stringify({ format: 1, users: [{ name: 'a', passwordHash: hash(1), role: 'owner' }, { name: 'a', passwordHash: hash(2), role: 'viewer' }] })), /listed twice/],
  ['a symbolic link', (f) => symlink('/etc/passwd', f), /not a regular file|symbolic/i],
  ['a directory', (f) => mkdir(f), /not a regular file|directory/i],
];

for (const [what, damage, why] of damaged) {
  test(`an accounts file that is ${what} locks the device: no users, no claim, nothing rewritten`, async (t) => {
    const dir = await tempDir(t);
    await damage(fileOf(dir));
    const { accounts, logger, legacyReads } = store(dir, { configUsers: [{ name: 'admin', passwordHash: hash(3) }] });
    const status = await accounts.load();
    assert.equal(status.state, 'locked');
    assert.match(status.message, why);
    assert.match(status.message, /reset-owner/);
    assert.equal(accounts.locked, true);
    assert.equal(accounts.claimed, true, 'never the first-run claim');
    assert.deepEqual(accounts.users, [], 'not even the config file\'s users: the device is locked');
    assert.equal(legacyReads(), 0);
    assert.equal(accounts.holdsUsers, false);
    for (const result of [
      await accounts.claim({ name: 'eve', passwordHash: hash(4) }),
      await accounts.addUser('eve', hash(4), 'owner'),
      await accounts.removeUser('ann'),
      await accounts.setPassword('ann', hash(4)),
    ]) {
      assert.equal(refusal(result), '503 accounts-unreadable');
    }
    assert.ok(logger.lines.some((l) => l.startsWith('error') && /locked/.test(l)), logger.lines.join('\n'));
    assert.deepEqual(await readdir(dir), ['accounts.json'], 'no copy, no replacement');
  });
}

test('a settings.json too damaged to tell whether it held users locks the device when there is no accounts file', async (t) => {
  const dir = await tempDir(t);
  const { accounts } = store(dir, { legacy: { kind: 'unreadable', message: 'settings.json: not valid JSON' } });
  const status = await accounts.load();
  assert.equal(status.state, 'locked');
  assert.match(status.message, /settings\.json: not valid JSON/);
  assert.deepEqual(await readdir(dir), []);
});

test('roles: owners and viewers; the last owner stays; names are checked; at most 16', async (t) => {
  const dir = await tempDir(t);
  const { accounts } = store(dir);
  await accounts.load();
  const changes: Array<[string[], string[]]> = [];
  accounts.on('change', (users, ended) => changes.push([users.map((u) => `${u.name}:${u.role}`), ended]));
  assert.equal(refusal(await accounts.claim({ name: 'ann', passwordHash: hash(1) })), 'ok');
  assert.equal(refusal(await accounts.claim({ name: 'eve', passwordHash: hash(2) })), '409 already-claimed');
  assert.equal(refusal(await accounts.addUser('vic', hash(2), 'viewer')), 'ok');
  assert.equal(refusal(await accounts.addUser('vic', hash(3), 'owner')), '409 exists');
  const bad = await accounts.addUser('a:b', hash(3), 'viewer');
  assert.ok(!bad.ok && bad.status === 400 && /^name: /.test(bad.problems.join()), JSON.stringify(bad));
  assert.equal(accounts.roleOf('ann'), 'owner');
  assert.equal(accounts.roleOf('vic'), 'viewer');
  assert.equal(accounts.roleOf('nobody'), undefined);
  assert.equal(refusal(await accounts.removeUser('ann')), '409 last-owner');
  assert.equal(refusal(await accounts.removeUser('zed')), '404 not-found');
  assert.equal(refusal(await accounts.setPassword('vic', hash(5))), 'ok');
  assert.equal(refusal(await accounts.removeUser('vic')), 'ok');
  assert.deepEqual(changes, [
    [['ann:owner'], []],
    [['ann:owner', 'vic:viewer'], []],
    [['ann:owner', 'vic:viewer'], ['vic']],
    [['ann:owner'], ['vic']],
  ]);
  for (let i = 0; i < 15; i++) assert.equal(refusal(await accounts.addUser(`u${i}`, hash(6), 'viewer')), 'ok');
  assert.equal(refusal(await accounts.addUser('one-more', hash(6), 'viewer')), '409 too-many');
  const again = store(dir);
  await again.accounts.load();
  assert.equal(again.accounts.users.length, 16);
  assert.equal(again.accounts.roleOf('u0'), 'viewer');
});

test('the config file\'s users are owners beside the file\'s, removed only in the config; an owner there keeps the last page owner removable', async (t) => {
  const dir = await tempDir(t);
  const { accounts } = store(dir, { configUsers: [{ name: 'admin', passwordHash: hash(1) }] });
  await accounts.load();
  assert.equal(accounts.claimed, true);
  assert.deepEqual(accounts.list(), [{ name: 'admin', role: 'owner', inConfig: true }]);
  assert.equal(refusal(await accounts.removeUser('admin')), '409 in-config');
  assert.equal(refusal(await accounts.addUser('admin', hash(2), 'owner')), '409 exists');
  assert.equal(refusal(await accounts.addUser('ann', hash(2), 'owner')), 'ok');
  assert.equal(refusal(await accounts.removeUser('ann')), 'ok', 'admin is still an owner');
  assert.doesNotMatch(await readFile(fileOf(dir), 'utf8'), /admin/, 'config users are not written');
  // Their password changed from the page: the new one is kept here and takes the config's place.
  assert.equal(refusal(await accounts.setPassword('admin', hash(2))), 'ok');
  assert.deepEqual(accounts.users, [{ name: 'admin', passwordHash: hash(2), role: 'owner' }]);
  assert.equal(refusal(await accounts.removeUser('admin')), '409 in-config');
  const again = store(dir, { configUsers: [{ name: 'admin', passwordHash: hash(1) }] });
  await again.accounts.load();
  assert.equal(again.accounts.users[0]!.passwordHash, hash(2));
});

test('checkPassword verifies against the current hash', async (t) => {
  const dir = await tempDir(t);
  const { accounts } = store(dir);
  await accounts.load();
  const cheap = { ln: 10, r: 8, p: 1 };
  await accounts.claim({ name: 'ann', passwordHash: await hashPassword('first password', cheap) });
  assert.equal(await accounts.checkPassword('ann', 'first password'), true);
  assert.equal(await accounts.checkPassword('ann', 'wrong'), false);
  assert.equal(await accounts.checkPassword('nobody', 'first password'), false);
});

test('the owner reset empties the file, readable or not, unlocks the device and copies nothing anywhere', async (t) => {
  for (const before of [JSON.stringify({ format: 1, users: [{ name: 'ann', passwordHash: hash(1), role: 'owner' }] }), 'garbage']) {
    const dir = await tempDir(t);
    await writeFile(fileOf(dir), before);
    const { accounts } = store(dir);
    await accounts.load();
    const ended: string[][] = [];
    accounts.on('change', (_users, names) => ended.push(names));
    const { removed } = await accounts.resetOwner();
    assert.deepEqual(removed, before === 'garbage' ? [] : ['ann']);
    assert.equal(accounts.locked, false);
    assert.equal(accounts.claimed, false);
    assert.deepEqual(JSON.parse(await readFile(fileOf(dir), 'utf8')).users, []);
    assert.deepEqual((await readdir(dir)).sort(), ['accounts-digest.json', 'accounts.json'], 'no .prev, no copy of the old users');
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'accounts-digest.json'), 'utf8')).users, []);
    assert.deepEqual(ended, [removed]);
  }
});

test('accountsTextWithOwner: the owner replaces a user of the same name; a new file takes the old settings.json users along', () => {
  const base = JSON.stringify({ format: 1, users: [{ name: 'ann', passwordHash: hash(1), role: 'viewer' }, { name: 'bob', passwordHash: hash(2), role: 'owner' }] });
  const next = accountsTextWithOwner(base, [], { name: 'ann', passwordHash: hash(3) }, NOW);
  assert.ok(next.ok);
  assert.deepEqual(JSON.parse(next.text).users, [
    { name: 'bob', passwordHash: hash(2), role: 'owner' },
    { name: 'ann', passwordHash: hash(3), role: 'owner' },
  ]);
  const fresh = accountsTextWithOwner(null, [{ name: 'old', passwordHash: hash(4) }], { name: 'ann', passwordHash: hash(3) }, NOW);
  assert.ok(fresh.ok);
  assert.deepEqual(JSON.parse(fresh.text).users.map((u: { name: string; role: string }) => `${u.name}:${u.role}`), ['old:owner', 'ann:owner']);
  assert.equal(accountsTextWithOwner('garbage', [], { name: 'ann', passwordHash: hash(3) }, NOW).ok, false);
});
