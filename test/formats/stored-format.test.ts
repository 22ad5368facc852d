// The format version of picamd's own files: today's read as is, older ones migrated step by step,
// a newer one refused as newer (so the caller fails closed), anything else refused plainly.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFormat } from '../../src/formats/stored-format.js';

describe('readFormat', () => {
  const steps = {
    1: (doc: Record<string, unknown>) => ({ ...doc, users: doc.people, people: undefined }),
    2: (doc: Record<string, unknown>) => ({ ...doc, savedAt: doc.savedAt ?? 'unknown' }),
  };

  it('reads the current format unchanged', () => {
    assert.deepEqual(readFormat({ format: 3, users: [] }, 3, steps, 'accounts'), { ok: true, doc: { format: 3, users: [] }, from: 3 });
  });

  it('migrates an older format through every step, in order', () => {
    const read = readFormat({ format: 1, people: ['ann'] }, 3, steps, 'accounts');
    assert.ok(read.ok);
    assert.equal(read.from, 1);
    assert.deepEqual(read.doc, { format: 3, users: ['ann'], people: undefined, savedAt: 'unknown' });
  });

  it('refuses a newer format as newer, saying it is left as it is', () => {
    const read = readFormat({ format: 4 }, 3, steps, 'accounts');
    assert.deepEqual(read.ok, false);
    assert.ok(!read.ok && read.newer);
    assert.match(!read.ok ? read.reason : '', /format 4 is newer than this picamd knows \(3\).*left as it is/);
  });

  it('refuses a missing step and a format that is not a whole number from 1, not as newer', () => {
    for (const [json, reason] of [
      [{ format: 1 }, /no step from 1 to 2/],
      [{ format: 0 }, /must be a whole number from 1/],
      [{ format: '1' }, /must be a whole number from 1/],
      [{}, /found none/],
      [[1], /must be an object/],
    ] as const) {
      const read = readFormat(json, 2, {}, 'settings');
      assert.ok(!read.ok && !read.newer, JSON.stringify(json));
      assert.match(read.reason, reason);
    }
  });
});
