import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exposeGc, FrameMemoryReclaimer } from '../../src/runtime/reclaim.js';

/** A heap whose frame memory the test sets, and whose collections free what the test says. */
function fakeHeap() {
  const heap = { bytes: 0, garbage: 0, promoted: 0, calls: [] as string[], now: 0 };
  const gc = (o?: { type: 'minor' | 'major' }) => {
    heap.calls.push(o?.type ?? 'major');
    heap.bytes -= heap.garbage;
    heap.garbage = 0;
    if (o?.type === 'major') {
      heap.bytes -= heap.promoted;
      heap.promoted = 0;
    }
  };
  const timers = { setInterval: () => 1, clearInterval: () => {} };
  return { heap, deps: { gc, arrayBuffers: () => heap.bytes, now: () => heap.now, timers } };
}

const MB = 1024 * 1024;
const options = { budgetBytes: 8 * MB, intervalMs: 250, fullEveryMs: 10_000 };

test('no collection while frame memory stays within the budget', () => {
  const { heap, deps } = fakeHeap();
  const r = new FrameMemoryReclaimer(deps, options);
  heap.bytes = 2 * MB;
  r.start();
  heap.bytes += 7 * MB;
  heap.garbage = 7 * MB;
  r.check();
  assert.deepEqual(heap.calls, []);
});

test('dead young frames past the budget: one minor collection, no full one', () => {
  const { heap, deps } = fakeHeap();
  const r = new FrameMemoryReclaimer(deps, options);
  heap.bytes = 2 * MB;
  r.start();
  heap.bytes += 9 * MB;
  heap.garbage = 9 * MB;
  r.check();
  assert.deepEqual(heap.calls, ['minor']);
  assert.equal(heap.bytes, 2 * MB);
  r.check(); // the next look sees the memory freed
  heap.bytes += 7 * MB;
  r.check();
  assert.deepEqual(heap.calls, ['minor'], 'the budget counts from what survived');
});

test('promoted frames that a minor collection cannot free: a full one, at most every 10 s', () => {
  const { heap, deps } = fakeHeap();
  const r = new FrameMemoryReclaimer(deps, options);
  r.start();
  heap.bytes = 20 * MB;
  heap.promoted = 20 * MB;
  r.check();
  r.check();
  assert.deepEqual(heap.calls, ['minor', 'major']);
  r.check();
  assert.equal(heap.bytes, 0);
  heap.bytes = 20 * MB;
  heap.promoted = 20 * MB;
  heap.now = 5_000;
  r.check();
  r.check();
  assert.deepEqual(heap.calls, ['minor', 'major', 'minor'], 'no second full collection within 10 s');
  heap.now = 10_000;
  heap.bytes += 9 * MB;
  heap.promoted += 9 * MB;
  r.check();
  r.check();
  assert.deepEqual(heap.calls.slice(-2), ['minor', 'major']);
});

test('the real gc: a minor collection frees dead frame buffers', async () => {
  const gc = exposeGc();
  gc();
  await new Promise((r) => setTimeout(r, 50));
  const before = process.memoryUsage().arrayBuffers;
  for (let i = 0; i < 200; i++) Buffer.allocUnsafeSlow(100_000);
  assert.ok(process.memoryUsage().arrayBuffers - before >= 19 * MB, 'the dead buffers are still counted');
  gc({ type: 'minor' });
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(process.memoryUsage().arrayBuffers - before < 2 * MB);
});
