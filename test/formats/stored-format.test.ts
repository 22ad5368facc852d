// The format version of picamd's own files: today's read as is, older ones migrated step by step,
// a newer one refused as newer (so the caller fails closed), anything else refused plainly.
import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import fc from 'fast-check';
import { COPY_NOTES_KEY, downgradeFormat, readFormat, splitCopyNotes, withCopyNotes } from '../../src/formats/stored-format.js';

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

test('downgradeFormat: steps back one at a time, collecting what each could not carry', () => {
  const steps = {
    1: (doc: Record<string, unknown>) => ({ doc: { ...doc, b: undefined }, lost: ['b'] }),
    2: (doc: Record<string, unknown>) => ({ doc: { ...doc, c: undefined }, lost: ['c'] }),
  };
  const down = downgradeFormat({ format: 3, a: 1, b: 2, c: 3 }, 3, 1, steps);
  assert.ok(down.ok);
  assert.equal(down.doc.format, 1);
  assert.deepEqual(down.lost, ['c', 'b']);
  assert.deepEqual(downgradeFormat({ format: 3 }, 3, 1, { 2: steps[2] }), { ok: false, reason: 'no step from format 2 back to 1' });
});

test('a copy\'s notes ride beside any format and come off again before its own checks', () => {
  fc.assert(
    fc.property(fc.dictionary(fc.string().filter((k) => k !== COPY_NOTES_KEY), fc.jsonValue()), fc.array(fc.string(), { maxLength: 5 }), (doc, notes) => {
      const split = splitCopyNotes(JSON.parse(JSON.stringify(withCopyNotes(doc, notes))));
      assert.deepEqual(split.notes, notes);
      assert.deepEqual(split.doc, JSON.parse(JSON.stringify(doc)));
    }),
  );
  assert.deepEqual(splitCopyNotes({ format: 1, [COPY_NOTES_KEY]: [1, 'x'] }), { doc: { format: 1 }, notes: ['x'] });
});
