import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FrameMemoryReclaimer, startupGc } from '../../src/platform/reclaim.js';
import { memoryLogger } from '../fakes/logger.js';

/**
 * A heap whose frame memory the test sets, and whose collections free what the test says. Like
 * V8's external memory, the reading after a collection moves only once a new buffer is made
 * (`frame()`), so a look in between sees the same number as at the collection.
 */
function fakeHeap() {
  const heap = { bytes: 0, garbage: 0, promoted: 0, calls: [] as string[], now: 0, pendingFree: 0, intervals: 0 };
  const gc = (o?: { type: 'minor' | 'major' }) => {
    heap.calls.push(o?.type ?? 'major');
    heap.pendingFree += heap.garbage;
    heap.garbage = 0;
    if (o?.type === 'major') {
      heap.pendingFree += heap.promoted;
      heap.promoted = 0;
    }
  };
  /** A new frame buffer of `n` bytes that dies young; V8 settles its count of what was freed. */
  const frame = (n = 100_000) => {
    heap.bytes += n - heap.pendingFree;
    heap.garbage += n;
    heap.pendingFree = 0;
  };
  const timers = {
    setInterval: () => {
      heap.intervals++;
      return heap.intervals;
    },
    clearInterval: () => {
      heap.intervals--;
    },
  };
  return { heap, frame, deps: { gc, arrayBuffers: () => heap.bytes, now: () => heap.now, timers } };
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
  const { heap, frame, deps } = fakeHeap();
  const r = new FrameMemoryReclaimer(deps, options);
  heap.bytes = 2 * MB;
  r.start();
  for (let i = 0; i < 9; i++) frame(MB);
  r.check();
  assert.deepEqual(heap.calls, ['minor']);
  r.check(); // nothing made since: the reading has not moved, so nothing is judged yet
  assert.deepEqual(heap.calls, ['minor']);
  frame(MB); // the next frame: V8 settles what the collection freed
  assert.equal(heap.bytes, 3 * MB);
  r.check();
  for (let i = 0; i < 6; i++) frame(MB);
  r.check();
  assert.deepEqual(heap.calls, ['minor'], 'the budget counts from what survived');
  assert.equal(r.minor, 1);
  assert.equal(r.major, 0);
});

test('promoted frames that a minor collection cannot free: a full one, at most every 10 s', () => {
  const { heap, frame, deps } = fakeHeap();
  const r = new FrameMemoryReclaimer(deps, options);
  r.start();
  heap.bytes = 20 * MB;
  heap.promoted = 20 * MB;
  r.check();
  frame();
  r.check();
  assert.deepEqual(heap.calls, ['minor', 'major']);
  frame();
  r.check();
  assert.ok(heap.bytes < MB, `${heap.bytes} bytes left after the full collection`);
  heap.bytes += 20 * MB;
  heap.promoted = 20 * MB;
  heap.now = 5_000;
  r.check();
  frame();
  r.check();
  assert.deepEqual(heap.calls, ['minor', 'major', 'minor'], 'no second full collection within 10 s');
  heap.now = 10_000;
  heap.bytes += 9 * MB;
  heap.promoted += 9 * MB;
  r.check();
  frame();
  r.check();
  assert.deepEqual(heap.calls.slice(-2), ['minor', 'major']);
});

test('a collection made by V8 itself lowers the baseline the budget counts from', () => {
  const { heap, deps } = fakeHeap();
  const r = new FrameMemoryReclaimer(deps, options);
  heap.bytes = 30 * MB;
  r.start();
  heap.bytes = 2 * MB; // V8 collected on its own schedule
  r.check();
  heap.bytes += 9 * MB;
  r.check();
  assert.deepEqual(heap.calls, ['minor'], '9 MB over what V8 left is over the 8 MB budget');
});

