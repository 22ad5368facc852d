import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { AccessUnit } from '../../../src/formats/h264/access-unit.js';
import { AnnexBParser, type H264DropReason } from '../../../src/formats/h264/annexb.js';
import { buildStampSei } from '../../../src/formats/h264/sei.js';
import {
  chunked,
  fixturePath,
  loadH264Fixtures,
  pushAll,
  referenceNals,
  skipWithoutFfprobe,
  standalone,
} from '../../fixtures/h264/index.js';
import { tempDir } from '../../fakes/temp-dir.js';

const fixtures = loadH264Fixtures();
const [high, sliced] = fixtures as [(typeof fixtures)[0], (typeof fixtures)[0]];
const big = 1 << 20;

const SC4 = Buffer.from([0, 0, 0, 1]);
const SC3 = Buffer.from([0, 0, 1]);
/** An access unit delimiter (primary_pic_type 7): ends the unit before it. */
const AUD = Buffer.from([0x09, 0xf0]);

function noDrops(): Record<H264DropReason, number> {
  return { garbage: 0, truncated: 0, noslice: 0, oversize: 0, reset: 0 };
}

function drops(partial: Partial<Record<H264DropReason, number>>): Record<H264DropReason, number> {
  return { ...noDrops(), ...partial };
}

/** An Annex-B stream of the NAL units, each after a 4-byte start code, in its own ArrayBuffer. */
function annexb(nals: readonly Buffer[], startCode: Buffer = SC4): Buffer {
  return standalone(...nals.flatMap((nal) => [startCode, nal]));
}

/** Every unit's NAL units as one list. */
function allNals(units: readonly AccessUnit[]): Buffer[] {
  return units.flatMap((u) => [...u.nals]);
}

function assertSameUnits(actual: readonly AccessUnit[], expected: readonly AccessUnit[]): void {
  assert.equal(actual.length, expected.length, 'unit count');
  actual.forEach((u, i) => {
    const e = expected[i]!;
    assert.equal(u.nals.length, e.nals.length, `unit ${i}: NAL count`);
    u.nals.forEach((nal, k) => assert.ok(nal.equals(e.nals[k]!), `unit ${i} NAL ${k} byte-exact`));
    assert.equal(u.keyframe, e.keyframe);
    assert.equal(u.bytes, e.bytes);
    assert.equal(u.sps?.toString('hex'), e.sps?.toString('hex'));
    assert.equal(u.pps?.toString('hex'), e.pps?.toString('hex'));
    assert.equal(u.stampUs, e.stampUs);
    assert.equal(u.stampSeq, e.stampSeq);
  });
}

/** The units of a whole stream pushed at once, then flushed: the reference for other chunkings. */
function parseWhole(stream: Buffer, maxAccessUnitBytes = big): { units: AccessUnit[]; parser: AnnexBParser } {
  const parser = new AnnexBParser({ maxAccessUnitBytes });
  const units = [...parser.push(stream), ...parser.flush()];
  return { units, parser };
}

/** The fixture's units, as NAL lists, from the whole-stream parse. */
function fixtureUnits(stream: Buffer): AccessUnit[] {
  return parseWhole(stream).units;
}

