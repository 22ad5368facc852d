import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { digestHa1For } from '../../../src/device/accounts/digest.js';
import { newRecorderPassword, parseRecorderText, RecorderCredential, withRecorder } from '../../../src/device/accounts/recorder.js';
import { memoryLogger } from '../../fakes/logger.js';
import { tempDir } from '../../fakes/temp-dir.js';

function credential(file: string, accounts: string[] = ['ann']) {
  const logger = memoryLogger();
  let n = 0;
  const recorder = new RecorderCredential({ file, isAccount: (name) => accounts.includes(name), logger, newPassword: () => `Password${String(++n).padStart(12, '0')}` });
  return { recorder, logger };
}

test('off until turned on: no file; on writes recorder.json 0600 in its format; off removes it', async (t) => {
  const dir = await tempDir(t, 'recorder');
  const file = join(dir, 'state', 'recorder.json');
  const { recorder } = credential(file);
  await recorder.load();
  assert.deepEqual(recorder.status(), { state: 'off' });
  assert.equal(recorder.login(), undefined);

  const on = await recorder.enable();
  assert.deepEqual(on, { ok: true, status: { state: 'on', user: 'recorder', password: 'Password000000000001' } });
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  const saved = JSON.parse(await readFile(file, 'utf8'));
  assert.equal(saved.format, 1);
  assert.equal(saved.password, 'Password000000000001');
  assert.ok(recorder.matches('recorder', 'Password000000000001'));
  assert.ok(!recorder.matches('recorder', 'Password000000000002'));
  assert.ok(!recorder.matches('ann', 'Password000000000001'));
  assert.equal(recorder.digestHa1('recorder'), digestHa1For('recorder', 'Password000000000001'));

  // A second credential object reads what the first wrote (a restart).
  const again = credential(file).recorder;
  await again.load();
  assert.deepEqual(again.login(), { user: 'recorder', password: 'Password000000000001' });

  const rotated = await recorder.rotate();
  assert.ok(rotated.ok && rotated.status.state === 'on' && rotated.status.password === 'Password000000000002');
  assert.ok(!recorder.matches('recorder', 'Password000000000001'));

  assert.deepEqual(await recorder.disable(), { ok: true, status: { state: 'off' } });
  await assert.rejects(stat(file), { code: 'ENOENT' });
  assert.equal(recorder.digestHa1('recorder'), undefined);
  const off = await recorder.rotate();
  assert.equal(off.ok, false);
});

test('damaged: invalid JSON, another format, a short password, a symlink or a FIFO mean no recorder login', async (t) => {
  const dir = await tempDir(t, 'recorder');
  const file = join(dir, 'recorder.json');
  const cases: Array<[string, () => Promise<void>]> = [
    ['truncated', () => writeFile(file, '{"format": 1, "user": "recorder"')],
    ['format', () => writeFile(file, JSON.stringify({ format: 2, user: 'recorder', password: 'A'.repeat(20) }))],
    ['short password', () => writeFile(file, JSON.stringify({ format: 1, user: 'recorder', password: 'short' }))],
    ['unknown key', () => writeFile(file, JSON.stringify({ format: 1, user: 'recorder', password: 'A'.repeat(20), role: 'owner' }))],
    ['symlink', async () => {
      await writeFile(join(dir, 'real.json'), JSON.stringify({ format: 1, user: 'recorder', password: 'A'.repeat(20) }));
      await symlink(join(dir, 'real.json'), file);
    }],
    ['fifo', async () => void execFileSync('mkfifo', [file])],
  ];
  for (const [name, make] of cases) {
    await rm(file, { force: true });
    await make();
    const { recorder, logger } = credential(file);
    await recorder.load();
    const status = recorder.status();
    assert.equal(status.state, 'damaged', name);
    assert.equal(recorder.login(), undefined, name);
    assert.ok(!recorder.matches('recorder', 'A'.repeat(20)), name);
    assert.match(logger.lines.join('\n'), /recorder credential unusable/, name);
    // The owner turning it on again replaces it with a new password.
    if (name !== 'fifo' && name !== 'symlink') {
      const on = await recorder.enable();
      assert.ok(on.ok && on.status.state === 'on', name);
    }
  }
});

test("a name an account has: refused when set, and a later account of that name stops the recorder's login", async (t) => {
  const dir = await tempDir(t, 'recorder');
  await mkdir(dir, { recursive: true });
  const accounts = ['ann'];
  const { recorder } = credential(join(dir, 'recorder.json'), accounts);
  const taken = await recorder.enable('ann');
  assert.deepEqual(taken, { ok: false, status: 409, message: 'An account is already called "ann"; choose another name for the recorder.' });
  const bad = await recorder.enable('a:b');
  assert.equal(bad.ok === false && bad.status, 400);
  assert.ok((await recorder.enable('nvr')).ok);
  accounts.push('nvr');
  assert.equal(recorder.status().state, 'conflict');
  assert.equal(recorder.login(), undefined);
  assert.equal(recorder.digestHa1('nvr'), undefined);
});

test('RTSP sees the recorder beside the accounts; an account keeps its own checks', async (t) => {
  const dir = await tempDir(t, 'recorder');
  const { recorder } = credential(join(dir, 'recorder.json'));
  await recorder.enable();
  const checked: string[] = [];
  const accounts = { locked: false, digestHa1: (name: string) => (name === 'ann' ? 'ann-ha1' : undefined), checkPassword: async (name: string) => (checked.push(name), name === 'ann') };
  const both = withRecorder(accounts, recorder);
  assert.equal(both.digestHa1('recorder'), digestHa1For('recorder', 'Password000000000001'));
  assert.equal(both.digestHa1('ann'), 'ann-ha1');
  assert.equal(await both.checkPassword('recorder', 'Password000000000001'), true);
  assert.equal(await both.checkPassword('recorder', 'wrong'), false);
  assert.equal(await both.checkPassword('ann', 'x'), true);
  assert.deepEqual(checked, ['ann']);
});

test('passwords: 20 characters of letters and digits, from the picker', () => {
  assert.match(newRecorderPassword(), /^[A-Za-z0-9]{20}$/);
  assert.notEqual(newRecorderPassword(), newRecorderPassword());
  assert.equal(newRecorderPassword(() => 0), 'A'.repeat(20));
  assert.equal(parseRecorderText('[]').ok, false);
});
