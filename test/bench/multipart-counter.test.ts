import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { simStampSegment } from '../../src/sim/stamp.js';
import { buildPart, STREAM_CONTENT_TYPE, STREAM_PREAMBLE } from '../../src/formats/multipart.js';
import { MultipartCounter } from './multipart-counter.js';

const fixture = readFileSync(new URL('../fixtures/jpeg/restart.jpg', import.meta.url));

/** A JPEG as the simulated camera writes it: SOI, the COM stamp, then the rest of a real JPEG. */
function stamped(seq: number, tUs: number): Buffer {
  return Buffer.concat([fixture.subarray(0, 2), simStampSegment(seq, tUs), fixture.subarray(2)]);
}

const head = Buffer.from(
  `HTTP/1.1 200 OK\r\nContent-Type: ${STREAM_CONTENT_TYPE}\r\nContent-Length: 9007199254740991\r\n\r\n`,
);

function stream(): { bytes: Buffer; jpegs: Buffer[] } {
  const jpegs = [stamped(7, 1_700_000_000_000_001), Buffer.from(fixture), stamped(9, 1_700_000_000_066_667)];
  const parts = jpegs.map((jpeg, i) => buildPart(jpeg, i + 1, 0, true).wire);
  return { bytes: Buffer.concat([head, STREAM_PREAMBLE, ...parts]), jpegs };
}

function count(chunks: Buffer[]) {
  const frames: Array<[number, number, number]> = [];
  const counter = new MultipartCounter((seq, tUs, size) => frames.push([seq, tUs, size]));
  for (const chunk of chunks) counter.push(chunk, 0, chunk.length);
  return { counter, frames };
}

test('counts whole frames and reads their stamps, however the bytes are split', () => {
  const { bytes, jpegs } = stream();
  const expected: Array<[number, number, number]> = [
    [7, 1_700_000_000_000_001, jpegs[0]!.length],
    [-1, -1, jpegs[1]!.length],
    [9, 1_700_000_000_066_667, jpegs[2]!.length],
  ];
  for (let cut = 0; cut <= bytes.length; cut++) {
    const { counter, frames } = count([bytes.subarray(0, cut), bytes.subarray(cut)]);
    assert.equal(counter.error, undefined, `cut at ${cut}`);
    assert.deepEqual(frames, expected, `cut at ${cut}`);
    assert.equal(counter.bytes, bytes.length);
    assert.equal(counter.status, 200);
  }
  const byteByByte = count([...bytes].map((b) => Buffer.from([b])));
  assert.deepEqual(byteByByte.frames, expected);
});

test('reads a window of a reused buffer', () => {
  const { bytes } = stream();
  const frames: number[] = [];
  const counter = new MultipartCounter((seq) => frames.push(seq));
  const shared = Buffer.alloc(1000);
  for (let o = 0; o < bytes.length; o += 700) {
    const n = bytes.copy(shared, 100, o, Math.min(o + 700, bytes.length));
    counter.push(shared, 100, 100 + n);
    shared.fill(0xaa);
  }
  assert.deepEqual(frames, [7, -1, 9]);
});

test('a frame is counted once its last byte has arrived', () => {
  const { bytes, jpegs } = stream();
  const firstPart = buildPart(jpegs[0]!, 1, 0, true).wire;
  // The part ends with the JPEG, then the delimiter that closes it: CRLF and the preamble again.
  const jpegEnd = head.length + STREAM_PREAMBLE.length + firstPart.length - (2 + STREAM_PREAMBLE.length);
  assert.equal(count([bytes.subarray(0, jpegEnd - 1)]).frames.length, 0);
  assert.equal(count([bytes.subarray(0, jpegEnd)]).frames.length, 1);
});

test('refuses what is not a raw multipart stream of JPEGs', () => {
  const { bytes } = stream();
  const body = bytes.subarray(head.length);
  const cases: Array<[string, Buffer, RegExp]> = [
    ['not found', Buffer.from('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n'), /status 503/],
    [
      'chunked',
      Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: ${STREAM_CONTENT_TYPE}\r\nTransfer-Encoding: chunked\r\n\r\n`), body]),
      /chunked/,
    ],
    ['wrong type', Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\n\r\n'), body]), /multipart/],
    ['other boundary', Buffer.concat([head, Buffer.from(body.toString('latin1').replaceAll('picamd-frame-boundary', 'other'), 'latin1')]), /boundary/],
    ['no length', Buffer.concat([head, Buffer.from(body.toString('latin1').replace('Content-Length', 'X-Length'), 'latin1')]), /Content-Length/],
    ['not a JPEG', Buffer.concat([head, STREAM_PREAMBLE, buildPart(Buffer.from('hello world'), 1, 0, true).wire]), /SOI/],
  ];
  for (const [name, input, error] of cases) {
    const { counter, frames } = count([input]);
    assert.match(counter.error ?? '', error, name);
    assert.ok(counter.failed, name);
    assert.equal(frames.length, 0, name);
  }
});
