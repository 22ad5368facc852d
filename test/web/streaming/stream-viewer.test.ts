// A stream viewer's chunked path (here an MJPEG viewer's) against a response that behaves as uWebSockets' does (HttpResponse.h,
// AsyncSocket.h): write() takes every byte, sending what the socket takes and copying the rest into
// its own buffer, and answers false when it had to buffer; a writable event reaches only the
// onWritable handler, never drains that buffer by itself; an empty cork flushes it. The socket here
// takes a set number of bytes, then nothing until the test lets more through.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HttpResponse } from 'uWebSockets.js';
import { CHUNK_PIECE } from '../../../src/web/streaming/response-sink.js';
import { StreamViewer } from '../../../src/web/streaming/stream-viewer.js';
import { ViewerPacer } from '../../../src/media/viewer.js';
import { buildPart } from '../../../src/formats/multipart.js';

class ScriptedResponse {
  /** Bytes the socket took, in order. */
  readonly sent: Buffer[] = [];
  /** uWebSockets' own buffer for this socket (copies). */
  buffered = Buffer.alloc(0);
  /** How many more bytes the socket takes. */
  room = Number.POSITIVE_INFINITY;
  corked = false;
  writes: { bytes: number; corked: boolean }[] = [];
  writable: ((offset: number) => boolean) | undefined;

  private push(data: Buffer): boolean {
    if (this.buffered.length) {
      const n = Math.min(this.room, this.buffered.length);
      this.take(this.buffered.subarray(0, n));
      this.buffered = this.buffered.subarray(n);
      if (this.buffered.length) {
        this.buffered = Buffer.concat([this.buffered, data]);
        return false;
      }
    }
    const n = Math.min(this.room, data.length);
    this.take(data.subarray(0, n));
    if (n < data.length) this.buffered = Buffer.concat([this.buffered, data.subarray(n)]);
    return n === data.length;
  }

  private take(data: Buffer): void {
    if (data.length === 0) return;
    this.sent.push(Buffer.from(data));
    this.room -= data.length;
  }

  write(data: Buffer): boolean {
    this.writes.push({ bytes: data.length, corked: this.corked });
    // While corked, uWebSockets collects up to 16 KiB and sends it when the cork ends.
    if (this.corked) {
      this.pendingCork = Buffer.concat([this.pendingCork, data]);
      assert.ok(this.pendingCork.length <= 16 * 1024, `a corked write of ${this.pendingCork.length} bytes overflows the cork buffer`);
      return this.buffered.length === 0 || this.push(Buffer.alloc(0));
    }
    return this.push(data);
  }

  private pendingCork = Buffer.alloc(0);

  cork(fn: () => void): this {
    this.corked = true;
    fn();
    this.corked = false;
    const data = this.pendingCork;
    this.pendingCork = Buffer.alloc(0);
    this.push(data);
    return this;
  }

  onWritable(handler: (offset: number) => boolean): this {
    this.writable = handler;
    return this;
  }

  /** The socket takes `bytes` more, and says it is writable. */
  drain(bytes: number): void {
    this.room = bytes;
    this.writable?.(0);
  }

  received(): Buffer {
    return Buffer.concat(this.sent);
  }
}

function viewerOn(res: ScriptedResponse) {
  const now = () => performance.now();
  return new StreamViewer(1, res as unknown as HttpResponse, now, (sink) => new ViewerPacer(1, sink, now, 0), '192.0.2.1', 'chunked');
}

const jpeg = (size: number, fill: number) => Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(size - 4, fill), Buffer.from([0xff, 0xd9])]);

test('a frame goes out in corked pieces that fit the cork buffer, whole and in order', () => {
  const res = new ScriptedResponse();
  const viewer = viewerOn(res);
  const part = buildPart(jpeg(100_000, 1), 1, 0, true);
  viewer.offer(part);
  assert.ok(res.received().equals(part.wire));
  assert.ok(res.writes.every((w) => w.corked && w.bytes <= CHUNK_PIECE));
  assert.equal(viewer.stats().delivered, 1);
  assert.equal(viewer.stalledMs(performance.now()), 0);
});

test('blocked: the rest waits by reference, the writable handler sends it, then the newest frame', () => {
  const res = new ScriptedResponse();
  const viewer = viewerOn(res);
  const first = buildPart(jpeg(200_000, 1), 1, 0, true);
  const skipped = buildPart(jpeg(50_000, 2), 2, 0, true);
  const newest = buildPart(jpeg(60_000, 3), 3, 0, true);
  res.room = 40_000;
  viewer.offer(first);
  assert.equal(viewer.stats().busy, true);
  // uWebSockets holds at most the piece that did not fit (and the one before, sent at the cork's end).
  assert.ok(res.buffered.length <= 2 * CHUNK_PIECE, `${res.buffered.length} bytes copied`);
  viewer.offer(skipped);
  viewer.offer(newest);
  assert.ok(viewer.stalledMs(performance.now() + 5_000) >= 5_000, 'the sweep sees the stall');
  // A little room at a time: every writable event moves the frame on, never copying much.
  for (let i = 0; i < 200 && viewer.stats().busy; i++) {
    res.drain(20_000);
    assert.ok(res.buffered.length <= 2 * CHUNK_PIECE + 20_000, `${res.buffered.length} bytes copied`);
  }
  res.drain(Number.POSITIVE_INFINITY);
  assert.ok(res.received().equals(Buffer.concat([first.wire, newest.wire])), 'first whole, the skipped one never, the newest whole');
  const stats = viewer.stats();
  assert.deepEqual([stats.delivered, stats.skipped, stats.busy], [2, 1, false]);
  assert.equal(res.buffered.length, 0);
});

test('a tail left in uWebSockets’ buffer is flushed on the next writable event, with no frame to follow', () => {
  const res = new ScriptedResponse();
  const viewer = viewerOn(res);
  const part = buildPart(jpeg(10_000, 4), 1, 0, true);
  // The socket takes part of the only piece at the cork's end; the rest sits in uWebSockets' buffer.
  res.room = 3_000;
  viewer.offer(part);
  assert.ok(res.buffered.length > 0);
  // Nothing else is offered (a 1 fps viewer, a privacy placeholder): the writable event must flush it.
  res.drain(Number.POSITIVE_INFINITY);
  assert.equal(res.buffered.length, 0);
  assert.ok(res.received().equals(part.wire));
});

test('the last piece buffered: the frame counts as sent once the writable event flushes it', () => {
  const res = new ScriptedResponse();
  const viewer = viewerOn(res);
  const part = buildPart(jpeg(3 * CHUNK_PIECE - 500, 5), 1, 0, true);
  const next = buildPart(jpeg(1_000, 6), 2, 0, true);
  res.room = part.wire.length - 100; // every piece but the end of the last one
  viewer.offer(part);
  viewer.offer(next);
  res.drain(50);
  res.drain(Number.POSITIVE_INFINITY);
  assert.ok(res.received().equals(Buffer.concat([part.wire, next.wire])));
  assert.equal(viewer.stats().delivered, 2);
});
