import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientKey } from '../../../../src/web/server/auth/headers.js';
import { LoginLimiter } from '../../../../src/web/server/auth/limiter.js';

test('three typos are free, then the delay doubles up to the cap', () => {
  const limiter = new LoginLimiter({ freeFailures: 3, baseDelayMs: 1000, maxDelayMs: 8000 });
  let t = 0;
  const delays: number[] = [];
  for (let i = 0; i < 7; i++) {
    assert.deepEqual(limiter.check('a', t), { allowed: true });
    const { delayMs } = limiter.fail('a', t);
    delays.push(delayMs);
    if (delayMs > 0) {
      const blocked = limiter.check('a', t + delayMs - 1);
      assert.ok(!blocked.allowed && blocked.retryAfterMs === 1);
    }
    t += delayMs;
  }
  assert.deepEqual(delays, [0, 0, 0, 1000, 2000, 4000, 8000]);
  assert.equal(limiter.fail('a', t).delayMs, 8000, 'capped');
});

test('addresses are counted apart, and a success clears one', () => {
  const limiter = new LoginLimiter({ freeFailures: 0, baseDelayMs: 1000 });
  limiter.fail('a', 0);
  assert.equal(limiter.check('a', 0).allowed, false);
  assert.equal(limiter.check('b', 0).allowed, true);
  limiter.succeed('a');
  assert.equal(limiter.check('a', 0).allowed, true);
  assert.equal(limiter.fail('a', 0).failures, 1, 'counting starts afresh');
});

test('a quiet address is forgotten; memory is bounded whatever the number of addresses', () => {
  const limiter = new LoginLimiter({ freeFailures: 0, baseDelayMs: 10, forgetAfterMs: 1000, maxAddresses: 100 });
  limiter.fail('a', 0);
  limiter.fail('a', 20);
  assert.equal(limiter.fail('a', 1000).failures, 3, 'within the window the count goes on');
  assert.equal(limiter.fail('a', 3000).failures, 1, 'after a quiet spell it starts over');
  for (let i = 0; i < 10_000; i++) limiter.fail(`10.0.${i >> 8}.${i & 255}`, 4000);
  assert.equal(limiter.size, 100);
});

test('by default five failures in 15 minutes are free; the sixth waits 1 s, then the delay doubles up to 5 min', () => {
  const limiter = new LoginLimiter();
  for (let i = 1; i <= 5; i++) {
    assert.deepEqual(limiter.check('a', i), { allowed: true }, `before failure ${i}`);
    assert.deepEqual(limiter.fail('a', i), { failures: i, delayMs: 0 }, `failure ${i}`);
  }
  assert.deepEqual(limiter.check('a', 5), { allowed: true }, 'no delay yet');
  let t = 5;
  const delays: number[] = [];
  for (let i = 0; i < 11; i++) {
    const { delayMs } = limiter.fail('a', t);
    delays.push(delayMs);
    assert.equal(limiter.check('a', t + delayMs - 1).allowed, false);
    t += delayMs;
  }
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000]);
});

test('free failures are counted in a sliding 15-minute window, not for ever', () => {
  const limiter = new LoginLimiter();
  const minute = 60_000;
  // One typo every four minutes never adds up to six within 15 minutes.
  for (let i = 0; i < 20; i++) assert.equal(limiter.fail('a', i * 4 * minute).delayMs, 0, `failure ${i + 1}`);
  // Six within one window do.
  for (let i = 0; i < 5; i++) assert.equal(limiter.fail('b', i * 2 * minute).delayMs, 0);
  assert.equal(limiter.fail('b', 14 * minute).delayMs, 1000);
  // Once delays have begun they keep doubling until the address has been quiet for a while,
  // so waiting out the window does not buy fresh free guesses.
  assert.equal(limiter.fail('b', 29 * minute).delayMs, 2000);
  assert.equal(limiter.fail('b', 90 * minute).delayMs, 0, 'quiet for an hour: forgotten');
});

test('one IPv6 host failing does not make the other hosts of its /64 (its LAN) wait', () => {
  const limiter = new LoginLimiter();
  const guesser = clientKey('2001:db8:1:2::bad');
  for (let i = 0; i < 12; i++) limiter.fail(guesser, 0);
  assert.equal(limiter.check(guesser, 0).allowed, false);
  for (const neighbour of ['2001:db8:1:2::10', '2001:db8:1:2:aaaa:bbbb:cccc:dddd', 'fe80::10']) {
    assert.deepEqual(limiter.check(clientKey(neighbour), 0), { allowed: true }, neighbour);
  }
});

test('a /64 whose addresses fail far more than one host could waits as a whole; a host that logged in does not', () => {
  const limiter = new LoginLimiter({ groupFreeFailures: 50 });
  const member = (i: number) => clientKey(`2001:db8:1:2::${(i + 1).toString(16)}`);
  const trusted = member(9999);
  limiter.succeed(trusted, 0);
  // A fresh address for every guess: each one alone is within its free failures.
  for (let i = 0; i < 50; i++) assert.equal(limiter.fail(member(i), i).delayMs, 0, `guess ${i + 1}`);
  assert.deepEqual(limiter.check(member(50), 50), { allowed: true });
  assert.equal(limiter.fail(member(50), 50).delayMs, 1000, 'the 51st failure in the /64');
  const fresh = limiter.check(member(60), 51);
  assert.ok(!fresh.allowed && fresh.retryAfterMs === 999 && fresh.failures === 51, JSON.stringify(fresh));
  assert.equal(limiter.check(clientKey('2001:db8:1:3::1'), 51).allowed, true, 'the next /64 is not affected');
  assert.equal(limiter.check(trusted, 51).allowed, true, 'an address that logged in recently is judged on its own failures');
  assert.equal(limiter.check(member(60), 1050).allowed, true, 'after the delay');
});

test('memory stays bounded with a fresh IPv6 address or /64 for every failure', () => {
  const limiter = new LoginLimiter({ maxAddresses: 100, maxGroups: 10 });
  for (let i = 0; i < 5000; i++) limiter.fail(clientKey(`2001:db8:${(i % 50).toString(16)}:0::${i.toString(16)}`), i);
  assert.equal(limiter.size, 100);
  assert.equal(limiter.groups, 10);
  for (let i = 0; i < 5000; i++) limiter.succeed(clientKey(`2001:db8::${i.toString(16)}`), 6000);
  assert.ok(limiter.trustedCount <= 100);
});
