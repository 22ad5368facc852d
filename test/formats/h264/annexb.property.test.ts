import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { AccessUnit } from '../../../src/formats/h264/access-unit.js';
import { AnnexBParser, type H264DropReason } from '../../../src/formats/h264/annexb.js';
import { buildStampSei } from '../../../src/formats/h264/sei.js';
import { chunked, loadH264Fixtures, standalone } from '../../fixtures/h264/index.js';

const big = 1 << 20;
const noDrops: Record<H264DropReason, number> = { garbage: 0, truncated: 0, noslice: 0, oversize: 0, reset: 0 };

/** Every picture of both fixtures, as the parser cut them from the whole stream. */
const pool: AccessUnit[] = loadH264Fixtures().flatMap((f) => {
  const parser = new AnnexBParser({ maxAccessUnitBytes: big });
  const units = [...parser.push(f.bytes), ...parser.flush()];
  assert.equal(units.length, f.pictures);
  return units;
});

const isSlice = (nal: Buffer): boolean => (nal[0]! & 0x1f) === 1 || (nal[0]! & 0x1f) === 5;

/** How one unit is written: which picture, its stamp, start code lengths and extra zeros per NAL unit. */
const unitSpec = fc.record({
  picture: fc.nat({ max: pool.length - 1 }),
  // Numbers with runs of zero bytes (they need emulation prevention), and any others.
  stamp: fc.option(
    fc.tuple(
      fc.oneof(fc.constantFrom(0, 1, 3, 0x300, 0x10003), fc.maxSafeNat()),
      fc.oneof(fc.constantFrom(0, 0x0000_0300_0001_0003, 1_764_000_000_000_000), fc.maxSafeNat()),
    ),
    { nil: undefined },
  ),
  // Per NAL unit: 3- or 4-byte start code, and up to 2 more zeros (trailing_zero_8bits) before it.
  framing: fc.array(fc.tuple(fc.boolean(), fc.nat({ max: 2 })), { minLength: 1, maxLength: 8 }),
});
type UnitSpec = typeof unitSpec extends fc.Arbitrary<infer T> ? T : never;

/** Bytes that hold no 00 00 (so no start code, and nothing a NAL unit cannot hold). */
const plainBytes = (minLength: number) =>
  fc.uint8Array({ minLength, maxLength: 40 }).map((a) => {
    const bytes = Buffer.from(a);
    for (let i = 1; i < bytes.length; i++) if (bytes[i - 1] === 0 && bytes[i] === 0) bytes[i] = 0x5a;
    return bytes;
  });

/** Garbage that arrived after a start code: a NAL unit whose forbidden_zero_bit is set. */
const forbiddenNal = fc.tuple(fc.integer({ min: 0x80, max: 0xff }), plainBytes(0)).map(([h, rest]) => Buffer.concat([Buffer.from([h]), rest]));

/** Chunk sizes to cycle through: often tiny, sometimes larger than a unit. */
const chunkSizes = fc.array(fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 6000 })), {
  minLength: 1,
  maxLength: 8,
});

/** The unit a spec describes: the picture's NAL units with the stamp SEI before the first slice. */
function expectedUnit(spec: UnitSpec): AccessUnit {
  const au = pool[spec.picture]!;
  if (!spec.stamp) return au;
  const [seq, tUs] = spec.stamp;
  const sei = buildStampSei(seq, tUs);
  const first = au.nals.findIndex(isSlice);
  const nals = [...au.nals.slice(0, first), sei, ...au.nals.slice(first)];
  return { ...au, nals, bytes: au.bytes + sei.length, stampSeq: seq, stampUs: tUs };
}

interface Built {
  stream: Buffer;
  /** Stream offset of every NAL unit of `units`, flattened in order. */
  offsets: number[];
}

/** Writes units (and NAL units to put in between, which are not expected out) as an Annex-B stream. */
function build(leading: Buffer, items: { spec: UnitSpec; unit: AccessUnit; after: Buffer[] }[]): Built {
  const parts: Buffer[] = [leading];
  const offsets: number[] = [];
  let at = leading.length;
  const put = (nal: Buffer, fourBytes: boolean, extraZeros: number, record: boolean): void => {
    const prefix = Buffer.alloc(extraZeros + (fourBytes ? 4 : 3));
    prefix[prefix.length - 1] = 1;
    parts.push(prefix, nal);
    at += prefix.length;
    if (record) offsets.push(at);
    at += nal.length;
  };
  for (const { spec, unit, after } of items) {
    unit.nals.forEach((nal, k) => {
      const [four, zeros] = spec.framing[k % spec.framing.length]!;
      put(nal, four, zeros, true);
    });
    for (const nal of after) put(nal, true, 0, false);
  }
  return { stream: standalone(...parts), offsets };
}