test('without --expose-gc: off, with one log line, no timer, and stop() is safe twice', () => {
  const { heap, deps } = fakeHeap();
  const logger = memoryLogger();
  const r = new FrameMemoryReclaimer({ ...deps, gc: undefined, logger: logger.child('reclaim') }, options);
  assert.equal(r.enabled, false);
  r.start();
  r.start();
  assert.equal(heap.intervals, 0);
  heap.bytes = 50 * MB;
  r.check();
  assert.deepEqual(logger.lines, ['info reclaim: off: node was started without --expose-gc, so V8 alone decides when dead frames are freed']);
  r.stop();
  r.stop();
  assert.equal(heap.intervals, 0);
});

test('start() and stop() hold one interval timer at most', () => {
  const { heap, deps } = fakeHeap();
  const r = new FrameMemoryReclaimer(deps, options);
  assert.equal(r.enabled, true);
  r.start();
  r.start();
  assert.equal(heap.intervals, 1);
  r.stop();
  r.stop();
  assert.equal(heap.intervals, 0);
});

test('startupGc takes gc() only as node --expose-gc put it on the global object', () => {
  const gc = () => {};
  assert.equal(startupGc({ gc }), gc);
  assert.equal(startupGc({}), undefined);
  assert.equal(startupGc({ gc: 'gc' }), undefined);
});

const reclaimModule = fileURLToPath(new URL('../../src/platform/reclaim.ts', import.meta.url));

/** Runs an ES module snippet in a fresh node (with tsx, to import the source), with node flags and a shell prefix. */
function runNode(flags: string[], code: string, shellPrefix = ''): { status: number | null; stdout: string; stderr: string } {
  const argv = [process.execPath, ...flags, '--import', 'tsx', '--input-type=module', '-e', code];
  const quoted = argv.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  return spawnSync('bash', ['-c', `${shellPrefix}exec ${quoted}`], { encoding: 'utf8', timeout: 120_000 });
}

test('node --expose-gc: startupGc() is V8 gc, and a minor collection frees dead frames in externalMemory()', () => {
  const r = runNode(
    ['--expose-gc'],
    `
    import { startupGc, externalMemory } from ${JSON.stringify(reclaimModule)};
    const gc = startupGc();
    if (typeof gc !== 'function') throw new Error('no gc with --expose-gc');
    gc();
    await new Promise((r) => setTimeout(r, 50));
    Buffer.allocUnsafeSlow(100_000);
    const before = externalMemory();
    for (let i = 0; i < 200; i++) Buffer.allocUnsafeSlow(100_000);
    const grown = externalMemory() - before;
    gc({ type: 'minor' });
    await new Promise((r) => setTimeout(r, 50));
    Buffer.allocUnsafeSlow(100_000); // the next frame: V8 settles its count
    const left = externalMemory() - before;
    console.log(JSON.stringify({ grown, left }));
    `,
  );
  assert.equal(r.status, 0, r.stderr);
  const { grown, left } = JSON.parse(r.stdout) as { grown: number; left: number };
  assert.ok(grown >= 19 * MB, `200 dead 100 KB buffers are counted (${grown} bytes)`);
  assert.ok(left < 2 * MB, `a minor collection freed them (${left} bytes left)`);
});

test('plain node: no gc, and the reclaimer says it is off', () => {
  const r = runNode(
    [],
    `
    import { startupGc, FrameMemoryReclaimer, externalMemory } from ${JSON.stringify(reclaimModule)};
    const r = new FrameMemoryReclaimer({ gc: startupGc(), arrayBuffers: externalMemory, now: () => 0,
      timers: { setInterval, clearInterval }, logger: { info: (m) => console.log('reclaim: ' + m) } });
    r.start();
    r.stop();
    `,
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^reclaim: off: node was started without --expose-gc/);
});

