import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FrameParser, type DropReason } from '../../../src/formats/jpeg/frame-parser.js';
import { FramePool } from '../../../src/formats/frame-pool.js';
import { EntropyScanner } from '../../../src/formats/jpeg/entropy-scan.js';
import { chunked, jpegLayout, loadFixtures, pushAll, standalone } from '../../fixtures/jpeg/index.js';

const fixtures = loadFixtures().map((f) => f.bytes);
const big = 1 << 20;

const noDrops: Record<DropReason, number> = { garbage: 0, truncated: 0, oversize: 0, corrupt: 0, reset: 0 };

const frame = fc.nat({ max: fixtures.length - 1 }).map((i) => fixtures[i]!);

/** Entropy-coded data as a camera with restart markers writes it: FF00 and RSTn every few bytes. */
const restartRich = fc.record({ frame, every: fc.integer({ min: 1, max: 40 }) }).map(({ frame, every }) => {
  const scan = jpegLayout(frame).scans[0]!;
  const data = [...frame.subarray(scan.start, scan.end)].flatMap((b, i) => (b === 0xff ? [0xff, 0x00] : i % every === 0 ? [b & 0x7f, 0xff, 0xd0 + (i % 8)] : [b]));
  return Buffer.concat([frame.subarray(0, scan.start), Buffer.from(data), frame.subarray(scan.end)]);
});

/**
 * What a segment header looks like in garbage: FF, a marker code that takes a length, and a length,
 * mostly long enough to reach over the next frames if it were skipped blindly.
 */
const markerLike = fc
  .tuple(
    fc.constantFrom(0xda, 0xe1, 0xfe, 0xdb, 0xc4, 0xc0, 0xdd, 0xdc),
    fc.oneof(fc.integer({ min: 0x100, max: 0xffff }), fc.nat({ max: 20 })),
  )
  .map(([code, length]) => [0xff, code, length >> 8, length & 0xff]);

/** Bytes rich in 0xFF, marker codes and marker-like segment headers, never holding an SOI. */
const garbageBytes = fc
  .array(fc.oneof(fc.constant(0xff), fc.constantFrom(0x00, 0xd8, 0xd9, 0xda, 0xc4, 0xe1, 0x01), fc.nat({ max: 255 }), markerLike), {
    maxLength: 40,
  })
  .map((parts) => parts.flat());

/** Garbage between whole frames: every FF D8 pair broken up (FF D9 stays: it is no frame there). */
const garbage = garbageBytes.map((bytes) => {
  for (let i = 1; i < bytes.length; i++) if (bytes[i - 1] === 0xff && bytes[i] === 0xd8) bytes[i] = 0xd9;
  return Buffer.from(bytes);
});

/**
 * Garbage that may follow a frame cut in its scan: no FF D8 and no FF D9 either, not even with the cut
 * frame's last byte (which may be 0xFF). An EOI there would end the cut frame, and no framer can tell
 * it from the frame's own; the camera simulator's garbage has none.
 */
const garbageAfterCut = garbageBytes.map((bytes) => {
  for (let i = 0; i < bytes.length; i++) {
    if ((i === 0 || bytes[i - 1] === 0xff) && (bytes[i] === 0xd8 || bytes[i] === 0xd9)) bytes[i] = 0xd7;
  }
  return Buffer.from(bytes);
});

/** Chunk sizes to cycle through: often tiny, sometimes larger than a frame. */
const chunkSizes = fc.array(fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 5000 })), {
  minLength: 1,
  maxLength: 8,
});

function sameFrames(actual: Buffer[], expected: Buffer[]): boolean {
  return actual.length === expected.length && actual.every((f, i) => f.equals(expected[i]!));
}

