import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { DIGEST_REALM, digestHa1For, parseDigestText } from '../../../src/device/accounts/digest.js';
import { hashPassword } from '../../../src/device/accounts/password.js';
import { AccountsStore } from '../../../src/device/accounts/store.js';
import { memoryLogger } from '../../fakes/logger.js';
import { tempDir as scratch } from '../../fakes/temp-dir.js';

const cheap = { ln: 10, r: 8, p: 1 };
const tempDir = (t: TestContext) => scratch(t, 'digest');

function open(dir: string, configUsers?: Array<{ name: string; passwordHash: string }>) {
  const logger = memoryLogger();
  return { accounts: new AccountsStore({ file: join(dir, 'accounts.json'), configUsers, logger }), logger };
}

/** Lets the store's queued writes finish (checkPassword fills the HA1 in without waiting). */
async function settled(accounts: AccountsStore): Promise<void> {
  await accounts.rememberDigest('-', '-');
}

test('HA1 is MD5(user:realm:password) in hex, as RFC 7616 computes it', () => {
  assert.equal(DIGEST_REALM, 'picamd');
  assert.equal(digestHa1For('ann', 'secret pass'), createHash('md5').update('ann:picamd:secret pass').digest('hex'));
  // UTF-8, as clients hash it.
  assert.equal(digestHa1For('zoë', 'pässwörd!!'), createHash('md5').update(Buffer.from('zoë:picamd:pässwörd!!', 'utf8')).digest('hex'));
});

test('a password set through the store gives its user an HA1, kept across a restart, 0600', async (t) => {
  const dir = await tempDir(t);
  const { accounts } = open(dir);
  await accounts.load();
  await accounts.claim({ name: 'ann', passwordHash: await hashPassword('first password', cheap), password: 'first password' });
  assert.equal(accounts.digestHa1('ann'), digestHa1For('ann', 'first password'));
  await accounts.addUser('bob', await hashPassword('bob password', cheap), 'viewer', 'bob password');
  assert.equal(accounts.digestHa1('bob'), digestHa1For('bob', 'bob password'));
  assert.equal((await stat(join(dir, 'accounts-digest.json'))).mode & 0o777, 0o600);

  const again = open(dir).accounts;
  await again.load();
  assert.equal(again.digestHa1('ann'), digestHa1For('ann', 'first password'));
  assert.equal(again.digestHa1('bob'), digestHa1For('bob', 'bob password'));
  assert.equal(again.digestHa1('nobody'), undefined);
});

test('a new password replaces the HA1; one set without its password leaves none (never the old one)', async (t) => {
  const dir = await tempDir(t);
  const { accounts } = open(dir);
  await accounts.load();
  await accounts.claim({ name: 'ann', passwordHash: await hashPassword('first password', cheap), password: 'first password' });
  await accounts.setPassword('ann', await hashPassword('second password', cheap), 'second password');
  assert.equal(accounts.digestHa1('ann'), digestHa1For('ann', 'second password'));
  await accounts.setPassword('ann', await hashPassword('third password', cheap));
  assert.equal(accounts.digestHa1('ann'), undefined);
  const file = JSON.parse(await readFile(join(dir, 'accounts-digest.json'), 'utf8'));
  assert.deepEqual(file.users, [], 'the old HA1 left the file');
});

test('an account that predates the HA1s gets one at its next successful password check, not at a wrong one', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'accounts.json'), JSON.stringify({ format: 1, users: [{ name: 'ann', passwordHash: await hashPassword('old password', cheap), role: 'owner' }] }));
  const { accounts } = open(dir);
  await accounts.load();
  assert.equal(accounts.digestHa1('ann'), undefined);
  assert.equal(await accounts.checkPassword('ann', 'wrong password'), false);
  await settled(accounts);
  assert.equal(accounts.digestHa1('ann'), undefined);
  assert.equal(await accounts.checkPassword('ann', 'old password'), true);
  await settled(accounts);
  assert.equal(accounts.digestHa1('ann'), digestHa1For('ann', 'old password'));
  // rememberDigest (the page's login) checks the password itself.
  const fresh = open(dir).accounts;
  await fresh.load();
  assert.equal(await fresh.rememberDigest('ann', 'not it at all'), false);
  assert.equal(await fresh.rememberDigest('ann', 'old password'), true);
  assert.equal(fresh.digestHa1('ann'), digestHa1For('ann', 'old password'));
});

test('config users get an HA1 too, without being written to accounts.json', async (t) => {
  const dir = await tempDir(t);
  const { accounts } = open(dir, [{ name: 'admin', passwordHash: await hashPassword('admin password', cheap) }]);
  await accounts.load();
  assert.equal(await accounts.rememberDigest('admin', 'admin password'), true);
  assert.equal(accounts.digestHa1('admin'), digestHa1For('admin', 'admin password'));
  assert.deepEqual(JSON.parse(await readFile(join(dir, 'accounts.json'), 'utf8')).users, []);
});

test('an entry bound to another hash counts for nothing: a password changed by another path (an older picamd, the setup file)', async (t) => {
  const dir = await tempDir(t);
  const { accounts } = open(dir);
  await accounts.load();
  await accounts.claim({ name: 'ann', passwordHash: await hashPassword('first password', cheap), password: 'first password' });
  // Another writer changes accounts.json behind the store's back, and leaves the HA1 file alone.
  const other = await hashPassword('changed elsewhere', cheap);
  await writeFile(join(dir, 'accounts.json'), JSON.stringify({ format: 1, users: [{ name: 'ann', passwordHash: other, role: 'owner' }] }));
  const after = open(dir).accounts;
  await after.load();
  assert.equal(after.digestHa1('ann'), undefined);
});

test('a removed user loses the HA1; the owner reset leaves none; a damaged HA1 file is only a warning', async (t) => {
  const dir = await tempDir(t);
  const { accounts } = open(dir);
  await accounts.load();
  await accounts.claim({ name: 'ann', passwordHash: await hashPassword('first password', cheap), password: 'first password' });
  await accounts.addUser('bob', await hashPassword('bob password', cheap), 'viewer', 'bob password');
  await accounts.removeUser('bob');
  assert.equal(accounts.digestHa1('bob'), undefined);
  assert.deepEqual(JSON.parse(await readFile(join(dir, 'accounts-digest.json'), 'utf8')).users.map((u: { name: string }) => u.name), ['ann']);
  await accounts.resetOwner();
  assert.equal(accounts.digestHa1('ann'), undefined);

  await writeFile(join(dir, 'accounts-digest.json'), 'garbage');
  const damaged = open(dir);
  assert.equal((await damaged.accounts.load()).state, 'ok');
  assert.match(damaged.logger.lines.join('\n'), /accounts-digest\.json: not valid JSON/);
});

test('parseDigestText: another realm holds nothing usable; bad shapes are refused', () => {
  const entry = { name: 'ann', ha1: 'a'.repeat(32), boundTo: 'b'.repeat(64) };
  assert.deepEqual(parseDigestText(JSON.stringify({ format: 1, realm: 'picamd', users: [entry] })), { ok: true, entries: [entry] });
  assert.deepEqual(parseDigestText(JSON.stringify({ format: 1, realm: 'other', users: [entry] })), { ok: true, entries: [] });
  assert.equal(parseDigestText(JSON.stringify({ format: 1, realm: 'picamd', users: [{ ...entry, ha1: 'XYZ' }] })).ok, false);
  assert.equal(parseDigestText('{').ok, false);
});
