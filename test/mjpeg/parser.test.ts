import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameParser, type DropReason } from '../../src/mjpeg/parser.js';
import {
  chunked,
  jpegLayout,
  loadFixture,
  loadFixtures,
  pushAll,
  standalone,
} from '../fixtures/jpeg/index.js';

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