describe('FrameParser properties', () => {
  it('emits exactly the valid frames, in order, byte for byte, whatever the garbage and chunking', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ garbage, frame }), { maxLength: 8 }),
        garbage,
        chunkSizes,
        (items, trailing, sizes) => {
          const stream = standalone(...items.flatMap((it) => [it.garbage, it.frame]), trailing);
          const parser = new FrameParser({ maxFrameBytes: big });
          const frames = pushAll(parser, chunked(stream, sizes));
          assert.ok(sameFrames(frames, items.map((it) => it.frame)));
          // A lone 0xFF at the very end might still become an SOI, so it is not counted yet.
          const trailingRun = trailing.length > (trailing.at(-1) === 0xff ? 1 : 0);
          const runs = items.filter((it) => it.garbage.length > 0).length + (trailingRun ? 1 : 0);
          assert.deepEqual(parser.drops, { ...noDrops, garbage: runs });
          assert.equal(parser.frames, items.length);
          assert.equal(parser.pending, 0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('drops each frame cut in its entropy-coded data, whatever garbage follows, and keeps the frames after it', () => {
    // A cut point anywhere in the first scan's data, as a fraction of it.
    const cutFrame = fc.record({ frame, at: fc.double({ min: 0, max: 1, noNaN: true }) }).map(({ frame, at }) => {
      const scan = jpegLayout(frame).scans[0]!;
      return frame.subarray(0, scan.start + Math.floor(at * (scan.end - scan.start)));
    });
    fc.assert(
      fc.property(
        fc.array(fc.record({ cut: fc.option(cutFrame), garbage: garbageAfterCut, frame }), { minLength: 1, maxLength: 6 }),
        chunkSizes,
        (items, sizes) => {
          const stream = standalone(...items.flatMap((it) => [...(it.cut ? [it.cut] : []), it.garbage, it.frame]));
          const parser = new FrameParser({ maxFrameBytes: big });
          const frames = pushAll(parser, chunked(stream, sizes));
          assert.ok(sameFrames(frames, items.map((it) => it.frame)));
          // A cut frame is truncated when the next SOI shows it, corrupt when the garbage after it breaks
          // the structure first; either way the garbage after it belongs to that drop. A cut followed
          // directly by an SOI is always truncated.
          const cuts = items.filter((it) => it.cut);
          const runs = items.filter((it) => !it.cut && it.garbage.length > 0).length;
          const { truncated, corrupt, ...rest } = parser.drops;
          assert.equal(truncated + corrupt, cuts.length);
          assert.ok(truncated >= cuts.filter((it) => it.garbage.length === 0).length);
          assert.deepEqual(rest, { garbage: runs, oversize: 0, reset: 0 });
          assert.equal(parser.pending, 0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('drops exactly the frames longer than maxFrameBytes and never buffers more than that', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ garbage, frame }), { maxLength: 8 }),
        fc.integer({ min: 1000, max: 3500 }),
        chunkSizes,
        (items, limit, sizes) => {
          const stream = standalone(...items.flatMap((it) => [it.garbage, it.frame]));
          const parser = new FrameParser({ maxFrameBytes: limit });
          const frames: Buffer[] = [];
          for (const chunk of chunked(stream, sizes)) {
            frames.push(...parser.push(chunk));
            assert.ok(parser.pending <= limit);
          }
          const kept = items.map((it) => it.frame).filter((f) => f.length <= limit);
          assert.ok(sameFrames(frames, kept));
          assert.equal(parser.drops.oversize, items.length - kept.length);
          assert.equal(parser.drops.truncated + parser.drops.corrupt, 0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('with a FramePool and each chunk overwritten after push(), the same frames and the same counts as by default', () => {
    const cutFrame = fc.record({ frame, at: fc.double({ min: 0, max: 1, noNaN: true }) }).map(({ frame, at }) => {
      const scan = jpegLayout(frame).scans[0]!;
      return frame.subarray(0, scan.start + Math.floor(at * (scan.end - scan.start)));
    });
    fc.assert(
      fc.property(
        fc.array(fc.record({ cut: fc.option(cutFrame), garbage: garbageAfterCut, frame }), { maxLength: 6 }),
        garbage,
        chunkSizes,
        fc.integer({ min: 1000, max: 1 << 20 }),
        (items, trailing, sizes, limit) => {
          const stream = standalone(...items.flatMap((it) => [...(it.cut ? [it.cut] : []), it.garbage, it.frame]), trailing);
          const byDefault = new FrameParser({ maxFrameBytes: limit });
          const expected = pushAll(byDefault, chunked(stream, sizes)).map((f) => Buffer.from(f));
          const pooled = new FrameParser({ maxFrameBytes: limit, assembler: new FramePool({ headroom: 64, tailroom: 32, maxFrameBytes: limit, initialBytes: 512 }) });
          const read = Buffer.alloc(Math.max(...sizes));
          const frames: Buffer[] = [];
          for (const piece of chunked(stream, sizes)) {
            piece.copy(read);
            for (const f of pooled.push(read.subarray(0, piece.length))) frames.push(Buffer.from(f));
            read.fill(0xd8); // what a reused read buffer holds next: anything
          }
          assert.ok(sameFrames(frames, expected));
          assert.deepEqual(pooled.drops, byDefault.drops);
          assert.equal(pooled.frames, byDefault.frames);
          assert.equal(pooled.pending, byDefault.pending);
        },
      ),
      { numRuns: 300 },
    );
  });
  it('with every chunk read into the scanner\'s read area (the camera socket), the same frames and counts as with Buffer.indexOf alone', () => {
    const scanner = EntropyScanner.create();
    assert.ok(scanner, 'this Node runs WebAssembly SIMD');
    const area = scanner.readArea(8192);
    fc.assert(
      fc.property(
        fc.array(fc.record({ garbage, frame: fc.oneof(frame, restartRich) }), { maxLength: 5 }),
        garbage,
        chunkSizes,
        (items, trailing, sizes) => {
          const stream = standalone(...items.flatMap((it) => [it.garbage, it.frame]), trailing);
          const plain = new FrameParser({ maxFrameBytes: big, scanner: null });
          const expected = pushAll(plain, chunked(stream, sizes)).map((f) => Buffer.from(f));
          const scanned = new FrameParser({ maxFrameBytes: big, scanner, assembler: new FramePool({ headroom: 64, tailroom: 32, maxFrameBytes: big, initialBytes: 512 }) });
          const frames: Buffer[] = [];
          for (const piece of chunked(stream, sizes)) {
            for (let at = 0; at < piece.length; at += area.length) {
              const n = piece.copy(area, 0, at, at + area.length);
              for (const f of scanned.push(area.subarray(0, n))) frames.push(Buffer.from(f));
              area.fill(0xff);
            }
          }
          assert.ok(sameFrames(frames, expected));
          assert.deepEqual(scanned.drops, plain.drops);
          assert.equal(scanned.frames, plain.frames);
        },
      ),
      { numRuns: 200 },
    );
  });
  it('with the WebAssembly scanner, the same frames and counts as with Buffer.indexOf alone, also when a chunk\'s buffer is reused', () => {
    const scanner = EntropyScanner.create();
    assert.ok(scanner, 'this Node runs WebAssembly SIMD');
    const cutFrame = fc.record({ frame, at: fc.double({ min: 0, max: 1, noNaN: true }) }).map(({ frame, at }) => {
      const scan = jpegLayout(frame).scans[0]!;
      return frame.subarray(0, scan.start + Math.floor(at * (scan.end - scan.start)));
    });
    fc.assert(
      fc.property(
        fc.array(fc.record({ cut: fc.option(cutFrame), garbage: garbageAfterCut, frame: fc.oneof(frame, restartRich) }), { maxLength: 6 }),
        garbage,
        chunkSizes,
        fc.integer({ min: 1000, max: 1 << 20 }),
        (items, trailing, sizes, limit) => {
          const stream = standalone(...items.flatMap((it) => [...(it.cut ? [it.cut] : []), it.garbage, it.frame]), trailing);
          const plain = new FrameParser({ maxFrameBytes: limit, scanner: null });
          const expected = pushAll(plain, chunked(stream, sizes)).map((f) => Buffer.from(f));
          const scanned = new FrameParser({ maxFrameBytes: limit, scanner, assembler: new FramePool({ headroom: 64, tailroom: 32, maxFrameBytes: limit, initialBytes: 512 }) });
          // One buffer per chunk size, filled anew for every chunk of that size: the same object, other bytes.
          const reads = new Map<number, Buffer>();
          const frames: Buffer[] = [];
          for (const piece of chunked(stream, sizes)) {
            const read = reads.get(piece.length) ?? Buffer.alloc(piece.length);
            reads.set(piece.length, read);
            piece.copy(read);
            for (const f of scanned.push(read)) frames.push(Buffer.from(f));
            read.fill(0xff);
          }
          assert.ok(sameFrames(frames, expected));
          assert.deepEqual(scanned.drops, plain.drops);
          assert.equal(scanned.frames, plain.frames);
          assert.equal(scanned.pending, plain.pending);
        },
      ),
      { numRuns: 300 },
    );
  });
});
