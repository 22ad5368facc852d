import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boundaryOf, MultipartReader } from '../../../src/web/client/multipart.js';
import { buildPart, BOUNDARY, STREAM_CONTENT_TYPE, STREAM_PREAMBLE } from '../../../src/formats/multipart.js';

test('boundaryOf reads plain and quoted boundaries', () => {
  assert.equal(boundaryOf(STREAM_CONTENT_TYPE), BOUNDARY);
  assert.equal(boundaryOf('multipart/x-mixed-replace; boundary="a b"'), 'a b');
  assert.equal(boundaryOf('multipart/x-mixed-replace;BOUNDARY=xyz;charset=x'), 'xyz');
  assert.equal(boundaryOf('image/jpeg'), undefined);
  assert.equal(boundaryOf(null), undefined);
});

/** Fake JPEGs whose bodies contain the boundary text and CRLFs: Content-Length must win. */
function frames(n: number): Buffer[] {
  return Array.from({ length: n }, (_, i) =>
    Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.from(`frame ${i}\r\n--${BOUNDARY}\r\n\r\n`), Buffer.alloc(i * 37, i), Buffer.from([0xff, 0xd9])]),
  );
}

/** The server's own wire format, so the page reads exactly what picamd sends. */
function wire(jpegs: Buffer[]): Buffer {
  return Buffer.concat([STREAM_PREAMBLE, ...jpegs.map((j, i) => buildPart(j, i, 0, true).wire)]);
}

test('the server stream split at every offset gives back every frame, byte for byte', () => {
  const jpegs = frames(4);
  const bytes = wire(jpegs);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const reader = new MultipartReader(BOUNDARY);
    const out = [...reader.push(bytes.subarray(0, cut)), ...reader.push(bytes.subarray(cut))];
    assert.deepEqual(out.map((f) => Buffer.from(f)), jpegs, `cut at ${cut}`);
  }
});

test('byte by byte, and one big chunk', () => {
  const jpegs = frames(6);
  const bytes = wire(jpegs);
  const reader = new MultipartReader(BOUNDARY);
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i++) out.push(...reader.push(bytes.subarray(i, i + 1)));
  assert.deepEqual(out.map((f) => Buffer.from(f)), jpegs);
  assert.deepEqual(new MultipartReader(BOUNDARY).push(bytes).map((f) => Buffer.from(f)), jpegs);
});

test('parts without Content-Length end at the next delimiter', () => {
  const body = Buffer.from(`--b\r\nContent-Type: image/jpeg\r\n\r\nAAA\r\n--b\r\nContent-Type: image/jpeg\r\n\r\nBBBB\r\n--b\r\n`);
  const out = new MultipartReader('b').push(body);
  assert.deepEqual(out.map((f) => Buffer.from(f).toString()), ['AAA', 'BBBB']);
});

test('a part over the limit is skipped and the stream goes on', () => {
  const big = Buffer.alloc(5_000, 1);
  const small = Buffer.from([0xff, 0xd8, 1, 2, 0xff, 0xd9]);
  const reader = new MultipartReader(BOUNDARY, 1_000);
  const out = reader.push(wire([small, big, small]));
  assert.deepEqual(out.map((f) => Buffer.from(f)), [small, small]);
  assert.equal(reader.skipped, 1);
});

test('memory stays bounded over many frames', () => {
  const jpegs = frames(3);
  const reader = new MultipartReader(BOUNDARY);
  reader.push(STREAM_PREAMBLE);
  let count = 0;
  for (let i = 0; i < 3_000; i++) count += reader.push(buildPart(jpegs[i % 3]!, i, 0, true).wire).length;
  assert.equal(count, 3_000);
  assert.ok((reader as unknown as { buf: Uint8Array }).buf.length <= 64 * 1024, 'the buffer never grew past its first size');
});
