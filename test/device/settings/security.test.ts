import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateConfig } from '../../../src/device/settings/load.js';

const hash = '$scrypt$ln=14,r=8,p=5$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

test('auth and TLS are off by default; the stall timeout has a default', () => {
  const { config } = validateConfig({});
  assert.equal(config!.server.auth, null);
  assert.equal(config!.server.tls, null);
  assert.equal(config!.server.viewerStallTimeoutMs, 10_000);
});

test('users with hashes from picamd hash-password are accepted', () => {
  const { config, problems } = validateConfig({ server: { auth: { users: [{ name: 'admin', passwordHash: hash }] } } });
  assert.deepEqual(problems, []);
  assert.equal(config!.server.auth!.users[0]!.name, 'admin');
});

test('plain-text passwords are refused with a clear message', () => {
  const { problems } = validateConfig({
    server: { auth: { users: [{ name: 'admin', passwordHash: 'hunter2' }, { name: 'guest', password: 'guest', passwordHash: hash }] } },
  });
  assert.deepEqual(problems, [
    'server.auth.users.0.passwordHash: must be a password hash from `picamd hash-password`, not a password (plain-text passwords are refused)',
    'server.auth.users.1.password: plain-text passwords are refused; put the output of `picamd hash-password` in passwordHash',
  ]);
});

test('user lists: at least one, names unique and without colons', () => {
  assert.deepEqual(validateConfig({ server: { auth: { users: [] } } }).problems, ['server.auth.users: must have at least 1 item(s)']);
  assert.deepEqual(validateConfig({ server: { auth: { users: [{ name: 'a:b', passwordHash: hash }] } } }).problems, [
    'server.auth.users.0.name: must not contain ":" or control characters',
  ]);
  assert.deepEqual(
    validateConfig({ server: { auth: { users: [{ name: 'a', passwordHash: hash }, { name: 'a', passwordHash: hash }] } } }).problems,
    ['server.auth.users.1.name: a is listed twice'],
  );
});

test('tls needs both files; the stall timeout is bounded', () => {
  assert.deepEqual(validateConfig({ server: { tls: { cert: '/etc/picamd/cert.pem' } } }).problems, ['server.tls.key: must be a string (got nothing)']);
  assert.deepEqual(validateConfig({ server: { viewerStallTimeoutMs: 100 } }).problems, ['server.viewerStallTimeoutMs: must be at least 1000']);
});
