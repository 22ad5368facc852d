import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Authenticator, type AuthOutcome } from '../../../../src/web/server/auth/authenticator.js';
import { clientKey } from '../../../../src/web/server/auth/headers.js';
import { LoginLimiter } from '../../../../src/web/server/auth/limiter.js';
import { hashPassword, verifyPassword, type PasswordHash } from '../../../../src/device/accounts/password.js';

const cheap = { ln: 10, r: 8, p: 1 };
const users = [
  { name: 'admin', passwordHash: await hashPassword('s3cret', cheap) },
  { name: 'viewer', passwordHash: await hashPassword('other', cheap) },
];
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const attempt = (authorization: string, sessionToken = '', client = '10.0.0.1') => ({ authorization, sessionToken, client });

/** A verify that counts scrypt runs and can be held open. */
function countingVerify() {
  const calls: string[] = [];
  let release: (() => void) | undefined;
  let gate: Promise<void> | undefined;
  return {
    calls,
    hold() {
      gate = new Promise((resolve) => (release = resolve));
    },
    release: () => release?.(),
    verify: async (password: string, hash: PasswordHash) => {
      calls.push(password);
      if (gate) await gate;
      return verifyPassword(password, hash);
    },
  };
}

test('no credentials: missing; the right password: ok; a wrong one: denied and counted', async () => {
  const auth = new Authenticator({ users });
  assert.deepEqual(auth.authenticate(attempt(''), 0), { kind: 'missing' });
  assert.deepEqual(auth.authenticate(attempt('Bearer x'), 0), { kind: 'missing' });
  assert.deepEqual(await auth.authenticate(attempt(basic('admin', 's3cret')), 0), { kind: 'ok', user: 'admin', via: 'password' });
  assert.deepEqual(await auth.authenticate(attempt(basic('viewer', 'other')), 0), { kind: 'ok', user: 'viewer', via: 'password' });
  assert.deepEqual(await auth.authenticate(attempt(basic('admin', 'other')), 0), { kind: 'denied', user: 'admin', failures: 1, delayMs: 0 });
  assert.deepEqual(await auth.authenticate(attempt(basic('nobody', 's3cret')), 0), { kind: 'denied', user: 'nobody', failures: 2, delayMs: 0 });
});

test('an unknown user costs a scrypt run like a known one (no timing tells which names exist)', async () => {
  const v = countingVerify();
  const auth = new Authenticator({ users, verify: v.verify });
  await auth.authenticate(attempt(basic('nobody', 'x')), 0);
  assert.deepEqual(v.calls, ['x']);
});

test('verified credentials are remembered: repeat requests answer at once without scrypt', async () => {
  const v = countingVerify();
  const auth = new Authenticator({ users, verify: v.verify }, { verifiedTtlMs: 1000 });
  const header = basic('admin', 's3cret');
  assert.equal((await auth.authenticate(attempt(header), 0)).kind, 'ok');
  for (let t = 500; t <= 3000; t += 500) {
    assert.deepEqual(auth.authenticate(attempt(header), t), { kind: 'ok', user: 'admin', via: 'password' }, 'synchronous');
  }
  assert.equal(v.calls.length, 1);
  const later = auth.authenticate(attempt(header), 5000);
  assert.ok(later instanceof Promise, 'unused past the TTL: checked again');
  assert.equal((await later).kind, 'ok');
  assert.equal(v.calls.length, 2);
  // A wrong password is never remembered.
  await auth.authenticate(attempt(basic('admin', 'nope')), 5000);
  assert.ok(auth.authenticate(attempt(basic('admin', 'nope')), 5001) instanceof Promise);
});

test('requests with the same credentials at once share one check, and a failure counts once', async () => {
  const v = countingVerify();
  const auth = new Authenticator({ users, verify: v.verify });
  v.hold();
  const wrong = [1, 2, 3, 4, 5].map(() => auth.authenticate(attempt(basic('admin', 'guess')), 0));
  v.release();
  const outcomes = (await Promise.all(wrong)) as AuthOutcome[];
  assert.equal(v.calls.length, 1);
  assert.ok(outcomes.every((o) => o.kind === 'denied' && o.failures === 1));
});

test('at most two checks run at once; more wait their turn, and beyond the queue the device is busy', async () => {
  const v = countingVerify();
  const auth = new Authenticator({ users, verify: v.verify }, { maxWaitingChecks: 1 });
  v.hold();
  const a = auth.authenticate(attempt(basic('admin', 'a')), 0);
  const b = auth.authenticate(attempt(basic('admin', 'b'), '', '10.0.0.2'), 0);
  const c = auth.authenticate(attempt(basic('admin', 's3cret'), '', '10.0.0.3'), 0);
  assert.ok(c instanceof Promise, 'waits');
  assert.deepEqual(auth.authenticate(attempt(basic('admin', 'd'), '', '10.0.0.4'), 0), { kind: 'busy' });
  assert.deepEqual(v.calls, ['a', 'b'], 'two running');
  v.release();
  await Promise.all([a, b]);
  assert.equal((await c).kind, 'ok');
  assert.ok(auth.authenticate(attempt(basic('admin', 'd'), '', '10.0.0.4'), 0) instanceof Promise, 'free again');
});

