import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { encodeJpeg, jpegHeader, jpegTables } from '../../../src/formats/jpeg/encoder.js';
import { jpegPayloads, parseJpegForRtp, type RtpJpeg } from '../../../src/formats/rtp/jpeg.js';
import { depacketizeJpeg, joined } from '../../fakes/rtp.js';
import { loadFixture } from '../../fixtures/jpeg/index.js';

function raster(width: number, height: number) {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
  return { width, height, data };
}

function parsed(jpeg: Buffer): RtpJpeg {
  const result = parseJpegForRtp(jpeg);
  assert.ok(result.ok, result.ok ? '' : result.reason);
  return result.jpeg;
}

test("picamd's own JPEGs (the placeholders): type 1, the DQT's tables, the scan up to EOI", () => {
  const jpeg = encodeJpeg(raster(64, 48), 80);
  const frame = parsed(jpeg);
  assert.equal(frame.type, 1);
  assert.equal(frame.width8, 8);
  assert.equal(frame.height8, 6);
  assert.equal(frame.restartInterval, 0);
  const tables = jpegTables(80);
  assert.deepEqual(frame.qtables, Buffer.concat([tables.lumaQ, tables.chromaQ]));
  assert.equal(frame.scan.at(-1) === 0xd9 && frame.scan.at(-2) === 0xff, false);
  assert.equal(jpeg.indexOf(frame.scan), jpeg.length - 2 - frame.scan.length);
});

test('a restart interval makes type 65 with the restart header (the simulated camera writes DRI 1; cjpeg -restart)', () => {
  const header = jpegHeader(jpegTables(75), 32, 16, 1);
  const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8]), header, Buffer.alloc(40, 0x11), Buffer.from([0xff, 0xd9])]);
  const frame = parsed(jpeg);
  assert.equal(frame.type, 65);
  assert.equal(frame.restartInterval, 1);
  const cjpeg = parsed(loadFixture('restart.jpg'));
  assert.ok(cjpeg.type >= 64 && cjpeg.restartInterval > 0);
  const back = depacketizeJpeg(jpegPayloads(frame, 160).map(joined));
  assert.equal(back.restartInterval, 1);
  assert.deepEqual(back.scan, frame.scan);
});

test('JPEGs a receiver could not rebuild are refused with the reason, never thrown on', () => {
  assert.match((parseJpegForRtp(loadFixture('progressive.jpg')) as { reason: string }).reason, /not baseline/);
  assert.match((parseJpegForRtp(Buffer.from('not a jpeg')) as { reason: string }).reason, /SOI/);
  assert.match((parseJpegForRtp(encodeJpeg(raster(2048, 16), 50)) as { reason: string }).reason, /2040/);
  const jpeg = encodeJpeg(raster(16, 16), 80);
  // Another Huffman table: one code length moved.
  const dht = jpeg.indexOf(Buffer.from([0xff, 0xc4]));
  const odd = Buffer.from(jpeg);
  odd[dht + 5 + 2] = (odd[dht + 5 + 2] ?? 0) + 1;
  assert.equal(parseJpegForRtp(odd).ok, false);
  // Any cut of a real JPEG: an answer, never an exception.
  for (let cut = 0; cut < jpeg.length; cut++) parseJpegForRtp(jpeg.subarray(0, cut));
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => void parseJpegForRtp(Buffer.concat([Buffer.from([0xff, 0xd8]), bytes]))));
});

test('any frame at any payload size: the fragments fit, their offsets run on, and they read back as the scan and the tables', () => {
  const base = parsed(encodeJpeg(raster(48, 32), 90));
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 20000 }), fc.integer({ min: 150, max: 1500 }), fc.boolean(), (scan, max, restart) => {
      const frame: RtpJpeg = { ...base, scan: Buffer.from(scan), type: restart ? 65 : 1, restartInterval: restart ? 4 : 0 };
      const payloads = jpegPayloads(frame, max);
      for (const p of payloads) assert.ok(p.bytes <= max);
      assert.deepEqual(payloads.map((p) => p.marker), payloads.map((_, i) => i === payloads.length - 1));
      const back = depacketizeJpeg(payloads.map(joined));
      assert.deepEqual(back.scan, frame.scan);
      assert.deepEqual(back.qtables, frame.qtables);
      assert.equal(back.type, frame.type);
      assert.equal(back.q, 255);
      assert.equal(back.restartInterval, restart ? 4 : undefined);
    }),
  );
});