describe('AnnexBParser on real x264 streams', () => {
  for (const f of fixtures) {
    it(`${f.name}: one unit per picture, IDR units with SPS and PPS, every NAL unit kept in order`, () => {
      const parser = new AnnexBParser({ maxAccessUnitBytes: big });
      const units = parser.push(f.bytes);
      // Without an AUD the last picture's end is only known from the next unit or the stream's end.
      assert.equal(units.length, f.pictures - 1);
      units.push(...parser.flush());
      assert.equal(units.length, f.pictures);
      assert.equal(parser.units, f.pictures);
      assert.deepEqual(parser.drops, noDrops());
      assert.equal(parser.pending, 0);

      assert.deepEqual(
        units.flatMap((u, i) => (u.keyframe ? [i] : [])),
        f.keyframes,
      );
      for (const [i, u] of units.entries()) {
        const types = u.nals.map((n) => n[0]! & 0x1f);
        const slices = types.filter((t) => t === 1 || t === 5);
        assert.equal(slices.length, f.slicesPerPicture, `unit ${i}: slices`);
        assert.equal(u.bytes, u.nals.reduce((n, nal) => n + nal.length, 0));
        if (u.keyframe) {
          assert.equal(u.sps?.[0]! & 0x1f, 7);
          assert.equal(u.pps?.[0]! & 0x1f, 8);
          // SPS, PPS (and x264's SEI on the first) come before the slices, in the same unit.
          assert.deepEqual(types.slice(0, 2), [7, 8]);
          assert.ok(slices.every((t) => t === 5));
        } else {
          assert.equal(u.sps, undefined);
          assert.equal(u.pps, undefined);
          assert.ok(slices.every((t) => t === 1));
        }
        assert.equal(u.stampUs, undefined);
        // Every NAL unit is a view into the one pushed chunk.
        for (const nal of u.nals) assert.equal(nal.buffer, f.bytes.buffer);
      }
      const expected = referenceNals(f.bytes);
      const got = allNals(units);
      assert.equal(got.length, expected.length);
      got.forEach((nal, i) => assert.ok(nal.equals(expected[i]!), `NAL ${i}`));
    });
  }

  it('gives the same units split in two at every offset of a keyframe and the picture after it', () => {
    // Three units of the sliced stream (IDR with SPS/PPS, then a P picture), 3 slices each.
    const units = fixtureUnits(sliced.bytes).slice(0, 3);
    const stream = annexb([...allNals(units.slice(0, 2)), ...units[2]!.nals.slice(0, 1)]);
    const expected = units.slice(0, 2);
    for (let at = 0; at <= stream.length; at++) {
      const parser = new AnnexBParser({ maxAccessUnitBytes: big });
      const got = pushAll(parser, [standalone(stream.subarray(0, at)), standalone(stream.subarray(at))]);
      assertSameUnits(got, expected);
      assert.deepEqual(parser.drops, noDrops(), `split at ${at}`);
    }
  });

  it('gives the same units fed one byte at a time', () => {
    for (const f of fixtures) {
      const parser = new AnnexBParser({ maxAccessUnitBytes: big });
      const got = [...pushAll(parser, chunked(f.bytes, [1])), ...parser.flush()];
      assertSameUnits(got, fixtureUnits(f.bytes));
      assert.deepEqual(parser.drops, noDrops());
    }
  });

  it('agrees with ffprobe on the fixtures (picture count, keyframes in decode order)', { skip: skipWithoutFfprobe }, () => {
    for (const f of fixtures) {
      const count = spawnSync(
        'ffprobe',
        ['-v', 'error', '-count_frames', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', fixturePath(f.name)],
        { encoding: 'utf8' },
      );
      assert.equal(count.status, 0, count.stderr);
      assert.equal(Number(count.stdout.trim()), f.pictures);
      const packets = spawnSync(
        'ffprobe',
        ['-v', 'error', '-show_entries', 'packet=flags', '-of', 'csv=p=0', fixturePath(f.name)],
        { encoding: 'utf8' },
      );
      assert.equal(packets.status, 0, packets.stderr);
      const flags = packets.stdout.trim().split('\n');
      assert.deepEqual(
        flags.flatMap((fl, i) => (fl.includes('K') ? [i] : [])),
        f.keyframes,
      );
    }
  });

  it('units written back with a stamp SEI before the first slice decode in ffmpeg, and the stamps read back', { skip: skipWithoutFfprobe }, async (t) => {
    const dir = await tempDir(t, 'annexb');
    const units = fixtureUnits(high.bytes);
    const base = 1_764_000_000_000_000;
    // 3-byte start codes for all but SPS, as rpicam-vid writes them; the stamp before the first slice.
    const stamped = standalone(
      ...units.flatMap((u, i) => {
        const firstSlice = u.nals.findIndex((n) => (n[0]! & 0x1f) === 1 || (n[0]! & 0x1f) === 5);
        const nals = [...u.nals.slice(0, firstSlice), buildStampSei(i, base + i * 33_333), ...u.nals.slice(firstSlice)];
        return nals.flatMap((nal) => [(nal[0]! & 0x1f) === 7 ? SC4 : SC3, nal]);
      }),
    );
    const file = join(dir, 'stamped.h264');
    writeFileSync(file, stamped);
    const decode = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-'], { encoding: 'utf8' });
    assert.equal(decode.status, 0);
    assert.equal(decode.stderr, '', 'ffmpeg decodes without errors');
    const count = spawnSync(
      'ffprobe',
      ['-v', 'error', '-count_frames', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file],
      { encoding: 'utf8' },
    );
    assert.equal(Number(count.stdout.trim()), high.pictures);

    const parser = new AnnexBParser({ maxAccessUnitBytes: big });
    const got = [...pushAll(parser, chunked(stamped, [1000, 7, 4096])), ...parser.flush()];
    assert.equal(got.length, high.pictures);
    got.forEach((u, i) => {
      assert.equal(u.stampSeq, i);
      assert.equal(u.stampUs, base + i * 33_333);
      assert.equal(u.keyframe, units[i]!.keyframe);
      assert.equal(u.nals.length, units[i]!.nals.length + 1);
    });
    assert.deepEqual(parser.drops, noDrops());
  });
});

describe('AnnexBParser start codes and chunk boundaries', () => {
  const units = fixtureUnits(sliced.bytes);
  const [idr, p1, p2] = units as [AccessUnit, AccessUnit, AccessUnit];

  it('finds a start code split 00 | 00 01, 00 00 | 01 and 00 | 00 | 00 01', () => {
    const stream = annexb([...idr.nals, ...p1.nals, ...p2.nals]);
    // The start code of p1's first slice.
    const sc = stream.indexOf(annexb(p1.nals.slice(0, 1)));
    const cuts = [
      [sc + 1],
      [sc + 2],
      [sc + 3],
      [sc + 1, sc + 2],
      [sc + 1, sc + 2, sc + 3],
      [sc, sc + 1, sc + 2, sc + 3, sc + 4],
    ];
    for (const at of cuts) {
      const bounds = [0, ...at, stream.length];
      const chunks = bounds.slice(1).map((e, i) => standalone(stream.subarray(bounds[i], e)));
      const parser = new AnnexBParser({ maxAccessUnitBytes: big });
      const got = pushAll(parser, chunks);
      assertSameUnits(got, [idr, p1]);
      assert.deepEqual(parser.drops, noDrops(), `cuts ${at}`);
    }
  });

  it('accepts 3- and 4-byte start codes and extra zeros (trailing_zero_8bits) belonging to no NAL unit', () => {
    const stream = standalone(
      Buffer.from([0, 0, 0, 0, 0]), // leading_zero_8bits
      SC3,
      ...idr.nals.flatMap((nal) => [nal, Buffer.alloc(3), SC3]),
      ...p1.nals.flatMap((nal) => [nal, Buffer.alloc(1), SC3]),
      p2.nals[0]!,
    );
    for (const sizes of [[stream.length], [1], [2, 3, 5], [1000, 1, 1]]) {
      const parser = new AnnexBParser({ maxAccessUnitBytes: big });
      assertSameUnits(pushAll(parser, chunked(stream, sizes)), [idr, p1]);
      assert.deepEqual(parser.drops, noDrops());
    }
  });

  it('returns views for NAL units inside one chunk, also when their trailing zeros spill into the next', () => {
    const a = annexb([...idr.nals, ...p1.nals]);
    // p1 ends in the first chunk with a trailing zero; the next start code is in the second chunk.
    const first = standalone(a, Buffer.from([0, 0]));
    const second = annexb([AUD]).subarray(1); // 00 00 01 09 f0
    const parser = new AnnexBParser({ maxAccessUnitBytes: big });
    const got = [...parser.push(first), ...parser.push(standalone(second))];
    assertSameUnits(got, [idr, p1]);
    for (const nal of allNals(got)) assert.equal(nal.buffer, first.buffer);
  });

  it('copies a NAL unit that spans chunks, once, byte-exact', () => {
    const stream = annexb([...idr.nals, AUD]);
    const slice = idr.nals.at(-1)!;
    const at = stream.indexOf(slice) + (slice.length >> 1);
    const chunks = [standalone(stream.subarray(0, at)), standalone(stream.subarray(at))];
    const parser = new AnnexBParser({ maxAccessUnitBytes: big });
    const [u] = pushAll(parser, chunks);
    assert.ok(u);
    const last = u.nals.at(-1)!;
    assert.ok(last.equals(slice));
    assert.notEqual(last.buffer, chunks[0]!.buffer);
    assert.notEqual(last.buffer, chunks[1]!.buffer);
    for (const nal of u.nals.slice(0, -1)) assert.equal(nal.buffer, chunks[0]!.buffer);
  });

  it('emits a unit as soon as the first header bytes of the next one arrive', () => {
    const parser = new AnnexBParser({ maxAccessUnitBytes: big });
    const stream = annexb([...idr.nals, ...p1.nals]);
    const p1Start = stream.indexOf(p1.nals[0]!);
    assert.deepEqual(parser.push(standalone(stream.subarray(0, p1Start))), []);
    // The slice header byte (first_mb_in_slice 0) decides; the rest of the slice is not needed.
    assert.deepEqual(parser.push(standalone(stream.subarray(p1Start, p1Start + 1))), []);
    assertSameUnits(parser.push(standalone(stream.subarray(p1Start + 1, p1Start + 2))), [idr]);
  });

  it('does not buffer a long run of zeros after a NAL unit', () => {
    const parser = new AnnexBParser({ maxAccessUnitBytes: big });
    parser.push(annexb(idr.nals));
    for (let i = 0; i < 100; i++) parser.push(Buffer.alloc(10_000));
    assert.ok(parser.pending <= idr.bytes, `pending ${parser.pending}`);
    assertSameUnits(parser.push(annexb([AUD])), [idr]);
    assert.deepEqual(parser.drops, noDrops());
  });
});

describe('AnnexBParser drops', () => {
  const units = fixtureUnits(high.bytes);
  const [idr, p1, p2, p3] = units as [AccessUnit, AccessUnit, AccessUnit, AccessUnit];
  const slicedUnits = fixtureUnits(sliced.bytes);

  it('skips garbage before the first start code, once per run, and zero bytes are not garbage', () => {
    const garbage = Buffer.from('camera: starting\n', 'latin1');
    const stream = standalone(garbage, annexb([...idr.nals, ...p1.nals, AUD]));
    for (const sizes of [[stream.length], [1], [5, 1]]) {
      const parser = new AnnexBParser({ maxAccessUnitBytes: big });
      assertSameUnits(pushAll(parser, chunked(stream, sizes)), [idr, p1]);
      assert.deepEqual(parser.drops, drops({ garbage: 1 }));
    }
    const zeros = new AnnexBParser({ maxAccessUnitBytes: big });
    pushAll(zeros, [Buffer.alloc(7), annexb([...idr.nals, AUD])]);
    assert.deepEqual(zeros.drops, noDrops());
  });

  it('skips a NAL unit with forbidden_zero_bit between units, keeping both', () => {
    const junk = Buffer.from([0x85, 0x11, 0x22, 0x33]);
    const stream = annexb([...idr.nals, junk, ...p1.nals, junk, junk, ...p2.nals, AUD]);
    const parser = new AnnexBParser({ maxAccessUnitBytes: big });
    assertSameUnits(pushAll(parser, chunked(stream, [3, 1000])), [idr, p1, p2]);
    assert.deepEqual(parser.drops, drops({ garbage: 3 }));
  });

  it('drops a unit whose parameter sets lost their slice, or whose slices had a forbidden NAL unit between them', () => {
    const [sIdr, sP1, sP2, sP3] = slicedUnits as [AccessUnit, AccessUnit, AccessUnit, AccessUnit];
    const first = sIdr.nals.findIndex((n) => (n[0]! & 0x1f) === 5);
    assert.ok(first >= 2);
    const broken = Buffer.from(sIdr.nals[first]!);
    broken[0]! |= 0x80; // the IDR's first slice, after SPS, PPS (and x264's SEI)
    const brokenP = Buffer.from(sP2.nals[1]!);
    brokenP[0]! |= 0x80; // P2's second slice
    const stream = annexb([
      ...sIdr.nals.slice(0, first),
      broken,
      ...sIdr.nals.slice(first + 1),
      ...sP1.nals,
      sP2.nals[0]!,
      brokenP,
      ...sP2.nals.slice(2),
      ...sP3.nals,
      AUD,
    ]);
    const parser = new AnnexBParser({ maxAccessUnitBytes: big });
    // SPS+PPS end as truncated at the forbidden NAL; the IDR's other two slices have first_mb > 0
    // and no picture start: truncated; P1 fine; P2 truncated; P3 fine.
    assertSameUnits(pushAll(parser, [stream]), [sP1, sP3]);
    assert.deepEqual(parser.drops, drops({ garbage: 2, truncated: 3 }));
  });

  it('drops a unit with a slice of header only, and one that starts mid-picture', () => {
    const sliceHeaderOnly = p1.nals[0]!.subarray(0, 1);
    const [, sP1, sP2] = slicedUnits as [AccessUnit, AccessUnit, AccessUnit];
    const stamp = buildStampSei(7, 1);
    const stream = annexb([
      ...idr.nals,
      sliceHeaderOnly,
      stamp,
      ...sP1.nals.slice(1), // first slice lost: first_mb_in_slice > 0
      stamp,
      ...sP2.nals,
      AUD,
    ]);
    for (const sizes of [[stream.length], [1], [2, 9]]) {
      const parser = new AnnexBParser({ maxAccessUnitBytes: big });
      // The header-only slice joins the IDR unit (its first_mb_in_slice is unknown): both dropped.
      const got = pushAll(parser, chunked(stream, sizes));
      assert.equal(got.length, 1);
      assert.equal(got[0]!.stampSeq, 7);
      assert.deepEqual(got[0]!.nals.slice(1), sP2.nals);
      assert.deepEqual(parser.drops, drops({ truncated: 2 }));
    }
  });

  it('drops a unit without a slice (noslice) and an empty NAL unit (garbage)', () => {
    const stream = annexb([...idr.nals.slice(0, 2), AUD, ...p1.nals, Buffer.alloc(0), AUD]);
    const parser = new AnnexBParser({ maxAccessUnitBytes: big });
    const got = pushAll(parser, [stream]);
    assert.equal(got.length, 1);
    assert.deepEqual(got[0]!.nals, [AUD, ...p1.nals]); // an AUD begins the unit it delimits
    assert.equal(got[0]!.keyframe, false);
    assert.deepEqual(parser.drops, drops({ noslice: 1, garbage: 1 }));
  });

  it('drops a unit over maxAccessUnitBytes, never holds more, and carries on with the next', () => {
    const limit = Math.max(p1.bytes, p2.bytes, p3.bytes);
    assert.ok(idr.bytes > limit);
    const stream = annexb([...idr.nals, ...p1.nals, ...idr.nals, ...p2.nals, ...p3.nals, AUD]);
    for (const sizes of [[stream.length], [1], [100, 3], [4096]]) {
      const parser = new AnnexBParser({ maxAccessUnitBytes: limit });
      const got: AccessUnit[] = [];
      for (const chunk of chunked(stream, sizes)) {
        got.push(...parser.push(chunk));
        assert.ok(parser.pending <= limit + 2, `pending ${parser.pending}`);
      }
      assertSameUnits(got, [p1, p2, p3]);
      assert.deepEqual(parser.drops, drops({ oversize: 2 }));
    }
    // Exactly at the limit is kept.
    const exact = new AnnexBParser({ maxAccessUnitBytes: idr.bytes });
    assertSameUnits(pushAll(exact, chunked(annexb([...idr.nals, AUD]), [1])), [idr]);
    assert.throws(() => new AnnexBParser({ maxAccessUnitBytes: 1 }), RangeError);
  });

  it('reset() forgets the unfinished unit (counted), then waits for a start code again', () => {
    const parser = new AnnexBParser({ maxAccessUnitBytes: big });
    const stream = annexb([...idr.nals, ...p1.nals]);
    assertSameUnits(parser.push(stream.subarray(0, stream.length - 10)), [idr]);
    parser.reset();
    assert.equal(parser.pending, 0);
    // The rest of p1 arrives late from the old process, then the new one starts.
    const got = pushAll(parser, [standalone(stream.subarray(stream.length - 10)), annexb([...idr.nals, AUD])]);
    assertSameUnits(got, [idr]);
    assert.deepEqual(parser.drops, drops({ reset: 1, garbage: 1 }));
    parser.reset(); // the AUD's unit was unfinished
    parser.reset();
    assert.deepEqual(parser.drops, drops({ reset: 2, garbage: 1 }));
  });

  it('flush() emits the last unit when it is whole, counts it when not', () => {
    const parser = new AnnexBParser({ maxAccessUnitBytes: big });
    assert.deepEqual(parser.push(annexb([...idr.nals, ...p1.nals])).length, 1);
    assertSameUnits(parser.flush(), [p1]);
    assert.deepEqual(parser.flush(), []);
    parser.push(annexb(idr.nals.slice(0, 2)));
    assert.deepEqual(parser.flush(), []);
    assert.deepEqual(parser.drops, drops({ noslice: 1 }));
    // After flush, bytes before a start code are garbage again.
    parser.push(Buffer.from([0x42]));
    assert.deepEqual(parser.drops, drops({ noslice: 1, garbage: 1 }));
  });
});
