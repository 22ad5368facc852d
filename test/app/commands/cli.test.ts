import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCli, UsageError } from '../../../src/app/commands/cli.js';

test('commands: run by default, check-config, gpio-test, hash-password', () => {
  assert.deepEqual(parseCli([]), { command: 'run', configFile: undefined });
  assert.deepEqual(parseCli(['--config', 'x.json']), { command: 'run', configFile: 'x.json' });
  assert.deepEqual(parseCli(['--check-config', '-c', 'x.json']), { command: 'check-config', configFile: 'x.json' });
  assert.deepEqual(parseCli(['gpio-test']), { command: 'gpio-test', configFile: undefined });
  assert.deepEqual(parseCli(['hash-password']), { command: 'hash-password', configFile: undefined });
});

test('what does not go together is a usage error', () => {
  assert.throws(() => parseCli(['hash-password', '--config', 'x.json']), (e) => e instanceof UsageError && /reads no config/.test(e.message));
  assert.throws(() => parseCli(['hash-password', '--check-config']), UsageError);
  assert.throws(() => parseCli(['hash-passwords']), /unknown command: hash-passwords/);
  assert.throws(() => parseCli(['hash-password', 'secret']), /unexpected argument: secret/);
});

test('apply-setup and reset-owner take --root; apply-setup also --setup-file', () => {
  assert.deepEqual(parseCli(['apply-setup']), { command: 'apply-setup', configFile: undefined });
  assert.deepEqual(parseCli(['apply-setup', '--root', '/tmp/r', '--setup-file', '/boot/x.txt']),
    { command: 'apply-setup', configFile: undefined, root: '/tmp/r', setupFile: '/boot/x.txt' });
  assert.deepEqual(parseCli(['reset-owner', '-c', 'x.json']), { command: 'reset-owner', configFile: 'x.json' });
  assert.throws(() => parseCli(['apply-setup', '--config', 'x.json']), /apply-setup reads no config/);
  assert.throws(() => parseCli(['--root', '/']), /--root goes with apply-setup or reset-owner/);
  assert.throws(() => parseCli(['reset-owner', '--setup-file', 'x']), /--setup-file goes with apply-setup/);
});

test('verify-update takes the file and, optionally, --keys', () => {
  assert.deepEqual(parseCli(['verify-update', 'x.update']), { command: 'verify-update', configFile: undefined, file: 'x.update' });
  assert.deepEqual(parseCli(['verify-update', 'x.update', '--keys', '/k']), { command: 'verify-update', configFile: undefined, file: 'x.update', keysDir: '/k' });
  assert.throws(() => parseCli(['verify-update']), /verify-update needs the update file/);
  assert.throws(() => parseCli(['verify-update', 'a', 'b']), /unexpected argument: b/);
  assert.throws(() => parseCli(['verify-update', 'a', '-c', 'x.json']), /verify-update reads no config/);
  assert.throws(() => parseCli(['gpio-test', '--keys', '/k']), /--keys goes with verify-update/);
  assert.throws(() => parseCli(['gpio-test', 'x.update']), /unexpected argument: x\.update/);
});

test('verify-update --bundle-out (the root helper) goes with verify-update only', () => {
  assert.deepEqual(parseCli(['verify-update', 'x.update', '--bundle-out', '/c']), { command: 'verify-update', configFile: undefined, file: 'x.update', bundleOut: '/c' });
  assert.throws(() => parseCli(['gpio-test', '--bundle-out', '/c']), /--bundle-out goes with verify-update/);
});
