import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pace } from '../../src/sim/pacer.js';

test('frames are due at start + n * period, without drift', () => {
  // 25 fps: 40 ms. A tick at 0 sends frame 0 and waits until 40.
  assert.deepEqual(pace(1000, 40, 0, 1000), { seq: 0, skipped: 0, nextSeq: 1, delayMs: 40 });
  // Woken 3 ms late for frame 1: the next wait is shorter, so frame 2 is still due at 80.
  assert.deepEqual(pace(1000, 40, 1, 1043), { seq: 1, skipped: 0, nextSeq: 2, delayMs: 37 });
  // Woken early: nothing to send, wait for the rest.
  assert.deepEqual(pace(1000, 40, 2, 1075), { seq: undefined, skipped: 0, nextSeq: 2, delayMs: 5 });
});

test('a late tick skips to the newest due frame instead of bursting', () => {
  // Frames 1..4 are due by 1170; only 4 is sent and 1..3 are counted as skipped.
  assert.deepEqual(pace(1000, 40, 1, 1170), { seq: 4, skipped: 3, nextSeq: 5, delayMs: 30 });
});

test('over many ticks the frame count follows the clock', () => {
  let next = 0;
  let sent = 0;
  let now = 0;
  const period = 1000 / 30;
  while (now < 10_000) {
    const step = pace(0, period, next, now);
    next = step.nextSeq;
    if (step.seq !== undefined) sent++;
    now += Math.ceil(step.delayMs) + 0.7; // timers that always fire a little late
  }
  // Frames 0..299 (or 300, at the boundary) were due within 10 s, and each was sent exactly once.
  assert.ok(next === 300 || next === 301, `next ${next}`);
  assert.equal(sent, next);
});
