import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CheckQueue } from '../../../../src/web/server/auth/check-queue.js';

/** Jobs that finish when told to, recording the order they started in. */
function jobs() {
  const started: string[] = [];
  const finish = new Map<string, (value: string) => void>();
  const job = (name: string) => () => {
    started.push(name);
    return new Promise<string>((resolve) => finish.set(name, resolve));
  };
  const end = async (name: string) => {
    finish.get(name)!(name);
    // Let the queue's bookkeeping (a promise callback) run.
    await new Promise((r) => setImmediate(r));
  };
  return { started, job, end };
}

test('clients take turns; a client without failures goes first; the order of arrival breaks ties', async () => {
  const failing = new Set(['x']);
  const queue = new CheckQueue<string>({ maxRunning: 1, maxWaiting: 10, maxPerClient: 2 }, (c) => !failing.has(c));
  const { started, job, end } = jobs();
  const dropped = () => 'dropped';
  for (const [client, name] of [['a', 'a1'], ['a', 'a2'], ['x', 'x1'], ['b', 'b1'], ['x', 'x2'], ['b', 'b2'], ['c', 'c1']]) {
    assert.ok(queue.submit(client!, job(name!), dropped), name);
  }
  for (const name of ['a1', 'b1', 'c1', 'a2', 'b2', 'x1']) await end(name);
  await end('x2');
  assert.deepEqual(started, ['a1', 'b1', 'c1', 'a2', 'b2', 'x1', 'x2']);
  assert.equal(queue.runningCount + queue.waitingCount, 0);
});

test('per client and in all the queue is bounded; an urgent client pushes out the last of a failing one', async () => {
  const failing = new Set(['x', 'y']);
  const queue = new CheckQueue<string>({ maxRunning: 1, maxWaiting: 2, maxPerClient: 2 }, (c) => !failing.has(c));
  const { started, job, end } = jobs();
  const dropped = () => 'dropped';
  const x1 = queue.submit('x', job('x1'), dropped);
  const x2 = queue.submit('x', job('x2'), dropped);
  assert.equal(queue.submit('x', job('x3'), dropped), undefined, 'x has two under way');
  const y1 = queue.submit('y', job('y1'), dropped);
  assert.equal(queue.submit('y', job('y2'), dropped), undefined, 'the queue is full, and y has failures');
  const a1 = queue.submit('a', job('a1'), dropped);
  assert.ok(a1, 'room is made for a client without failures');
  assert.equal(await x2, 'dropped', 'x2 would have run last (x was served already)');
  const b1 = queue.submit('b', job('b1'), dropped);
  assert.ok(b1);
  assert.equal(await y1, 'dropped');
  assert.equal(queue.submit('c', job('c1'), dropped), undefined, 'only clients without failures wait: nothing to push out');
  assert.equal(queue.waitingCount, 2);
  await end('x1');
  await end('a1');
  await end('b1');
  assert.deepEqual(started, ['x1', 'a1', 'b1']);
  assert.deepEqual(await Promise.all([x1, a1, b1]), ['x1', 'a1', 'b1']);
});

test('a check that throws is an error for its caller and frees its slot', async () => {
  const queue = new CheckQueue<string>({ maxRunning: 1, maxWaiting: 1, maxPerClient: 1 }, () => true);
  const failed = queue.submit('a', () => {
    throw new Error('boom');
  }, () => 'dropped');
  await assert.rejects(failed!, /boom/);
  await new Promise((r) => setImmediate(r));
  assert.equal(await queue.submit('a', async () => 'fine', () => 'dropped'), 'fine');
});
