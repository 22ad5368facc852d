import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FrameParser, type DropReason } from '../../src/mjpeg/parser.js';
import { chunked, jpegLayout, loadFixtures, pushAll, standalone } from '../fixtures/jpeg/index.js';

const fixtures = loadFixtures().map((f) => f.bytes);
const big = 1 << 20;

const noDrops: Record<DropReason, number> = { garbage: 0, truncated: 0, oversize: 0, corrupt: 0, reset: 0 };

const frame = fc.nat({ max: fixtures.length - 1 }).map((i) => fixtures[i]!);

/** Bytes rich in 0xFF and marker codes, with every FF D8 pair broken up (garbage never holds an SOI). */
const garbage = fc
  .array(fc.oneof(fc.constant(0xff), fc.constantFrom(0x00, 0xd8, 0xd9, 0xda, 0xc4, 0xe1, 0x01), fc.nat({ max: 255 })), {
    maxLength: 40,
  })
  .map((bytes) => {
    for (let i = 1; i < bytes.length; i++) if (bytes[i - 1] === 0xff && bytes[i] === 0xd8) bytes[i] = 0xd9;
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

  it('drops each frame cut in its entropy-coded data and keeps the frame after it', () => {
    // A cut point anywhere in the first scan's data, as a fraction of it.
    const cutFrame = fc.record({ frame, at: fc.double({ min: 0, max: 1, noNaN: true }) }).map(({ frame, at }) => {
      const scan = jpegLayout(frame).scans[0]!;
      return frame.subarray(0, scan.start + Math.floor(at * (scan.end - scan.start)));
    });
    fc.assert(
      fc.property(
        fc.array(fc.record({ cut: fc.option(cutFrame), frame }), { minLength: 1, maxLength: 6 }),
        chunkSizes,
        (items, sizes) => {
          const stream = standalone(...items.flatMap((it) => (it.cut ? [it.cut, it.frame] : [it.frame])));
          const parser = new FrameParser({ maxFrameBytes: big });
          const frames = pushAll(parser, chunked(stream, sizes));
          assert.ok(sameFrames(frames, items.map((it) => it.frame)));
          assert.deepEqual(parser.drops, { ...noDrops, truncated: items.filter((it) => it.cut).length });
        },
      ),
      { numRuns: 200 },
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
});
