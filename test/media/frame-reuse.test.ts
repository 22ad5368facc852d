import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Broadcaster, type Viewer } from '../../src/media/broadcaster.js';
import { FramePool } from '../../src/formats/frame-pool.js';
import { PART_HEADROOM, PART_TAILROOM, type Part } from '../../src/formats/multipart.js';
import { ViewerPacer, type FrameSink } from '../../src/media/viewer.js';

/** A socket that takes a frame whole while `open`, else keeps it until drained. */
class Socket implements FrameSink {
  open = true;
  send(): boolean {
    return this.open;
  }
}

function viewer(id: number, socket: Socket): Viewer & { pacer: ViewerPacer } {
  const pacer = new ViewerPacer(id, socket, () => 0);
  return { id, pacer, offer: (p: Part) => pacer.offer(p), holds: (b) => pacer.holds(b) };
}

/** One camera frame of `n` through the pool, as the parser would hand it on, then published. */
function frameOf(pool: FramePool, n: number): Buffer {
  const jpeg = Buffer.from([0xff, 0xd8, n, n, 0xff, 0xd9]);
  pool.nextPush();
  return pool.finish(jpeg, jpeg.length);
}

test('the MJPEG output reuses a frame buffer only once no viewer sends it, and each part is laid out in place', () => {
  const pool = new FramePool({ headroom: PART_HEADROOM, tailroom: PART_TAILROOM, maxFrameBytes: 1 << 16, slots: 4 });
  const out = new Broadcaster(() => 0, 10, pool);
  pool.holdersFrom((b) => out.holds(b));
  const fast = new Socket();
  const slow = new Socket();
  const slowViewer = viewer(2, slow);
  assert.ok(out.add(viewer(1, fast), 0));
  assert.ok(out.add(slowViewer, 0));

  slow.open = false;
  const first = out.publish(frameOf(pool, 1), true)!; // the slow viewer keeps it in flight
  assert.equal(first.wire.buffer, first.jpeg.buffer, 'one buffer for the part and its JPEG');
  const seen = new Set<ArrayBufferLike>([first.wire.buffer]);
  for (let n = 2; n <= 12; n++) {
    const part = out.publish(frameOf(pool, n), true)!;
    assert.notEqual(part.wire.buffer, first.wire.buffer, `frame ${n} must not overwrite the frame still in flight`);
    assert.equal(part.jpeg[2], n);
    seen.add(part.wire.buffer);
  }
  assert.equal(first.jpeg[2], 1, 'the frame in flight is intact');
  assert.ok(seen.size <= 4, 'the other frames share the pool');
  assert.equal(pool.overflows, 0);

  // The slow viewer's socket drains: it takes the newest waiting frame, and the first is free again.
  slow.open = true;
  slowViewer.pacer.drained();
  assert.equal(out.holds(first.wire.buffer), false);
  const reused = [13, 14, 15, 16].map((n) => out.publish(frameOf(pool, n), true)!);
  assert.ok(reused.some((p) => p.wire.buffer === first.wire.buffer));
});

test('a placeholder (not the pool\'s) is copied into a part of its own', () => {
  const pool = new FramePool({ headroom: PART_HEADROOM, tailroom: PART_TAILROOM, maxFrameBytes: 1 << 16 });
  const out = new Broadcaster(() => 0, 10, pool);
  // Larger than Node's shared pool slices, so each buffer has an ArrayBuffer of its own.
  const placeholder = Buffer.alloc(8192, 9);
  const part = out.publish(placeholder, false)!;
  assert.notEqual(part.wire.buffer, placeholder.buffer);
  assert.ok(part.jpeg.equals(placeholder));
});

test('while nobody watches, a camera frame is laid out only when asked for, with the time and number it came with', () => {
  let now = 100;
  const pool = new FramePool({ headroom: PART_HEADROOM, tailroom: PART_TAILROOM, maxFrameBytes: 1 << 16, slots: 2 });
  const out = new Broadcaster(() => now, 10, pool);
  pool.holdersFrom((b) => out.holds(b));
  const frame = frameOf(pool, 7);
  const before = Buffer.from(frame.buffer, frame.byteOffset - PART_HEADROOM, PART_HEADROOM);
  const untouched = Buffer.from(before);
  assert.equal(out.publish(frame, true), undefined, 'no part while nobody watches');
  assert.ok(before.equals(untouched), 'no part headers written');
  assert.equal(out.holds(frame.buffer), true, 'the pool keeps its buffer for a later viewer or snapshot');
  assert.equal(out.framesPublished, 1);

  // A placeholder after it does not make it any less the newest live frame.
  out.publish(Buffer.alloc(8192, 9), false);
  now = 150;
  const part = out.latestLive(1_000)!;
  assert.ok(part, 'the snapshot gets it');
  assert.equal(part.jpeg, frame);
  assert.equal(part.wire.buffer, frame.buffer, 'laid out in place');
  assert.deepEqual([part.seq, part.at, part.live], [1, 100, true]);
  assert.match(part.wire.toString('latin1', 0, 60), /Content-Length: 6/);
  assert.equal(out.latestLive(1_000), part, 'laid out once');
  assert.equal(out.latestLive(40), undefined, 'its age counts from when it came');
});

test('a viewer who joins gets the frame nobody watched, laid out; frames after it are laid out at once', () => {
  const pool = new FramePool({ headroom: PART_HEADROOM, tailroom: PART_TAILROOM, maxFrameBytes: 1 << 16, slots: 2 });
  const out = new Broadcaster(() => 0, 10, pool);
  pool.holdersFrom((b) => out.holds(b));
  out.publish(frameOf(pool, 1), true);
  out.publish(frameOf(pool, 2), true);
  const offered: Part[] = [];
  assert.ok(out.add({ id: 1, offer: (p) => offered.push(p), holds: () => false }, 1_000));
  assert.deepEqual(offered.map((p) => [p.seq, p.jpeg[2]]), [[2, 2]]);
  const next = out.publish(frameOf(pool, 3), true);
  assert.ok(next);
  assert.deepEqual(offered.map((p) => p.seq), [2, 3]);
});

test('privacy forgets a frame nobody watched: never served, its buffer free again', () => {
  const pool = new FramePool({ headroom: PART_HEADROOM, tailroom: PART_TAILROOM, maxFrameBytes: 1 << 16 });
  const out = new Broadcaster(() => 0, 10, pool);
  pool.holdersFrom((b) => out.holds(b));
  const frame = frameOf(pool, 5);
  out.publish(frame, true);
  out.forgetLive();
  assert.equal(out.holds(frame.buffer), false);
  assert.equal(out.latestLive(1_000), undefined);
  const offered: Part[] = [];
  out.add({ id: 1, offer: (p) => offered.push(p) }, 1_000);
  assert.deepEqual(offered, []);
});
