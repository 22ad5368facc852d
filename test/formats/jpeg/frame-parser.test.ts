import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameParser, type DropReason } from '../../../src/formats/jpeg/frame-parser.js';
import {
  chunked,
  jpegLayout,
  loadFixture,
  loadFixtures,
  pushAll,
  standalone,
} from '../../fixtures/jpeg/index.js';

const fixtures = loadFixtures();
const all = fixtures.map((f) => f.bytes);
const big = 1 << 20;

function noDrops(): Record<DropReason, number> {
  return { garbage: 0, truncated: 0, oversize: 0, corrupt: 0, reset: 0 };
}

function drops(partial: Partial<Record<DropReason, number>>): Record<DropReason, number> {
  return { ...noDrops(), ...partial };
}

/** Asserts that `frame` is a view into `chunk` at `offset`, not a copy. */
function assertView(frame: Buffer, chunk: Buffer, offset: number): void {
  assert.equal(frame.buffer, chunk.buffer, 'frame shares memory with the chunk');
  assert.equal(frame.byteOffset, chunk.byteOffset + offset);
}

function assertFrames(actual: Buffer[], expected: Buffer[]): void {
  assert.equal(actual.length, expected.length, 'frame count');
  actual.forEach((frame, i) => assert.ok(frame.equals(expected[i]!), `frame ${i} byte-exact`));
}

/** A marker segment: FF, code, the length (counting itself), payload. */
function segment(code: number, payload: Uint8Array | number[]): Buffer {
  const out = Buffer.alloc(4 + payload.length);
  out[0] = 0xff;
  out[1] = code;
  out.writeUInt16BE(2 + payload.length, 2);
  out.set(payload, 4);
  return out;
}

/** A copy of `jpeg` with `parts` inserted at `offset`. */
function insertAt(jpeg: Buffer, offset: number, ...parts: Uint8Array[]): Buffer {
  return standalone(jpeg.subarray(0, offset), ...parts, jpeg.subarray(offset));
}

/** A copy of `jpeg` whose segment at `markerOffset` claims `length` bytes. */
function withLength(jpeg: Buffer, markerOffset: number, length: number): Buffer {
  const copy = standalone(jpeg);
  copy.writeUInt16BE(length, markerOffset + 2);
  return copy;
}

/**
 * Parses `stream` split in two at every offset (or, with `step`, at every step-th), then one byte at a
 * time, and checks the frames and the drop counts each time.
 */
function assertEverySplit(stream: Buffer, expected: Buffer[], expectedDrops: Record<DropReason, number>, what: string, step = 1): void {
  for (let cut = 0; cut <= stream.length; cut += step) {
    const parser = new FrameParser({ maxFrameBytes: big });
    const frames = [...parser.push(stream.subarray(0, cut)), ...parser.push(stream.subarray(cut))];
    if (frames.length !== expected.length || frames.some((f, i) => !f.equals(expected[i]!))) {
      assert.fail(`${what}, cut at ${cut}: ${frames.length} frames (${frames.map((f) => f.length).join(', ')})`);
    }
    assert.deepEqual(parser.drops, expectedDrops, `${what}, cut at ${cut}`);
    assert.equal(parser.pending, 0, `${what}, cut at ${cut}`);
  }
  const parser = new FrameParser({ maxFrameBytes: big });
  assertFrames(pushAll(parser, chunked(stream, [1])), expected);
  assert.deepEqual(parser.drops, expectedDrops, `${what}, one byte at a time`);
}