test('externalMemory() still reads with every file descriptor taken, where process.memoryUsage() fails', () => {
  const r = runNode(
    [],
    `
    import { openSync } from 'node:fs';
    import { externalMemory } from ${JSON.stringify(reclaimModule)};
    let taken = 0;
    try { for (;;) { openSync('/dev/null', 'r'); taken++; } } catch (e) { if (e.code !== 'EMFILE') throw e; }
    const reading = externalMemory();
    let usage = 'read';
    try { process.memoryUsage(); } catch (e) { usage = e.code; }
    console.log(JSON.stringify({ taken, reading, usage }));
    process.exit(0);
    `,
    'ulimit -n 256; ',
  );
  assert.equal(r.status, 0, r.stderr);
  const { reading, usage } = JSON.parse(r.stdout) as { reading: number; usage: string };
  assert.ok(Number.isFinite(reading) && reading > 0);
  assert.equal(usage, 'EMFILE', 'process.memoryUsage() opens /proc/self/stat');
});

test('the looks follow the frames: every intervalMs while memory grows fast, slower as it grows slowly, idleIntervalMs when nothing comes', () => {
  const { heap, frame, deps } = fakeHeap();
  let look: (() => void) | undefined;
  let armed = 0;
  const periods: number[] = [];
  const timers = {
    setInterval: (fn: () => void, ms: number) => {
      armed++;
      look = fn;
      periods.push(ms);
      return periods.length;
    },
    clearInterval: () => {
      armed--;
    },
  };
  const r = new FrameMemoryReclaimer({ ...deps, timers }, { budgetBytes: 2 * MB, intervalMs: 250, idleIntervalMs: 1_000, fullEveryMs: 10_000 });
  r.start();
  assert.equal(r.lookEveryMs, 250);
  /** The timer's look after `ms`, with `bytes` of frames made meanwhile. */
  const after = (ms: number, bytes: number) => {
    for (let made = 0; made < bytes; made += 100_000) frame(Math.min(100_000, bytes - made));
    heap.now += ms;
    look!();
  };
  // The camera paused: nothing comes, a look a second.
  after(250, 0);
  assert.equal(r.lookEveryMs, 1_000);
  after(1_000, 0);
  assert.equal(r.lookEveryMs, 1_000);
  // Frames again, 4 MB/s: the first look after the pause collects what piled up (at most the rate
  // times idleIntervalMs), then the budget fills in half a second: a look every 250 ms.
  after(1_000, 4 * MB);
  assert.deepEqual(heap.calls, ['minor']);
  assert.equal(r.lookEveryMs, 250);
  // Steady at 4 MB/s: a look every 250 ms, as before, and a collection each time the budget fills.
  let start = heap.now;
  let looks = 0;
  let peak = 0;
  while (heap.now - start < 10_000) {
    after(r.lookEveryMs, r.lookEveryMs * 4 * 1_000);
    looks++;
    peak = Math.max(peak, heap.bytes);
  }
  assert.equal(looks, 40);
  assert.ok(heap.calls.length >= 10 && heap.calls.every((c) => c === 'minor'), heap.calls.join());
  // The judge look's reading (1 MB grown since the collection) counts as kept: the budget over it, and a look's growth.
  assert.ok(peak <= 4 * MB, `within what was kept, the budget and a look's growth (${peak} bytes)`);
  // The privacy placeholder alone (about 100 KB a second): the budget is 20 s away, a look a
  // second; closer looks only as it nears, and it is still collected when it fills.
  const collections = heap.calls.length;
  start = heap.now;
  looks = 0;
  peak = 0;
  while (heap.now - start < 40_000) {
    after(r.lookEveryMs, (r.lookEveryMs / 1_000) * 100_000);
    looks++;
    peak = Math.max(peak, heap.bytes);
  }
  assert.ok(looks <= 80, `${looks} looks in 40 s, against 160 at 250 ms`);
  assert.ok(heap.calls.length - collections >= 1, 'collected when the budget filled');
  assert.ok(peak <= 2 * MB + 200_000, `at most the budget and one look's growth (${peak} bytes)`);
  assert.equal(armed, 1, 'one interval timer, re-armed at a new pace');
  r.stop();
  assert.equal(armed, 0);
  assert.equal(r.lookEveryMs, 0);
});
