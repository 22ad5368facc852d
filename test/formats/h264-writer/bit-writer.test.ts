import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BitReader } from '../../../src/formats/h264/bits.js';
import { BitWriter } from '../../../src/formats/h264-writer/bit-writer.js';

/** The bits written, as a string of 0 and 1 (the padding of the last byte left out). */
function bitString(w: BitWriter): string {
  const text = [...w.toBuffer()].map((b) => b.toString(2).padStart(8, '0')).join('');
  return text.slice(0, w.bitLength);
}

type Op = { kind: 'u'; n: number; value: number } | { kind: 'ue'; value: number } | { kind: 'se'; value: number } | { kind: 'flag'; value: boolean };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.integer({ min: 0, max: 32 }).chain((n) =>
    fc.record({ kind: fc.constant('u' as const), n: fc.constant(n), value: n === 0 ? fc.constant(0) : fc.integer({ min: 0, max: 2 ** n - 1 }) }),
  ),
  fc.record({ kind: fc.constant('ue' as const), value: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 2 ** 32 - 2 })) }),
  fc.record({ kind: fc.constant('se' as const), value: fc.oneof(fc.integer({ min: -300, max: 300 }), fc.integer({ min: -(2 ** 31) + 1, max: 2 ** 31 - 1 })) }),
  fc.record({ kind: fc.constant('flag' as const), value: fc.boolean() }),
);

describe('BitWriter', () => {
  it('writes the Exp-Golomb codes of table 9-2 and 9.1.1', () => {
    const cases: [number, string][] = [[0, '1'], [1, '010'], [2, '011'], [3, '00100'], [6, '00111'], [7, '0001000'], [14, '0001111']];
    for (const [value, code] of cases) {
      const w = new BitWriter();
      w.ue(value);
      assert.equal(bitString(w), code, `ue(${value})`);
    }
    const signed: [number, string][] = [[0, '1'], [1, '010'], [-1, '011'], [2, '00100'], [-2, '00101']];
    for (const [value, code] of signed) {
      const w = new BitWriter();
      w.se(value);
      assert.equal(bitString(w), code, `se(${value})`);
    }
  });

  it('reads back through the BitReader exactly what it wrote, for any sequence of fields', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const w = new BitWriter(1); // grows from the smallest buffer
        for (const o of ops) {
          if (o.kind === 'u') w.u(o.n, o.value);
          else if (o.kind === 'ue') w.ue(o.value);
          else if (o.kind === 'se') w.se(o.value);
          else w.flag(o.value);
        }
        const written = w.bitLength;
        w.trailingBits();
        assert.ok(w.byteAligned());
        const r = new BitReader(w.toBuffer());
        for (const o of ops) {
          if (o.kind === 'u') assert.equal(r.u(o.n), o.value);
          else if (o.kind === 'ue') assert.equal(r.ue(), o.value);
          else if (o.kind === 'se') assert.equal(r.se(), o.value);
          else assert.equal(r.flag(), o.value);
        }
        assert.equal(r.position, written);
        assert.equal(r.moreRbspData(), false, 'the stop bit ends the data');
      }),
      { numRuns: 500 },
    );
  });

  it('writes table codes bit by bit and pads to the byte boundary with zeros', () => {
    const w = new BitWriter();
    w.code('000101');
    w.alignZero();
    w.code('1');
    assert.deepEqual(w.toBuffer(), Buffer.from([0b00010100, 0b10000000]));
  });

  it('refuses values that do not fit, without writing them', () => {
    const w = new BitWriter();
    assert.throws(() => w.u(3, 8), RangeError);
    assert.throws(() => w.u(33, 0), RangeError);
    assert.throws(() => w.ue(-1), RangeError);
    assert.throws(() => w.ue(2 ** 32 - 1), RangeError);
    assert.throws(() => w.se(0.5), RangeError);
    assert.throws(() => w.code('012'), RangeError);
    assert.equal(w.bitLength, 0);
  });
});
