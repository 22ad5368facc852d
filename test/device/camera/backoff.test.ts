import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planRestart } from '../../../src/device/camera/backoff.js';

const policy = { initialMs: 500, maxMs: 30_000, resetAfterMs: 60_000 };

test('delays double from 0.5 s and stop at 30 s', () => {
  let failures = 0;
  const delays: number[] = [];
  for (let i = 0; i < 10; i++) {
    const plan = planRestart(policy, failures, 1_000);
    delays.push(plan.delayMs);
    failures = plan.failures;
  }
  assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
  assert.equal(failures, 10);
});

test('a minute of healthy streaming resets the delay', () => {
  assert.deepEqual(planRestart(policy, 6, 60_000), { delayMs: 500, failures: 1 });
  assert.deepEqual(planRestart(policy, 6, 59_999), { delayMs: 30_000, failures: 7 });
});

test('huge failure counts stay finite', () => {
  assert.equal(planRestart(policy, 5_000, 0).delayMs, 30_000);
});