function parseChunks(chunks: readonly Buffer[], maxAccessUnitBytes = big): { units: AccessUnit[]; parser: AnnexBParser } {
  const parser = new AnnexBParser({ maxAccessUnitBytes });
  const units = [...chunks.flatMap((c) => parser.push(c)), ...parser.flush()];
  return { units, parser };
}

function sameUnits(actual: readonly AccessUnit[], expected: readonly AccessUnit[]): void {
  assert.equal(actual.length, expected.length, 'unit count');
  actual.forEach((u, i) => {
    const e = expected[i]!;
    assert.equal(u.nals.length, e.nals.length, `unit ${i}: NAL count`);
    u.nals.forEach((nal, k) => assert.ok(nal.equals(e.nals[k]!), `unit ${i} NAL ${k}`));
    assert.equal(u.keyframe, e.keyframe);
    assert.equal(u.bytes, e.bytes);
    assert.ok(u.sps === e.sps || u.sps!.equals(e.sps!));
    assert.ok(u.pps === e.pps || u.pps!.equals(e.pps!));
    assert.equal(u.stampSeq, e.stampSeq);
    assert.equal(u.stampUs, e.stampUs);
  });
}

/**
 * Every emitted NAL unit that lies inside one chunk is a view of that chunk at the right offset; one
 * that spans chunks is a copy.
 */
function assertZeroCopy(units: readonly AccessUnit[], offsets: readonly number[], chunks: readonly Buffer[]): void {
  const starts: number[] = [];
  let at = 0;
  for (const c of chunks) {
    starts.push(at);
    at += c.length;
  }
  const chunkAt = (pos: number): number => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  units
    .flatMap((u) => u.nals)
    .forEach((nal, i) => {
      const start = offsets[i]!;
      const k = chunkAt(start);
      if (chunkAt(start + nal.length - 1) === k) {
        assert.equal(nal.buffer, chunks[k]!.buffer, `NAL ${i} inside chunk ${k} is a view`);
        assert.equal(nal.byteOffset, chunks[k]!.byteOffset + start - starts[k]!);
      } else {
        assert.ok(chunks.every((c) => c.buffer !== nal.buffer), `NAL ${i} across chunks is a copy`);
      }
    });
}

