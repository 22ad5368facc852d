import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FramePool } from '../../src/formats/frame-pool.js';
import { FrameParser } from '../../src/formats/jpeg/frame-parser.js';
import { buildPart, buildPartInPlace, PART_HEADROOM, PART_TAILROOM } from '../../src/formats/multipart.js';
import { chunked, loadFixtures, standalone } from '../fixtures/jpeg/index.js';

const fixtures = loadFixtures().map((f) => f.bytes);
const big = 1 << 20;

function pool(options: Partial<ConstructorParameters<typeof FramePool>[0]> = {}): FramePool {
  return new FramePool({ headroom: PART_HEADROOM, tailroom: PART_TAILROOM, maxFrameBytes: big, ...options });
}

/**
 * Feeds `stream` in `sizes` pieces through ONE reused read buffer, as a fixed read buffer would: each
 * chunk is overwritten with the next one's bytes (and then with garbage) right after push() returns.
 * Frames are copied out before the next push (the caller's window), and checked against the stream.
 */
function parseThroughOneBuffer(parser: FrameParser, stream: Buffer, sizes: readonly number[]): Buffer[] {
  const read = Buffer.alloc(Math.max(...sizes));
  const frames: Buffer[] = [];
  for (const piece of chunked(stream, sizes)) {
    piece.copy(read);
    const chunk = read.subarray(0, piece.length);
    for (const frame of parser.push(chunk)) frames.push(Buffer.from(frame));
    read.fill(0xff);
  }
  return frames;
}

describe('FramePool', () => {
  it('gives the parser the same frames, byte for byte, from chunks it reuses, whatever the chunking', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: fixtures.length - 1 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 5000 })), { minLength: 1, maxLength: 8 }),
        (picks, sizes) => {
          const expected = picks.map((i) => fixtures[i]!);
          const stream = standalone(...expected.flatMap((f) => [Buffer.from([0x00, 0x12]), f]));
          const parser = new FrameParser({ maxFrameBytes: big, assembler: pool({ initialBytes: 256 }) });
          const frames = parseThroughOneBuffer(parser, stream, sizes);
          assert.equal(frames.length, expected.length);
          frames.forEach((f, i) => assert.ok(f.equals(expected[i]!), `frame ${i}`));
          assert.equal(parser.drops.garbage, expected.length);
          assert.equal(parser.pending, 0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps the oversize rule: a frame over maxFrameBytes is dropped and the next one comes whole', () => {
    const [small, large] = [...fixtures].sort((a, b) => a.length - b.length).filter((f, i, all) => i === 0 || i === all.length - 1);
    assert.ok(small!.length < large!.length);
    const parser = new FrameParser({ maxFrameBytes: small!.length, assembler: pool({ maxFrameBytes: small!.length }) });
    const frames = parseThroughOneBuffer(parser, standalone(large!, small!), [700]);
    assert.equal(frames.length, 1);
    assert.ok(frames[0]!.equals(small!));
    assert.equal(parser.drops.oversize, 1);
  });

  it('reuses a buffer once nothing holds it, and never one that is held or was just handed out', () => {
    const frames = pool();
    const held = new Set<ArrayBufferLike>();
    frames.holdersFrom((buffer) => held.has(buffer));
    const jpeg = fixtures[0]!;
    const emit = () => {
      frames.nextPush();
      return frames.finish(jpeg, jpeg.length);
    };
    const a = emit();
    held.add(a.buffer); // a viewer still sends it
    const b = emit();
    assert.notEqual(b.buffer, a.buffer);
    held.add(b.buffer);
    const c = emit();
    assert.ok(c.buffer !== a.buffer && c.buffer !== b.buffer);
    held.delete(a.buffer);
    const d = emit();
    assert.equal(d.buffer, a.buffer, 'the free buffer is reused');
    assert.equal(frames.kept, 3);
    // Two frames in one push: the first is the caller's until the next push, held or not.
    held.clear();
    frames.nextPush();
    const e = frames.finish(jpeg, jpeg.length);
    const f = frames.finish(jpeg, jpeg.length);
    assert.notEqual(e.buffer, f.buffer);
    assert.ok(e.equals(jpeg) && f.equals(jpeg));
  });

  it('gives a frame a buffer of its own when every kept one is held, and keeps no more than its slots', () => {
    const frames = pool({ slots: 2 });
    frames.holdersFrom(() => true);
    const jpeg = fixtures[0]!;
    const out = [1, 2, 3, 4].map(() => {
      frames.nextPush();
      return frames.finish(jpeg, jpeg.length);
    });
    assert.equal(new Set(out.map((f) => f.buffer)).size, 4);
    assert.equal(frames.kept, 2);
    assert.equal(frames.overflows, 2);
    assert.ok(out.every((f) => frames.owns(f) && f.equals(jpeg)));
  });

  it('grows a buffer for a larger frame and keeps the bytes it has so far', () => {
    const frames = pool({ initialBytes: 16 });
    const jpeg = fixtures[0]!;
    for (let i = 0; i < jpeg.length - 10; i += 7) frames.append(jpeg.subarray(i, Math.min(i + 7, jpeg.length - 10)));
    const frame = frames.finish(jpeg.subarray(jpeg.length - 10), jpeg.length);
    assert.ok(frame.equals(jpeg));
  });

  it('lays each frame out as the same multipart part, in place, as buildPart does by copying', () => {
    const frames = pool();
    const jpeg = fixtures[0]!;
    frames.nextPush();
    const frame = frames.finish(jpeg, jpeg.length);
    assert.ok(frames.owns(frame));
    assert.equal(frames.owns(jpeg), false);
    const inPlace = buildPartInPlace(frame, 7, 1000, true);
    const copied = buildPart(jpeg, 7, 1000, true);
    assert.ok(inPlace.wire.equals(copied.wire));
    assert.equal(inPlace.wire.buffer, frame.buffer, 'no copy of the JPEG');
    assert.ok(inPlace.jpeg.equals(jpeg));
    const alone = Buffer.allocUnsafeSlow(jpeg.length);
    jpeg.copy(alone);
    assert.throws(() => buildPartInPlace(alone, 1, 0, true), RangeError);
  });

  it('while lending views: a frame whole in one chunk is that chunk, uncopied; one across chunks, and any while not lending, is copied', () => {
    const frames = pool();
    let lend = true;
    frames.lendViewsWhile(() => lend);
    const parser = new FrameParser({ maxFrameBytes: big, assembler: frames });
    const [a, b] = [fixtures[0]!, fixtures[1]!];
    const stream = standalone(a, b);
    const whole = parser.push(stream);
    assert.equal(whole.length, 2);
    for (const [i, frame] of whole.entries()) {
      assert.equal(frame.buffer, stream.buffer, `frame ${i} is a view of the chunk`);
      assert.equal(frames.owns(frame), false);
    }
    assert.ok(whole[0]!.equals(a) && whole[1]!.equals(b));
    // Across two chunks: joined in a pool buffer, with the room for its part around it.
    const split = Math.floor(a.length / 2);
    assert.deepEqual(parser.push(Buffer.from(a.subarray(0, split))), []);
    const [joined] = parser.push(Buffer.from(a.subarray(split)));
    assert.ok(joined!.equals(a) && frames.owns(joined!));
    lend = false;
    const chunk = Buffer.from(b);
    const [copied] = parser.push(chunk);
    assert.ok(copied!.equals(b) && frames.owns(copied!), 'not lending: copied');
    assert.notEqual(copied!.buffer, chunk.buffer);
  });
});