describe('FrameParser', () => {
  it('rejects a maxFrameBytes that cannot hold a frame', () => {
    assert.throws(() => new FrameParser({ maxFrameBytes: 0 }), RangeError);
    assert.throws(() => new FrameParser({ maxFrameBytes: Number.NaN }), RangeError);
  });

  for (const { name, bytes } of fixtures) {
    it(`emits ${name} alone, byte-exact and without copying`, () => {
      const parser = new FrameParser({ maxFrameBytes: big });
      const chunk = standalone(bytes);
      const frames = parser.push(chunk);
      assertFrames(frames, [bytes]);
      assertView(frames[0]!, chunk, 0);
      assert.equal(frames[0]!.length, chunk.length);
      assert.equal(parser.frames, 1);
      assert.equal(parser.pending, 0);
      assert.deepEqual(parser.drops, noDrops());
    });
  }

  it('emits several frames from one chunk as views into it', () => {
    const parser = new FrameParser({ maxFrameBytes: big });
    const chunk = standalone(...all, ...all);
    const frames = parser.push(chunk);
    assertFrames(frames, [...all, ...all]);
    let offset = 0;
    for (const frame of frames) {
      assertView(frame, chunk, offset);
      offset += frame.length;
    }
    assert.equal(parser.frames, all.length * 2);
    assert.deepEqual(parser.drops, noDrops());
  });

  it('gives the same frames for the stream split in two at every offset', () => {
    const stream = standalone(...all);
    const ends: number[] = [];
    all.reduce((o, f) => (ends.push(o + f.length), o + f.length), 0);
    for (let cut = 0; cut <= stream.length; cut++) {
      const parser = new FrameParser({ maxFrameBytes: big });
      const head = standalone(stream.subarray(0, cut));
      const tail = standalone(stream.subarray(cut));
      const first = parser.push(head);
      const second = parser.push(tail);
      const frames = [...first, ...second];
      assert.equal(frames.length, all.length, `cut at ${cut}`);
      for (let i = 0; i < frames.length; i++) {
        if (!frames[i]!.equals(all[i]!)) assert.fail(`cut at ${cut}: frame ${i} differs`);
      }
      // Frames wholly inside one chunk are views; only the frame across the cut is a copy.
      assert.equal(first.length, ends.filter((e) => e <= cut).length, `cut at ${cut}: frames in head`);
      for (const frame of first) assert.equal(frame.buffer, head.buffer);
      second.forEach((frame, i) => {
        const index = first.length + i;
        const start = ends[index]! - frame.length;
        if (start >= cut) assertView(frame, tail, start - cut);
        else assert.notEqual(frame.buffer, tail.buffer, `cut at ${cut}: spanning frame is joined`);
      });
      assert.equal(parser.pending, 0);
      assert.deepEqual(parser.drops, noDrops(), `cut at ${cut}`);
    }
  });

  it('parses the stream pushed one byte at a time', () => {
    const parser = new FrameParser({ maxFrameBytes: big });
    const stream = standalone(...all);
    const frames: Buffer[] = [];
    let maxPending = 0;
    for (let i = 0; i < stream.length; i++) {
      frames.push(...parser.push(stream.subarray(i, i + 1)));
      maxPending = Math.max(maxPending, parser.pending);
    }
    assertFrames(frames, all);
    assert.equal(maxPending, Math.max(...all.map((f) => f.length)) - 1);
    assert.equal(parser.pending, 0);
    assert.equal(parser.frames, all.length);
    assert.deepEqual(parser.drops, noDrops());
  });

  it('handles an empty chunk', () => {
    const parser = new FrameParser({ maxFrameBytes: big });
    const a = all[0]!;
    assert.deepEqual(parser.push(Buffer.alloc(0)), []);
    assert.deepEqual(parser.push(a.subarray(0, 100)), []);
    assert.deepEqual(parser.push(Buffer.alloc(0)), []);
    assertFrames(parser.push(a.subarray(100)), [a]);
  });

  it('skips garbage before, between and after frames, counting each run once', () => {
    const [a, b] = [loadFixture('baseline-jpegjs.jpg'), loadFixture('restart.jpg')];
    // Stray 0xFF bytes, FF00, FFD9 and a trailing 0xFF in the garbage: none of it starts a frame.
    const before = Buffer.from([0x00, 0xff, 0xff, 0x12, 0xff, 0xd9, 0xd8, 0xff]);
    const between = Buffer.from('noise \xff\x00\xff\xda\xff', 'latin1');
    const after = Buffer.from([0x01, 0x02, 0xff]);
    const stream = standalone(before, a, between, b, after);
    for (const sizes of [[stream.length], [1], [7, 3, 100]]) {
      const parser = new FrameParser({ maxFrameBytes: big });
      assertFrames(pushAll(parser, chunked(stream, sizes)), [a, b]);
      assert.deepEqual(parser.drops, drops({ garbage: 3 }), `chunks ${sizes.join(',')}`);
      assert.equal(parser.pending, 0);
    }
  });

  it('drops a frame cut in its entropy-coded data when a new SOI arrives, and keeps the next', () => {
    const a = loadFixture('baseline-jpegjs.jpg');
    const b = loadFixture('progressive.jpg');
    const scan = jpegLayout(a).scans[0]!;
    // Cut inside the scan, including right after the 0xFF of an FF00 pair (then "FF FF D8").
    const stuffed = a.indexOf(Buffer.from([0xff, 0x00]), scan.start);
    for (const cut of [scan.start, scan.start + 100, stuffed + 1, scan.end]) {
      const stream = standalone(a.subarray(0, cut), b, a);
      for (const sizes of [[stream.length], [1]]) {
        const parser = new FrameParser({ maxFrameBytes: big });
        assertFrames(pushAll(parser, chunked(stream, sizes)), [b, a]);
        assert.deepEqual(parser.drops, drops({ truncated: 1 }), `cut at ${cut}`);
      }
    }
  });

  it('drops a frame cut where a marker was expected when a new SOI arrives', () => {
    const a = loadFixture('restart.jpg');
    const b = loadFixture('fill-bytes.jpg');
    const layout = jpegLayout(a);
    const headerMarkers = layout.markers.filter((m) => m.offset < layout.scans[0]!.start && m.offset > 0);
    assert.ok(headerMarkers.length >= 4);
    for (const { offset } of headerMarkers) {
      // Also with the cut right after the marker's 0xFF, so the new SOI follows a lone 0xFF.
      for (const cut of [offset, offset + 1]) {
        const parser = new FrameParser({ maxFrameBytes: big });
        const chunk = standalone(a.subarray(0, cut), b);
        const frames = parser.push(chunk);
        assertFrames(frames, [b]);
        assertView(frames[0]!, chunk, cut);
        assert.deepEqual(parser.drops, drops({ truncated: 1 }), `cut at ${cut}`);
      }
    }
    // A second SOI straight after the first.
    const parser = new FrameParser({ maxFrameBytes: big });
    assertFrames(parser.push(standalone(Buffer.from([0xff, 0xd8]), b)), [b]);
    assert.deepEqual(parser.drops, drops({ truncated: 1 }));
  });

  it('starts the new frame on an SOI split across chunks after a truncated frame', () => {
    const a = loadFixture('baseline-jpegjs.jpg');
    const b = loadFixture('exif-thumbnail.jpg');
    const cut = jpegLayout(a).scans[0]!.start + 50;
    const parser = new FrameParser({ maxFrameBytes: big });
    assert.deepEqual(parser.push(standalone(a.subarray(0, cut), b.subarray(0, 1))), []);
    const frames = parser.push(standalone(b.subarray(1)));
    assertFrames(frames, [b]);
    assert.deepEqual(parser.drops, drops({ truncated: 1 }));
  });

  it('emits a frame with an EXIF thumbnail whole, not cut at the thumbnail EOI', () => {
    const a = loadFixture('exif-thumbnail.jpg');
    const thumbnailStart = a.indexOf(Buffer.from([0xff, 0xd8]), 2);
    const thumbnailEnd = a.indexOf(Buffer.from([0xff, 0xd9])) + 2;
    assert.ok(thumbnailStart > 2 && thumbnailEnd < a.length - 100, 'fixture holds a thumbnail');
    // Whole, split inside the thumbnail, and split between the thumbnail's FF and D9.
    for (const sizes of [[a.length], [thumbnailStart + 5], [thumbnailEnd - 1], [1]]) {
      const parser = new FrameParser({ maxFrameBytes: big });
      assertFrames(pushAll(parser, chunked(standalone(a, a), sizes)), [a, a]);
      assert.deepEqual(parser.drops, noDrops());
    }
  });

  it('drops oversize frames, counts them and parses the next frames', () => {
    const limit = 2000;
    const sizes = fixtures.map((f) => f.bytes.length);
    assert.ok(sizes.some((s) => s > limit) && sizes.some((s) => s <= limit), 'fixtures straddle the limit');
    const stream = standalone(...all, ...all);
    const expected = [...all, ...all].filter((f) => f.length <= limit);
    const oversize = all.length * 2 - expected.length;
    for (const chunkSizes of [[stream.length], [1], [500], [1999, 17]]) {
      const parser = new FrameParser({ maxFrameBytes: limit });
      let maxPending = 0;
      const frames: Buffer[] = [];
      for (const chunk of chunked(stream, chunkSizes)) {
        frames.push(...parser.push(chunk));
        maxPending = Math.max(maxPending, parser.pending);
      }
      // The EXIF frame is oversize but its 847-byte thumbnail is not: it must not leak out as a frame.
      assertFrames(frames, expected);
      assert.ok(maxPending <= limit, `never buffers more than the limit (${maxPending})`);
      assert.deepEqual(parser.drops, drops({ oversize }), `chunks ${chunkSizes.join(',')}`);
    }
  });

  it('keeps a frame of exactly maxFrameBytes', () => {
    const a = loadFixture('restart.jpg');
    for (const sizes of [[a.length], [1]]) {
      const parser = new FrameParser({ maxFrameBytes: a.length });
      assertFrames(pushAll(parser, chunked(a, sizes)), [a]);
      const smaller = new FrameParser({ maxFrameBytes: a.length - 1 });
      assertFrames(pushAll(smaller, chunked(a, sizes)), []);
      assert.deepEqual(smaller.drops, drops({ oversize: 1 }));
    }
  });

  it('drops a frame with bad segment structure and resynchronises on the next SOI', () => {
    const a = loadFixture('baseline-jpegjs.jpg');
    const b = loadFixture('progressive.jpg');
    const layout = jpegLayout(a);
    const dqt = layout.markers.find((m) => m.code === 0xdb)!.offset;
    const cases: [string, Buffer][] = [
      ['a data byte where a marker was expected', standalone(a.subarray(0, dqt), Buffer.from([0x12]), a.subarray(dqt))],
      ['marker code 0x00', standalone(a.subarray(0, dqt + 1), Buffer.from([0x00]), a.subarray(dqt + 1))],
      ['a reserved marker code', standalone(a.subarray(0, dqt + 1), Buffer.from([0x02]), a.subarray(dqt + 1))],
      ['segment length below 2', standalone(a.subarray(0, dqt + 2), Buffer.from([0x00, 0x01]), a.subarray(dqt + 4))],
      ['EOI before any SOS', Buffer.from([0xff, 0xd8, 0xff, 0xfe, 0x00, 0x03, 0x41, 0xff, 0xd9])],
    ];
    for (const [what, bad] of cases) {
      for (const sizes of [[bad.length + b.length], [1]]) {
        const parser = new FrameParser({ maxFrameBytes: big });
        // The corrupt frame's remains up to the next SOI belong to the drop, not to a garbage run.
        assertFrames(pushAll(parser, chunked(standalone(bad, b), sizes)), [b]);
        assert.deepEqual(parser.drops, drops({ corrupt: 1 }), what);
      }
    }
  });

  describe('segment lengths outside what the standard allows for the marker', () => {
    const a = loadFixture('baseline-jpegjs.jpg');
    const r = loadFixture('restart.jpg');
    const b = loadFixture('progressive.jpg');
    const at = (jpeg: Buffer, code: number) => jpegLayout(jpeg).markers.find((m) => m.code === code)!.offset;
    const scanEnd = jpegLayout(a).scans[0]!.end; // a's EOI
    const sos = at(a, 0xda); // Ns 3: length 12
    const sos4 = insertAt(withLength(a, sos, 14), sos + 4 + 1 + 6, Buffer.from([4, 0])); // a fourth component
    sos4[sos + 4] = 4;
    const dqt4x16 = Array.from({ length: 4 }, (_, t) => [0x10 | t, ...Array.from({ length: 128 }, (_, i) => i & 1)]).flat();
    const counts = Array.from({ length: 16 }, () => 16); // 256 codes
    const symbols = Array.from({ length: 256 }, (_, i) => i);
    const dht8 = Array.from({ length: 8 }, (_, t) => [((t >> 2) << 4) | (t & 3), ...counts, ...symbols]).flat();
    const sofCodes = [0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf];
    const sof = (nf: number) => [8, 0, 16, 0, 16, nf, ...Array.from({ length: nf }, (_, i) => [i, 0x11, 0]).flat()];
    const dqt = at(a, 0xdb);
    /** `a` with its SOS payload replaced by `bytes` (the entropy-coded data follows). */
    const sosPayload = (bytes: Uint8Array) => standalone(a.subarray(0, sos + 2), Buffer.from([0, 2 + bytes.length]), bytes, a.subarray(sos + 14));

    // Each case is `a` with one segment changed or added, its payload as long as its length says, so
    // only the bound tells it from a good frame. Tables added before a's own leave its picture alone.
    const outside: [string, Buffer][] = [
      ['SOS length 7 (Ns 1 needs 8)', sosPayload(a.subarray(sos + 4, sos + 9))],
      ['SOS length 15 (Ns 4 needs 14)', sosPayload(standalone(a.subarray(sos + 4, sos + 14), Buffer.from([0, 0, 0])))],
      ['SOS length 0x5D76', withLength(a, sos, 0x5d76)],
      ['DRI length 3', insertAt(a, dqt, segment(0xdd, [0]))],
      ['DRI length 5', insertAt(a, dqt, segment(0xdd, [0, 2, 0]))],
      ['DNL length 3, after the scan', insertAt(a, scanEnd, segment(0xdc, [0]))],
      ['DNL length 5, after the scan', insertAt(a, scanEnd, segment(0xdc, [0, 48, 0]))],
      ['DQT length 519', insertAt(a, dqt, segment(0xdb, [...dqt4x16, 0]))],
      ['DQT length 519, after the scan', insertAt(a, scanEnd, segment(0xdb, [...dqt4x16, 0]))],
      ['DHT length 2187', insertAt(a, dqt, segment(0xc4, [...dht8, 0]))],
      ...sofCodes.flatMap((code): [string, Buffer][] => [
        [`SOF 0x${code.toString(16)} length 8 (no component)`, insertAt(a, 2, segment(code, sof(0)))],
        [`SOF 0x${code.toString(16)} length 774`, insertAt(a, 2, segment(code, [...sof(255), 0]))],
      ]),
    ];
    // [what, frame, the marker code and length at the bound that the frame holds]
    const within: [string, Buffer, number, number][] = [
      ['SOS length 14 (Ns 4)', sos4, 0xda, 14],
      ['SOS length 8 (Ns 1)', b, 0xda, 8],
      ['DRI length 4', insertAt(a, dqt, segment(0xdd, [0, 2])), 0xdd, 4],
      ['DNL length 4, after the scan', insertAt(a, scanEnd, segment(0xdc, [0, 48])), 0xdc, 4],
      ['DQT length 518 (four 16-bit tables)', insertAt(a, dqt, segment(0xdb, dqt4x16)), 0xdb, 518],
      ['DHT length 2186 (eight tables of 256 codes)', insertAt(a, dqt, segment(0xc4, dht8)), 0xc4, 2186],
      ...sofCodes.map((code): [string, Buffer, number, number] => [
        `SOF 0x${code.toString(16)} length 773 (255 components)`,
        insertAt(a, 2, segment(code, sof(255))),
        code,
        773,
      ]),
    ];

    it('the frames at the bounds hold the segments they are named for', () => {
      for (const [what, frame, code, length] of within) {
        const found = jpegLayout(frame).markers.filter((m) => m.code === code).map((m) => frame.readUInt16BE(m.offset + 2));
        assert.ok(found.includes(length), `${what}: ${found.join(', ')}`);
      }
    });

    // The SOF0 cases at every offset; the other SOFn codes share its bounds, so every 97th will do.
    const step = (what: string) => (/^SOF 0x(?!c0)/.test(what) ? 97 : 1);

    for (const [what, bad] of outside) {
      it(`drops a frame with ${what} as corrupt and keeps the next, split at every ${step(what) === 1 ? '' : '97th '}offset`, () => {
        assertEverySplit(standalone(bad, b), [b], drops({ corrupt: 1 }), what, step(what));
      });
    }

    for (const [what, good] of within) {
      if (good === b) continue; // b is the frame after each case anyway
      it(`keeps a frame with ${what}`, () => {
        assertEverySplit(standalone(good, b), [good, b], noDrops(), what, step(what));
      });
    }
  });

  describe('a frame cut in its scan, then garbage that reads as a segment', () => {
    const a = loadFixture('baseline-jpegjs.jpg');
    const b = loadFixture('progressive.jpg');
    const c = loadFixture('restart.jpg');
    const scan = jpegLayout(a).scans[0]!;
    const cut = a.subarray(0, scan.start + ((scan.end - scan.start) >> 1));
    const filler = (n: number) => Buffer.alloc(n, 0x41);
    /** FF `code`, the length, `before` bytes, then b: the SOI is `before` bytes into the payload. */
    const cases = (code: number, payloadLengths: (before: number) => number[]): [string, Buffer][] =>
      [0, 1, 6].flatMap((before) =>
        payloadLengths(before).map((payload): [string, Buffer] => [
          `payload ${payload}, b's SOI at ${before}`,
          standalone(Buffer.from([0xff, code, (payload + 2) >> 8, (payload + 2) & 0xff]), filler(before)),
        ]),
      );
    // The payload ends before the SOI, on its FF, on its D8, right after it, further on, or far away.
    const around = (before: number) => [before, before + 1, before + 2, before + 3, before + 40, 0x5d74];

    for (const [name, code] of [['APP1', 0xe1], ['COM', 0xfe], ['APP15', 0xef]] as const) {
      it(`${name} with the next SOI in its length bytes or payload: truncated, b and c come out whole`, () => {
        const garbages: [string, Buffer][] = [
          ['length bytes FF D8', Buffer.from([0xff, code])],
          ['length low byte FF', Buffer.from([0xff, code, 0x00])],
          ...cases(code, around),
        ];
        for (const [what, garbage] of garbages) {
          assertEverySplit(standalone(cut, garbage, b, c), [b, c], drops({ truncated: 1 }), `${name} ${what}`);
        }
      });
    }

    it('DQT and DHT within their bounds, after the scan: truncated at the SOI in their payload', () => {
      for (const [name, code, max] of [['DQT', 0xdb, 516], ['DHT', 0xc4, 2184]] as const) {
        const garbages = cases(code, (before) => [...around(before).filter((n) => n <= max), max]);
        for (const [what, garbage] of garbages) {
          assertEverySplit(standalone(cut, garbage, b, c), [b, c], drops({ truncated: 1 }), `${name} ${what}`);
        }
      }
    });

    it('SOS with a long length is corrupt; a short one leads into "entropy data" where the SOI is seen', () => {
      for (const [what, garbage] of cases(0xda, around)) {
        const payload = garbage.readUInt16BE(2) - 2;
        const reason = payload + 2 >= 8 && payload + 2 <= 14 ? 'truncated' : 'corrupt';
        assertEverySplit(standalone(cut, garbage, b, c), [b, c], drops({ [reason]: 1 }), `SOS ${what}`);
      }
    });

    it('a segment after the scan holding FF D8 without a marker after it is skipped whole', () => {
      const comment = segment(0xfe, [0x41, 0xff, 0xd8, 0x00, 0xff, 0xd8, 0xd9, 0xff, 0xd9, 0xff]);
      const frame = insertAt(a, scan.end, comment);
      assertEverySplit(standalone(frame, b), [frame, b], noDrops(), 'COM after the scan');
    });
  });

  it('reset() forgets a partial frame', () => {
    const a = loadFixture('baseline-jpegjs.jpg');
    const b = loadFixture('fill-bytes.jpg');
    const parser = new FrameParser({ maxFrameBytes: big });
    assert.deepEqual(parser.push(a.subarray(0, 1500)), []);
    assert.equal(parser.pending, 1500);
    parser.reset();
    assert.equal(parser.pending, 0);
    assert.deepEqual(parser.drops, drops({ reset: 1 }));
    // The rest of the forgotten frame is now garbage; the next frame is emitted as a view.
    const chunk = standalone(a.subarray(1500), b);
    const frames = parser.push(chunk);
    assertFrames(frames, [b]);
    assertView(frames[0]!, chunk, a.length - 1500);
    assert.deepEqual(parser.drops, drops({ reset: 1, garbage: 1 }));
    // Between frames there is nothing to forget, so nothing is counted.
    parser.reset();
    assert.deepEqual(parser.drops, drops({ reset: 1, garbage: 1 }));
    assert.equal(parser.frames, 1);
  });

  it('reset() forgets a 0xFF that may have started an SOI', () => {
    const b = loadFixture('restart.jpg');
    const parser = new FrameParser({ maxFrameBytes: big });
    assert.deepEqual(parser.push(Buffer.from([0xff])), []);
    parser.reset();
    // Without the 0xFF, this lone D8 is garbage, not an SOI.
    assertFrames(parser.push(standalone(b.subarray(1), b)), [b]);
    assert.deepEqual(parser.drops, drops({ garbage: 1 }));
  });
});