describe('AnnexBParser properties', () => {
  it('any chunking gives the same units, byte for byte, with views wherever a NAL unit lies in one chunk', () => {
    fc.assert(
      fc.property(fc.array(unitSpec, { minLength: 1, maxLength: 6 }), chunkSizes, (specs, sizes) => {
        const items = specs.map((spec) => ({ spec, unit: expectedUnit(spec), after: [] }));
        const { stream, offsets } = build(Buffer.alloc(0), items);
        const expected = items.map((it) => it.unit);
        const chunks = chunked(stream, sizes);
        const { units, parser } = parseChunks(chunks);
        sameUnits(units, expected);
        sameUnits(units, parseChunks([stream]).units);
        assertZeroCopy(units, offsets, chunks);
        assert.deepEqual(parser.drops, noDrops);
        assert.equal(parser.pending, 0);
      }),
      { numRuns: 300 },
    );
  });

  it('skips and counts garbage before the first unit and forbidden-bit NAL units between units; nothing else is lost', () => {
    fc.assert(
      fc.property(
        plainBytes(0),
        fc.array(fc.record({ spec: unitSpec, after: fc.array(forbiddenNal, { maxLength: 2 }) }), { minLength: 1, maxLength: 6 }),
        chunkSizes,
        (leading, specs, sizes) => {
          const items = specs.map(({ spec, after }) => ({ spec, unit: expectedUnit(spec), after }));
          const { stream, offsets } = build(leading, items);
          const chunks = chunked(stream, sizes);
          const { units, parser } = parseChunks(chunks);
          sameUnits(
            units,
            items.map((it) => it.unit),
          );
          assertZeroCopy(units, offsets, chunks);
          const runs = leading.some((b) => b !== 0) ? 1 : 0;
          const forbidden = specs.reduce((n, s) => n + s.after.length, 0);
          assert.deepEqual(parser.drops, { ...noDrops, garbage: runs + forbidden });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('drops units with a header-only or forbidden-bit slice, counted, and keeps every other unit', () => {
    const damage = fc.constantFrom('header-only', 'forbidden', 'none');
    fc.assert(
      fc.property(
        fc.array(fc.record({ spec: unitSpec, damage, seq: fc.nat(), tUs: fc.nat() }), { minLength: 1, maxLength: 6 }),
        chunkSizes,
        (specs, sizes) => {
          // Every unit carries a stamp, as the simulated camera writes it: a damaged first slice then
          // cannot be taken for a part of the unit before.
          const items = specs.map(({ spec, damage, seq, tUs }) => {
            const unit = expectedUnit({ ...spec, stamp: spec.stamp ?? [seq, tUs] });
            if (damage === 'none') return { damage, unit, written: unit };
            const first = unit.nals.findIndex(isSlice);
            const slice = Buffer.from(unit.nals[first]!);
            const broken = damage === 'header-only' ? slice.subarray(0, 1) : ((slice[0]! |= 0x80), slice);
            const nals = unit.nals.map((n, k) => (k === first ? broken : n));
            return { damage, unit, written: { ...unit, nals } };
          });
          const { stream } = build(
            Buffer.alloc(0),
            items.map((it, i) => ({ spec: specs[i]!.spec, unit: it.written, after: [] })),
          );
          const { units, parser } = parseChunks(chunked(stream, sizes));
          sameUnits(
            units,
            items.filter((it) => it.damage === 'none').map((it) => it.unit),
          );
          const damaged = items.filter((it) => it.damage !== 'none').length;
          const forbidden = items.filter((it) => it.damage === 'forbidden').length;
          const { truncated, garbage, ...rest } = parser.drops;
          // One count per damaged unit; a forbidden first slice of a 3-slice picture also leaves the
          // other two slices without their picture start: a second count.
          assert.ok(truncated >= damaged && truncated <= 2 * damaged, `truncated ${truncated} for ${damaged}`);
          assert.equal(garbage, forbidden);
          assert.deepEqual(rest, { noslice: 0, oversize: 0, reset: 0 });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('drops exactly the units over maxAccessUnitBytes, never holds more, and recovers at the next unit', () => {
    const sizes = pool.map((u) => u.bytes).sort((a, b) => a - b);
    fc.assert(
      fc.property(
        fc.array(unitSpec, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: sizes[0]!, max: sizes.at(-1)! }),
        chunkSizes,
        (specs, limit, chunkSizeList) => {
          const items = specs.map((spec) => ({ spec, unit: expectedUnit(spec), after: [] }));
          const { stream } = build(Buffer.alloc(0), items);
          const parser = new AnnexBParser({ maxAccessUnitBytes: limit });
          const units: AccessUnit[] = [];
          for (const chunk of chunked(stream, chunkSizeList)) {
            units.push(...parser.push(chunk));
            // At most two zeros beyond the limit: they may yet turn out to start a start code.
            assert.ok(parser.pending <= limit + 2, `pending ${parser.pending} over ${limit}`);
          }
          units.push(...parser.flush());
          const kept = items.map((it) => it.unit).filter((u) => u.bytes <= limit);
          sameUnits(units, kept);
          assert.deepEqual(parser.drops, { ...noDrops, oversize: items.length - kept.length });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('after reset() in the middle of a unit, the next stream parses whole', () => {
    fc.assert(
      fc.property(
        fc.array(unitSpec, { minLength: 1, maxLength: 4 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.array(unitSpec, { minLength: 1, maxLength: 4 }),
        chunkSizes,
        (before, cutAt, after, sizes) => {
          const first = build(Buffer.alloc(0), before.map((spec) => ({ spec, unit: expectedUnit(spec), after: [] })));
          const cut = first.stream.subarray(0, Math.floor(cutAt * first.stream.length));
          const next = after.map((spec) => ({ spec, unit: expectedUnit(spec), after: [] }));
          const second = build(Buffer.alloc(0), next);
          const parser = new AnnexBParser({ maxAccessUnitBytes: big });
          for (const chunk of chunked(standalone(cut), sizes)) parser.push(chunk);
          parser.reset();
          const chunks = chunked(second.stream, sizes);
          const units = [...chunks.flatMap((c) => parser.push(c)), ...parser.flush()];
          sameUnits(
            units,
            next.map((it) => it.unit),
          );
          assertZeroCopy(units, second.offsets, chunks);
          assert.equal(parser.drops.garbage + parser.drops.truncated + parser.drops.noslice + parser.drops.oversize, 0);
          assert.ok(parser.drops.reset <= 1);
        },
      ),
      { numRuns: 200 },
    );
  });
});
