import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IntervalTimers } from '../../../src/platform/clock.js';
import { openMjpeg } from '../../fakes/mjpeg-client.js';
import { startServer } from '../../fakes/server.js';
import { waitFor } from '../../fakes/wait.js';

// The stalled-viewer sweep runs only while someone watches: a camera streaming to nobody (most of
// its day) is not woken for it. Fake interval timers that never fire record what the server arms.

class RecordingTimers implements IntervalTimers {
  readonly armed = new Map<number, { fn: () => void; ms: number }>();
  private nextId = 1;
  setInterval = (fn: () => void, ms: number): unknown => {
    const id = this.nextId++;
    this.armed.set(id, { fn, ms });
    return id;
  };
  clearInterval = (handle: unknown): void => {
    this.armed.delete(handle as number);
  };
}

test('the stall sweep runs while there are viewers, stops when the last leaves, and starts again with the next', async (t) => {
  const timers = new RecordingTimers();
  let changes = 0;
  const server = await startServer({ server: { viewerStallTimeoutMs: 2_000 }, deps: { timers, onViewersChanged: () => changes++ } });
  t.after(() => server.stop());
  assert.equal(server.server.sweeping, false, 'no viewer, no sweep');
  assert.equal(timers.armed.size, 0);

  const first = openMjpeg(server.port);
  t.after(() => first.close());
  await waitFor('first viewer', () => server.broadcaster.viewerCount === 1);
  assert.equal(server.server.sweeping, true);
  assert.deepEqual([...timers.armed.values()].map((x) => x.ms), [500], 'a quarter of the stall timeout');
  assert.equal(changes, 1, 'the owner still hears of every viewer');

  const second = openMjpeg(server.port);
  await waitFor('second viewer', () => server.broadcaster.viewerCount === 2);
  assert.equal(timers.armed.size, 1, 'one sweep for every viewer');
  second.close();
  await waitFor('second gone', () => server.broadcaster.viewerCount === 1);
  assert.equal(timers.armed.size, 1, 'still a viewer to sweep');

  first.close();
  await waitFor('sweep stopped', () => !server.server.sweeping);
  assert.equal(timers.armed.size, 0);
  assert.equal(changes, 4);

  const third = openMjpeg(server.port);
  t.after(() => third.close());
  await waitFor('third viewer', () => server.server.sweeping);
  assert.equal(timers.armed.size, 1);
  // The sweep armed again still sweeps: a viewer idle past the timeout is dropped.
  const sweep = [...timers.armed.values()][0]!.fn;
  sweep();
  assert.equal(server.broadcaster.viewerCount, 1, 'a viewer that just joined is not stalled');
  server.stop();
  assert.equal(timers.armed.size, 0, 'stop() clears it');
  assert.equal(server.server.sweeping, false);
});