test('a client that keeps failing must wait, without its guesses being checked', async () => {
  const v = countingVerify();
  const limiter = new LoginLimiter({ freeFailures: 2, baseDelayMs: 1000 });
  const auth = new Authenticator({ users, verify: v.verify, limiter });
  for (const guess of ['a', 'b']) assert.equal((await auth.authenticate(attempt(basic('admin', guess)), 0)).kind, 'denied');
  assert.deepEqual(await auth.authenticate(attempt(basic('admin', 'c')), 0), { kind: 'denied', user: 'admin', failures: 3, delayMs: 1000 });
  const calls = v.calls.length;
  assert.deepEqual(auth.authenticate(attempt(basic('admin', 's3cret')), 500), { kind: 'limited', retryAfterMs: 500, failures: 3 });
  assert.equal(v.calls.length, calls, 'not even the right password is checked while it waits');
  assert.equal(auth.authenticate(attempt(basic('admin', 'x'), '', '10.9.9.9'), 500) instanceof Promise, true, 'other clients are not affected');
  assert.equal((await auth.authenticate(attempt(basic('admin', 's3cret')), 1000)).kind, 'ok', 'after the delay');
  assert.equal(limiter.check('10.0.0.1', 1000).allowed, true, 'a success clears the record');
});

test('a session token stands for its user; an unknown one falls back to Basic', async () => {
  const auth = new Authenticator({ users });
  const token = auth.createSession('admin', 0);
  assert.deepEqual(auth.authenticate(attempt('', token), 10), { kind: 'ok', user: 'admin', via: 'session' });
  assert.deepEqual(auth.authenticate(attempt('', 'A'.repeat(43)), 10), { kind: 'missing' });
  assert.equal((await auth.authenticate(attempt(basic('admin', 's3cret'), 'A'.repeat(43)), 10)).kind, 'ok');
});

test('hashes are checked when the authenticator is built', () => {
  assert.throws(() => new Authenticator({ users: [{ name: 'a', passwordHash: 'plain' }] }), /user a: .*plain-text/);
  assert.throws(() => new Authenticator({ users: [] }), /at least one user/);
});

test('a waiting address is refused even with recently verified credentials; a remembered success clears its failures', async () => {
  const v = countingVerify();
  const limiter = new LoginLimiter({ freeFailures: 1, baseDelayMs: 60_000 });
  const auth = new Authenticator({ users, verify: v.verify, limiter });
  const right = basic('admin', 's3cret');
  assert.equal((await auth.authenticate(attempt(right), 0)).kind, 'ok', 'now remembered');
  for (const guess of ['a', 'b']) assert.equal((await auth.authenticate(attempt(basic('admin', guess)), 1)).kind, 'denied');
  const calls = v.calls.length;
  for (let t = 2; t < 60_001; t += 6_000) {
    const outcome = auth.authenticate(attempt(right), t);
    assert.deepEqual(outcome, { kind: 'limited', retryAfterMs: 60_001 - t, failures: 2 }, `at ${t} ms`);
  }
  assert.equal(v.calls.length, calls, 'nothing checked while it waits');
  assert.deepEqual(auth.authenticate(attempt(right), 60_001), { kind: 'ok', user: 'admin', via: 'password' }, 'remembered, after the wait');
  assert.equal(v.calls.length, calls, 'without scrypt');
  assert.equal(limiter.check('10.0.0.1', 60_001).allowed, true);
  assert.deepEqual(await auth.authenticate(attempt(basic('admin', 'c')), 60_002), { kind: 'denied', user: 'admin', failures: 1, delayMs: 0 }, 'counting starts afresh');
});

test('a password that is not UTF-8 is no credentials: not checked, not counted', async () => {
  const v = countingVerify();
  const auth = new Authenticator({ users, verify: v.verify });
  const header = `Basic ${Buffer.concat([Buffer.from('admin:s3cre'), Buffer.from([0xff])]).toString('base64')}`;
  assert.deepEqual(auth.authenticate(attempt(header), 0), { kind: 'missing' });
  assert.equal(v.calls.length, 0);
  assert.equal(auth.limiter.size, 0);
});

test('IPv6: a host that logged in keeps working while other addresses of its /64 wait', async () => {
  const auth = new Authenticator({ users }, { maxConcurrentChecks: 64 });
  const host = clientKey('2001:db8:1:2::10');
  const right = basic('admin', 's3cret');
  assert.equal((await auth.authenticate(attempt(right, '', host), 0)).kind, 'ok');
  const others = Array.from({ length: 60 }, (_, i) => clientKey(`2001:db8:1:2::${(0x100 + i).toString(16)}`));
  for (const other of others) await auth.authenticate(attempt(basic('admin', 'guess'), '', other), 1);
  // 50 failures in the /64 are free; the 51st makes it wait 1 s, and the guesses after it are refused unchecked.
  const fresh = auth.authenticate(attempt(basic('admin', 'x'), '', clientKey('2001:db8:1:2::ffff')), 2);
  assert.deepEqual(fresh, { kind: 'limited', retryAfterMs: 999, failures: 51 }, 'a fresh address of the /64');
  assert.deepEqual(auth.authenticate(attempt(right, '', host), 2), { kind: 'ok', user: 'admin', via: 'password' });
});

