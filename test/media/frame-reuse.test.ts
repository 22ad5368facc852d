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
  const first = out.publish(frameOf(pool, 1), true); // the slow viewer keeps it in flight
  assert.equal(first.wire.buffer, first.jpeg.buffer, 'one buffer for the part and its JPEG');
  const seen = new Set<ArrayBufferLike>([first.wire.buffer]);
  for (let n = 2; n <= 12; n++) {
    const part = out.publish(frameOf(pool, n), true);
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
  const reused = [13, 14, 15, 16].map((n) => out.publish(frameOf(pool, n), true));
  assert.ok(reused.some((p) => p.wire.buffer === first.wire.buffer));
});

test('a placeholder (not the pool\'s) is copied into a part of its own', () => {
  const pool = new FramePool({ headroom: PART_HEADROOM, tailroom: PART_TAILROOM, maxFrameBytes: 1 << 16 });
  const out = new Broadcaster(() => 0, 10, pool);
  // Larger than Node's shared pool slices, so each buffer has an ArrayBuffer of its own.
  const placeholder = Buffer.alloc(8192, 9);
  const part = out.publish(placeholder, false);
  assert.notEqual(part.wire.buffer, placeholder.buffer);
  assert.ok(part.jpeg.equals(placeholder));
});
