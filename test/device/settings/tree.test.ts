import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { changedPaths, decidingLayer, deepEqual, deepMerge, diffTree, withoutPath } from '../../../src/device/settings/tree.js';

test('deepMerge merges objects key by key; arrays, null and scalars replace', () => {
  assert.deepEqual(deepMerge({ a: { b: 1, c: [1, 2] }, d: null }, { a: { c: [3] }, d: { e: 1 } }), { a: { b: 1, c: [3] }, d: { e: 1 } });
  assert.deepEqual(deepMerge({ a: { b: 1 } }, { a: null }), { a: null });
  assert.deepEqual(deepMerge({ a: 1 }, undefined), { a: 1 });
});

test('diffTree keeps only what differs, whole subtrees where a leaf was', () => {
  assert.equal(diffTree({ a: { b: 1 } }, { a: { b: 1 } }), undefined);
  assert.deepEqual(diffTree({ a: { b: 1, c: 2 } }, { a: { b: 1, c: 3 } }), { a: { c: 3 } });
  assert.deepEqual(diffTree({ led: null }, { led: { pin: 1, activeLow: false } }), { led: { pin: 1, activeLow: false } });
  assert.deepEqual(diffTree({ led: { pin: 1 } }, { led: null }), { led: null });
  assert.deepEqual(diffTree({ u: [1, 2] }, { u: [1, 2] }), undefined);
  assert.deepEqual(diffTree({ u: [1, 2] }, { u: [2] }), { u: [2] });
});

test('changedPaths lists differing leaves, sorted', () => {
  assert.deepEqual(changedPaths({ a: { b: 1, c: 2 }, d: [1] }, { a: { b: 1, c: 3 }, d: [2], e: 1 }), ['a.c', 'd', 'e']);
  assert.deepEqual(changedPaths({ led: { pin: 1 } }, { led: null }), ['led']);
  assert.deepEqual(changedPaths({ a: 1 }, { a: 1 }), []);
});

test('decidingLayer: the highest layer holding the path, or a null on the way, unless an object above hides it', () => {
  const page = { log: { level: 'warn' }, gpio: { led: { pin: 5 } } };
  const config = { server: { maxViewers: 4 }, gpio: { led: null, privacy: null } };
  assert.equal(decidingLayer([page, config], ['log', 'level']), 0);
  assert.equal(decidingLayer([page, config], ['server', 'maxViewers']), 1);
  assert.equal(decidingLayer([page, config], ['server', 'deviceName']), undefined);
  assert.equal(decidingLayer([page, config], ['gpio', 'led', 'pin']), 0);
  assert.equal(decidingLayer([page, config], ['gpio', 'led', 'activeLow']), undefined);
  assert.equal(decidingLayer([page, config], ['gpio', 'privacy', 'pin']), 1);
  assert.equal(decidingLayer([{}, {}], ['a']), undefined);
});

test('withoutPath removes a value and the objects it empties', () => {
  assert.deepEqual(withoutPath({ server: { auth: null } }, ['server', 'auth']), {});
  assert.deepEqual(withoutPath({ server: { auth: null, x: 1 } }, ['server', 'auth']), { server: { x: 1 } });
  assert.deepEqual(withoutPath({ a: 1 }, ['b', 'c']), { a: 1 });
});

test('a "__proto__" key from JSON stays an own key through merge and diff', () => {
  const over = JSON.parse('{"__proto__": {"polluted": true}}');
  const merged = deepMerge({ a: 1 }, over) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(merged), Object.prototype);
  assert.deepEqual(Object.keys(merged), ['a', '__proto__']);
  assert.equal(({} as { polluted?: boolean }).polluted, undefined);
  const diff = diffTree({}, over) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(diff), Object.prototype);
  assert.ok(Object.hasOwn(diff, '__proto__'));
});

test('property: the diff merged back over the base gives the next tree', () => {
  // Trees shaped like parsed configs: the same keys on both sides, leaves that may turn null.
  const leaf = fc.oneof(fc.integer(), fc.boolean(), fc.constantFrom('a', 'b'), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 }));
  const shape = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, leaf, fc.dictionary(fc.constantFrom('x', 'y', 'z'), tie('node'), { maxKeys: 3 })),
  })).node;
  fc.assert(
    fc.property(shape, shape, (base, next) => {
      const merged = deepMerge(base, diffTree(base, next));
      // Keys only in base survive a merge (a layer cannot delete), so compare on next's keys; the
      // store's trees are parsed configs, which always have every key.
      return deepEqual(pickKeysOf(next, merged), next);
    }),
  );
});

function pickKeysOf(shape: unknown, value: unknown): unknown {
  if (typeof shape !== 'object' || shape === null || Array.isArray(shape)) return value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(shape)) out[key] = pickKeysOf((shape as Record<string, unknown>)[key], (value as Record<string, unknown>)[key]);
  return out;
}
