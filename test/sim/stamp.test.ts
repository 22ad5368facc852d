import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeJpeg } from '../../src/formats/jpeg/encoder.js';
import { createRaster } from '../../src/formats/jpeg/raster.js';
import { nowUs, readSimStamp, simStampSegment } from '../../src/sim/stamp.js';

const plain = encodeJpeg(createRaster(16, 16, [80, 80, 80]), 70);
const withSegment = (segment: Buffer, after = 2) =>
  Buffer.concat([plain.subarray(0, after), segment, plain.subarray(after)]);

test('a stamp written after SOI reads back', () => {
  const tUs = nowUs();
  const stamped = withSegment(simStampSegment(1234, tUs));
  assert.deepEqual(readSimStamp(stamped), { seq: 1234, tUs });
  assert.equal(stamped.toString('latin1', 6, 6 + 11), 'picamd-sim ');
});

test('nowUs is wall-clock microseconds', () => {
  assert.ok(Math.abs(nowUs() / 1000 - Date.now()) < 1000);
});

test('a stamp after other header segments is still found', () => {
  const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x06, 0x41, 0x42, 0x43, 0x44]);
  const stamped = withSegment(Buffer.concat([app0, simStampSegment(7, 99)]));
  assert.deepEqual(readSimStamp(stamped), { seq: 7, tUs: 99 });
});

test('JPEGs without a stamp, other comments, and broken input give undefined', () => {
  assert.equal(readSimStamp(plain), undefined);
  const comment = Buffer.from('hello world, not a stamp');
  const com = Buffer.concat([Buffer.from([0xff, 0xfe, 0, comment.length + 2]), comment]);
  assert.equal(readSimStamp(withSegment(com)), undefined);
  const stamped = withSegment(simStampSegment(1, 2));
  assert.equal(readSimStamp(stamped.subarray(0, 20)), undefined);
  assert.equal(readSimStamp(Buffer.from('not a jpeg at all')), undefined);
  assert.equal(readSimStamp(Buffer.alloc(0)), undefined);
  const lying = Buffer.from(stamped);
  lying.writeUInt16BE(0xfff0, 4); // length runs past the end
  assert.equal(readSimStamp(lying), undefined);
});
