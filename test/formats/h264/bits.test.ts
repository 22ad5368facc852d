import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BitReader, BitstreamError, escapeRbsp, unescapeRbsp } from '../../../src/formats/h264/bits.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Writes bits MSB first, for building readers' input: [value, bitCount] pairs. */
function bits(...fields: [number, number][]): Buffer {
  let text = '';
  for (const [value, count] of fields) text += count === 0 ? '' : value.toString(2).padStart(count, '0');
  while (text.length % 8 !== 0) text += '0';
  const out = Buffer.alloc(text.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(i * 8, i * 8 + 8), 2);
  return out;
}

/** The ue(v) code of `k` as a [value, bitCount] field. */
function ueField(k: number): [number, number] {
  const len = Math.floor(Math.log2(k + 1));
  return [k + 1, 2 * len + 1];
}

describe('unescapeRbsp', () => {
  it('removes the 03 after 00 00 and nothing else', () => {
    assert.deepEqual(unescapeRbsp(hex('65 00 00 03 01 ff')), hex('65 00 00 01 ff'));
    assert.deepEqual(unescapeRbsp(hex('65 00 00 03 00 00 03 03')), hex('65 00 00 00 00 03'));
    // A 03 after a single zero, or after a removed 03, stays.
    assert.deepEqual(unescapeRbsp(hex('65 00 03 00 00 03 03')), hex('65 00 03 00 00 03'));
    // A trailing 00 00 03 (cabac_zero_word) loses its 03.
    assert.deepEqual(unescapeRbsp(hex('65 80 00 00 03')), hex('65 80 00 00'));
  });

  it('returns the same buffer, not a copy, when there is nothing to remove', () => {
    const nal = hex('67 64 00 1f ac d9 40 50 05 bb 01 10 00 00 03');
    const plain = nal.subarray(0, 12);
    assert.equal(unescapeRbsp(plain), plain);
  });

  it('undoes escapeRbsp for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a.map((b) => b & 0x03))), (rbsp) => {
        const nal = escapeRbsp(rbsp);
        assert.deepEqual(unescapeRbsp(nal), rbsp);
        // No start code prefix and no 00 00 00 inside an escaped unit; it does not end with 00.
        for (let i = 0; i + 2 < nal.length; i++) {
          assert.ok(!(nal[i] === 0 && nal[i + 1] === 0 && nal[i + 2]! <= 2), `00 00 0x at ${i}`);
        }
        if (nal.length > 0 && rbsp.length > 0) assert.ok(!(nal.at(-1) === 0 && nal.at(-2) === 0));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('escapeRbsp', () => {
  it('inserts 03 where 00 00 is followed by 00..03, and after a final 00 00', () => {
    assert.deepEqual(escapeRbsp(hex('00 00 00')), hex('00 00 03 00'));
    assert.deepEqual(escapeRbsp(hex('00 00 01')), hex('00 00 03 01'));
    assert.deepEqual(escapeRbsp(hex('00 00 02')), hex('00 00 03 02'));
    assert.deepEqual(escapeRbsp(hex('00 00 03')), hex('00 00 03 03'));
    assert.deepEqual(escapeRbsp(hex('00 00 04')), hex('00 00 04'));
    assert.deepEqual(escapeRbsp(hex('00 00 00 00 00')), hex('00 00 03 00 00 03 00'));
    assert.deepEqual(escapeRbsp(hex('80 00 00')), hex('80 00 00 03'));
  });

  it('returns the same buffer when nothing needs escaping', () => {
    const rbsp = hex('06 05 10 00 01 00 80');
    assert.equal(escapeRbsp(rbsp), rbsp);
  });
});

describe('BitReader', () => {
  it('reads u(n) across byte boundaries, up to 32 bits', () => {
    const r = new BitReader(hex('a5 ff 00 12 34 56 78 9a'));
    assert.equal(r.u(1), 1);
    assert.equal(r.u(3), 0b010);
    assert.equal(r.u(0), 0);
    assert.equal(r.u(8), 0x5f);
    assert.equal(r.u(4), 0xf);
    assert.equal(r.position, 16);
    assert.ok(r.byteAligned());
    assert.equal(r.u(32), 0x00123456);
    assert.equal(r.u(16), 0x789a);
    assert.ok(r.atEnd());
    const full = new BitReader(hex('ff ff ff ff'));
    assert.equal(full.u(32), 0xffffffff);
  });

  it('reads ue(v) and se(v) as in the standard (9.1)', () => {
    // 1 → 0, 010 → 1, 011 → 2, 00100 → 3, 00111 → 6, 0001000 → 7
    const r = new BitReader(bits([1, 1], [2, 3], [3, 3], [4, 5], [7, 5], [8, 7]));
    assert.deepEqual([r.ue(), r.ue(), r.ue(), r.ue(), r.ue(), r.ue()], [0, 1, 2, 3, 6, 7]);
    const s = new BitReader(bits(ueField(0), ueField(1), ueField(2), ueField(3), ueField(4), ueField(255)));
    assert.deepEqual([s.se(), s.se(), s.se(), s.se(), s.se(), s.se()], [0, 1, -1, 2, -2, 128]);
  });

  it('round-trips any ue(v) value up to 2^32 - 2', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 32 - 2 }), { minLength: 1, maxLength: 8 }), (values) => {
        const r = new BitReader(bits(...values.map(ueField)));
        for (const v of values) assert.equal(r.ue(), v);
      }),
    );
  });

  it('starts at a byte offset (after the NAL header)', () => {
    const r = new BitReader(hex('67 80'), 1);
    assert.equal(r.ue(), 0);
    assert.equal(r.bitsLeft, 7);
    assert.throws(() => new BitReader(hex('67'), 2), RangeError);
  });

  it('throws a BitstreamError past the end and keeps its position', () => {
    const r = new BitReader(hex('f0'));
    r.u(6);
    assert.throws(() => r.u(3), (e: unknown) => e instanceof BitstreamError && e.bitPosition === 6);
    assert.equal(r.position, 6);
    assert.throws(() => r.skip(3), BitstreamError);
    assert.equal(r.u(2), 0);
    assert.throws(() => r.u(1), /u\(1\) needs 1 bits but 0 are left at bit 8/);
    // A ue(v) whose prefix or suffix runs out.
    const prefix = new BitReader(hex('00'));
    assert.throws(() => prefix.ue(), BitstreamError);
    assert.equal(prefix.position, 0);
    const suffix = new BitReader(hex('02')); // 0000001 then only one suffix bit of six
    assert.throws(() => suffix.ue(), /suffix/);
    assert.equal(suffix.position, 0);
    // A prefix longer than 31 zero bits is not a value this reader can return.
    assert.throws(() => new BitReader(hex('00 00 00 00 80 00 00 00 00')).ue(), /31 leading zero/);
    assert.throws(() => r.u(33), RangeError);
  });

  it('sees more_rbsp_data() up to the rbsp_stop_one_bit', () => {
    // pps-like tail: one flag bit 1, then the stop bit and alignment zeros.
    const r = new BitReader(hex('c0'));
    assert.ok(r.moreRbspData());
    assert.equal(r.u(1), 1);
    assert.ok(!r.moreRbspData());
    // Trailing zero bytes (cabac_zero_words) after the stop bit do not count as data.
    const z = new BitReader(hex('a8 00 00'));
    r.u(0);
    assert.equal(z.u(4), 0b1010);
    assert.ok(!z.moreRbspData());
    assert.ok(!new BitReader(hex('00 00')).moreRbspData());
    assert.ok(!new BitReader(Buffer.alloc(0)).moreRbspData());
    assert.ok(new BitReader(Buffer.alloc(0)).atEnd());
  });
});
