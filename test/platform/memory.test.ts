import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lastGoodMemory } from '../../src/platform/memory.js';

test('a reading that fails (EMFILE) keeps the last good one', () => {
  let fail = false;
  let rss = 1;
  const memory = lastGoodMemory(() => {
    if (fail) throw Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' });
    return { rss: rss++, heapUsed: 2, arrayBuffers: 3 };
  });
  assert.equal(memory().rss, 1);
  fail = true;
  assert.deepEqual(memory(), { rss: 1, heapUsed: 2, arrayBuffers: 3 });
  fail = false;
  assert.equal(memory().rss, 2);
});
