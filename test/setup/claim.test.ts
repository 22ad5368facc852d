import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { formatPasswordHash } from '../../src/device/accounts/password.js';
import { AccountsStore } from '../../src/device/accounts/store.js';
import { SettingsStore } from '../../src/device/settings/store.js';
import { deviceClaim } from '../../src/setup/claim.js';
import { memoryLogger } from '../fakes/logger.js';
import { tempDir } from '../fakes/temp-dir.js';

const hash = (n: number) => formatPasswordHash({ ln: 10, r: 8, p: 1, salt: Buffer.alloc(16, n), hash: Buffer.alloc(32, n) });

async function stores(t: TestContext) {
  const dir = await tempDir(t, 'claim');
  const logger = memoryLogger();
  const accounts = new AccountsStore({ file: join(dir, 'accounts.json'), logger });
  const settings = new SettingsStore({ base: {}, file: join(dir, 'settings.json'), logger, hasUsers: () => accounts.users.length > 0 });
  await accounts.load();
  await settings.load();
  return { dir, accounts, settings, claim: deviceClaim(accounts, settings, logger) };
}

test('the claim: the owner into the accounts file, the name and open viewing into the settings; a second claim is 409', async (t) => {
  const { dir, accounts, settings, claim } = await stores(t);
  assert.equal(claim.claimed, false);
  const [first, second] = await Promise.all([
    claim.claim({ name: 'ann', passwordHash: hash(1), deviceName: 'porch', openViewing: true }),
    claim.claim({ name: 'eve', passwordHash: hash(2) }),
  ]);
  assert.ok(first.ok, JSON.stringify(first));
  assert.deepEqual(!second.ok && [second.status, second.error], [409, 'already-claimed']);
  assert.deepEqual(accounts.list(), [{ name: 'ann', role: 'owner', inConfig: false }]);
  assert.equal(settings.config.server.deviceName, 'porch');
  assert.equal(settings.openViewing, true);
  assert.equal(claim.claimed, true);
  assert.doesNotMatch(await readFile(join(dir, 'settings.json'), 'utf8'), /ann|scrypt/, 'no user in the settings file');
  assert.match(await readFile(join(dir, 'accounts.json'), 'utf8'), /"ann"/);
});

test('a bad device name refuses the claim before anything is written', async (t) => {
  const { dir, claim } = await stores(t);
  const before = await readdir(dir);
  const result = await claim.claim({ name: 'x', passwordHash: hash(1), deviceName: 'y'.repeat(65) });
  assert.ok(!result.ok && result.status === 400 && /^deviceName:/.test(result.problems.join()), JSON.stringify(result));
  assert.equal(claim.claimed, false);
  assert.deepEqual(await readdir(dir), before);
});
