import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SessionStore } from '../../../../src/web/server/auth/sessions.js';

test('a session token names its user until it is idle too long or too old', () => {
  const store = new SessionStore({ idleMs: 100, lifetimeMs: 1000, maxSessions: 4 });
  const token = store.create('admin', 0);
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(store.lookup(token, 50), 'admin');
  assert.equal(store.lookup(token, 140), 'admin', 'use keeps it alive');
  for (let t = 200; t <= 1000; t += 80) assert.equal(store.lookup(token, t), 'admin');
  assert.equal(store.lookup(token, 1050), undefined, 'past its lifetime');
  const idle = store.create('admin', 2000);
  assert.equal(store.lookup(idle, 2101), undefined, 'idle too long');
});

test('unknown and malformed tokens name nobody', () => {
  const store = new SessionStore();
  store.create('admin', 0);
  assert.equal(store.lookup('x'.repeat(43), 1), undefined);
  assert.equal(store.lookup('', 1), undefined);
  assert.equal(store.lookup('a;b', 1), undefined);
});

test('the store is bounded: the least recently used session goes first', () => {
  const store = new SessionStore({ maxSessions: 3 });
  const [a, b, c] = [store.create('a', 0), store.create('b', 1), store.create('c', 2)];
  assert.equal(store.lookup(a, 3), 'a');
  const d = store.create('d', 4);
  assert.equal(store.size, 3);
  assert.equal(store.lookup(b, 5), undefined, 'b was least recently used');
  assert.deepEqual([store.lookup(a, 5), store.lookup(c, 5), store.lookup(d, 5)], ['a', 'c', 'd']);
  for (let i = 0; i < 100; i++) store.create('x', 10 + i);
  assert.equal(store.size, 3);
});

test('end(): that session is gone at once, the user’s other sessions stay', () => {
  const store = new SessionStore();
  const a = store.create('ann', 0);
  const b = store.create('ann', 0);
  assert.equal(store.end(a), true);
  assert.equal(store.lookup(a, 1), undefined);
  assert.equal(store.lookup(b, 1), 'ann');
  assert.equal(store.end(a), false, 'twice: nothing left to end');
  assert.equal(store.end('not a token'), false);
});
