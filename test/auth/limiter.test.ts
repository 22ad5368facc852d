import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoginLimiter } from '../../src/auth/limiter.js';

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
