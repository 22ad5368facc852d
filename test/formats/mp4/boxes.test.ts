import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { box, fixed16x16, fourCc, fullBox, u16, u24, u32, u64, u8, unityMatrix, writeBoxHeader, zeros } from '../../../src/formats/mp4/boxes.js';

describe('mp4 boxes', () => {
  it('writes a box as its big-endian size, its type and its payload parts in order', () => {
    const b = box('free', Buffer.from([1, 2]), Buffer.from([3]));
    assert.deepEqual([...b], [0, 0, 0, 11, 0x66, 0x72, 0x65, 0x65, 1, 2, 3]);
    assert.deepEqual([...box('skip')], [0, 0, 0, 8, 0x73, 0x6b, 0x69, 0x70]);
  });

  it('writes a full box with its version and 24-bit flags before the payload', () => {
    const b = fullBox('tfhd', 1, 0x020000, u32(7));
    assert.deepEqual([...b], [0, 0, 0, 16, 0x74, 0x66, 0x68, 0x64, 1, 0x02, 0x00, 0x00, 0, 0, 0, 7]);
  });

  it('writes fields big-endian', () => {
    assert.deepEqual([...u8(0xab)], [0xab]);
    assert.deepEqual([...u16(0x1234)], [0x12, 0x34]);
    assert.deepEqual([...u24(0x123456)], [0x12, 0x34, 0x56]);
    assert.deepEqual([...u32(0x89abcdef)], [0x89, 0xab, 0xcd, 0xef]);
    // 90 kHz ticks after 14 hours no longer fit in 32 bits.
    assert.deepEqual([...u64(90000 * 3600 * 14)], [0, 0, 0, 0x01, 0x0e, 0x5d, 0xde, 0x00]);
    assert.deepEqual([...u64(Number.MAX_SAFE_INTEGER)], [0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    assert.throws(() => u64(-1), RangeError);
    assert.throws(() => u64(1.5), RangeError);
    assert.deepEqual([...fixed16x16(1280)], [0x05, 0x00, 0x00, 0x00]);
    assert.deepEqual([...fourCc('avc1')], [0x61, 0x76, 0x63, 0x31]);
    assert.deepEqual([...zeros(3)], [0, 0, 0]);
    assert.equal(unityMatrix().length, 36);
    assert.equal(unityMatrix().readUInt32BE(32), 0x40000000);
  });

  it('refuses a type that is not four characters', () => {
    assert.throws(() => box('abc'), /four characters/);
    assert.throws(() => fourCc('abcde'), /four-character/);
    assert.throws(() => writeBoxHeader(Buffer.alloc(8), 0, 8, 'mdat!'), /four characters/);
  });
});
