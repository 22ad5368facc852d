import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCli, UsageError } from '../../src/cli/args.js';

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