test('a flood of guesses from addresses with failures neither starves a first login nor grows memory', async () => {
  const v = countingVerify();
  const limiter = new LoginLimiter();
  const auth = new Authenticator({ users, verify: v.verify, limiter });
  const flood = Array.from({ length: 1000 }, (_, i) => `10.1.${i >> 8}.${i & 255}`);
  for (const client of flood) limiter.fail(client, 0);
  v.hold();
  const answers = flood.map((client, i) => auth.authenticate(attempt(basic('admin', `guess${i}`), '', client), 1));
  const held = answers.filter((a): a is Promise<AuthOutcome> => a instanceof Promise);
  assert.equal(held.length, 2 + 32, 'two checks running, 32 waiting; the rest are told the device is busy');
  assert.ok(answers.every((a) => a instanceof Promise || a.kind === 'busy'));
  const first = auth.authenticate(attempt(basic('admin', 's3cret'), '', '192.168.1.50'), 2);
  assert.ok(first instanceof Promise, 'a first login from a clean address is queued, not refused');
  v.release();
  assert.deepEqual(await first, { kind: 'ok', user: 'admin', via: 'password' });
  assert.equal(v.calls.indexOf('s3cret'), 2, 'and checked as soon as a slot frees up');
  const outcomes = await Promise.all(held);
  assert.equal(outcomes.filter((o) => o.kind === 'busy').length, 1, 'it took the place of one waiting guess');
  assert.equal(outcomes.filter((o) => o.kind === 'denied').length, 33);
});

test('one address has at most two checks under way; others are served in turn', async () => {
  const v = countingVerify();
  const auth = new Authenticator({ users, verify: v.verify }, { maxConcurrentChecks: 1 });
  v.hold();
  const from = (client: string, password: string) => auth.authenticate(attempt(basic('admin', password), '', client), 0);
  const pending = [from('10.0.0.1', 'a1'), from('10.0.0.1', 'a2'), from('10.0.0.2', 'b1'), from('10.0.0.2', 'b2'), from('10.0.0.3', 'c1')];
  assert.deepEqual(from('10.0.0.1', 'a3'), { kind: 'busy' }, 'a third from one address');
  assert.ok(from('10.0.0.1', 'a2') instanceof Promise, 'the same credentials again share the check under way');
  v.release();
  await Promise.all(pending);
  assert.deepEqual(v.calls, ['a1', 'b1', 'c1', 'a2', 'b2']);
});

test('a waiting check whose address has meanwhile been told to wait is not run', async () => {
  const v = countingVerify();
  const limiter = new LoginLimiter({ freeFailures: 0, baseDelayMs: 60_000 });
  const auth = new Authenticator({ users, verify: v.verify, limiter }, { maxConcurrentChecks: 1 });
  v.hold();
  const first = auth.authenticate(attempt(basic('admin', 'a')), 0);
  const second = auth.authenticate(attempt(basic('admin', 'b')), 0);
  v.release();
  assert.deepEqual(await first, { kind: 'denied', user: 'admin', failures: 1, delayMs: 60_000 });
  assert.deepEqual(await second, { kind: 'limited', retryAfterMs: 60_000, failures: 1 });
  assert.deepEqual(v.calls, ['a']);
});

test('setUsers: a changed password stops working at once, a removed user loses its sessions, the rest carry on', async () => {
  const auth = new Authenticator({ users });
  assert.equal((await auth.authenticate(attempt(basic('admin', 's3cret')), 0)).kind, 'ok');
  const session = auth.createSession('viewer', 0);
  assert.equal((auth.authenticate(attempt('', session), 1) as AuthOutcome).kind, 'ok');
  auth.setUsers([{ name: 'admin', passwordHash: await hashPassword('new one', cheap) }]);
  assert.equal((await auth.authenticate(attempt(basic('admin', 's3cret')), 2)).kind, 'denied', 'the remembered old password is forgotten');
  assert.equal((await auth.authenticate(attempt(basic('admin', 'new one'), '', '10.0.0.2'), 3)).kind, 'ok');
  assert.equal((auth.authenticate(attempt('', session), 4) as AuthOutcome).kind, 'missing', 'the removed user is logged out');
  assert.throws(() => auth.setUsers([]), /at least one user/);
});

test('passwordVerified hears of a checked right password only (the accounts then keep its Digest HA1)', async () => {
  const heard: string[] = [];
  const auth = new Authenticator({ users, passwordVerified: (user, password) => heard.push(`${user}:${password}`) });
  assert.equal((await auth.authenticate(attempt(basic('admin', 'wrong')), 0)).kind, 'denied');
  assert.equal((await auth.authenticate(attempt(basic('admin', 's3cret')), 0)).kind, 'ok');
  assert.equal((await auth.authenticate(attempt(basic('admin', 's3cret')), 1)).kind, 'ok', 'from the cache: no new check');
  assert.deepEqual(heard, ['admin:s3cret']);
});
