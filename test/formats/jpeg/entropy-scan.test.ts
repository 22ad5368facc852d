import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { EntropyScanner, sharedEntropyScanner } from '../../../src/formats/jpeg/entropy-scan.js';

/** The frame parser's loop with Buffer.indexOf: the first 0xFF not followed by 00 or RSTn, or a 0xFF at the end. */
function reference(chunk: Buffer, from: number): number {
  let ff = chunk.indexOf(0xff, from);
  while (ff !== -1 && ff + 1 < chunk.length) {
    const code = chunk[ff + 1]!;
    if (code !== 0x00 && (code < 0xd0 || code > 0xd7)) break;
    ff = chunk.indexOf(0xff, ff + 2);
  }
  return ff;
}

/** Bytes where 0xFF, 0x00, the RSTn codes and their neighbours (0xCF, 0xD8, 0xD9) are common. */
const bytes = fc
  .array(fc.oneof(fc.constant(0xff), fc.constantFrom(0x00, 0xcf, 0xd0, 0xd3, 0xd7, 0xd8, 0xd9), fc.nat({ max: 255 })), { maxLength: 200 })
  .map((b) => Buffer.from(b));

test('the WebAssembly scan stops where the indexOf loop stops, from any offset', () => {
  const scanner = EntropyScanner.create();
  assert.ok(scanner, 'this Node runs WebAssembly SIMD');
  fc.assert(
    fc.property(bytes, fc.nat(), (chunk, at) => {
      const from = chunk.length === 0 ? 0 : at % (chunk.length + 1);
      assert.equal(scanner.scan(chunk, from), reference(chunk, from));
      scanner.forget();
    }),
    { numRuns: 2000 },
  );
});

test('the scan reaches past 16-byte steps and memory pages, and copies a chunk again after forget()', () => {
  const scanner = EntropyScanner.create()!;
  const chunk = Buffer.alloc(200_000, 0x12);
  chunk.fill(0xff, 100_000, 100_001);
  chunk[100_001] = 0x00; // stuffed: not a stop
  chunk[150_007] = 0xff;
  chunk[150_008] = 0xd9;
  assert.equal(scanner.scan(chunk, 0), 150_007);
  assert.equal(scanner.scan(chunk, 150_008), -1);
  // The same buffer with other bytes: without forget() the old copy would still be scanned.
  chunk[150_008] = 0xd2;
  chunk[199_999] = 0xff;
  scanner.forget();
  assert.equal(scanner.scan(chunk, 0), 199_999, 'a 0xFF at the very end is a stop: its next byte is still to come');
  assert.equal(sharedEntropyScanner(), sharedEntropyScanner(), 'one scanner per process');
});

test('a 0xFF in the last byte is a stop, whatever an earlier, longer chunk left in memory after it', () => {
  const scanner = EntropyScanner.create()!;
  const long = Buffer.alloc(4096, 0x00);
  assert.equal(scanner.scan(long, 0), -1);
  scanner.forget();
  for (const length of [17, 31, 32, 33, 48, 64, 100]) {
    const chunk = Buffer.alloc(length, 0x12);
    chunk[length - 1] = 0xff;
    assert.equal(scanner.scan(chunk, 0), length - 1, `length ${length}`);
    scanner.forget();
    // 16 bytes of FF00 pairs before it change nothing.
    for (let i = 0; i + 1 < length - 1; i += 2) (chunk[i] = 0xff), (chunk[i + 1] = 0x00);
    assert.equal(scanner.scan(chunk, 0), length - 1, `length ${length}, stuffed before`);
    scanner.forget();
  }
});

test('a chunk in the read area is scanned where it lies; other chunks never overwrite it or grow the memory under it', () => {
  const scanner = EntropyScanner.create()!;
  const area = scanner.readArea(64 * 1024);
  assert.equal(area.length, 64 * 1024);
  assert.equal(scanner.readArea(1000).buffer, area.buffer, 'the same memory when asked again');
  area.fill(0x12);
  area[40_000] = 0xff;
  area[40_001] = 0x00;
  area[50_000] = 0xff;
  area[50_001] = 0xd9;
  const read = area.subarray(0, 60_000);
  assert.equal(scanner.scan(read, 0), 50_000);
  assert.equal(scanner.scan(read.subarray(10_000), 0), 40_000, 'offsets are the view\'s own');
  // A chunk from elsewhere, as large as the copy room, goes beside the area, not over it.
  const other = Buffer.alloc(256 * 1024, 0x34);
  other[255 * 1024] = 0xff;
  other[255 * 1024 + 1] = 0xc4;
  assert.equal(scanner.scan(other, 0), 255 * 1024);
  scanner.forget();
  assert.equal(area.length, 64 * 1024, 'not detached');
  assert.equal(area[50_001], 0xd9, 'not overwritten');
  assert.equal(scanner.scan(read, 0), 50_000);
  // A scan that would grow the memory would detach the area: refused.
  assert.throws(() => scanner.scan(Buffer.alloc(700 * 1024), 0), RangeError);
  assert.equal(area.length, 64 * 1024);
});
