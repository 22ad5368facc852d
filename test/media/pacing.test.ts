import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Broadcaster, type Viewer } from '../../src/media/broadcaster.js';
import { BOUNDARY, buildPart, STREAM_PREAMBLE, type Part } from '../../src/formats/multipart.js';
import { ViewerPacer, type FrameSink } from '../../src/media/viewer.js';

const jpeg = (n: number) => Buffer.from([0xff, 0xd8, n, 0xff, 0xd9]);

test('a part is headers, the JPEG, and the delimiter that closes it', () => {
  const part = buildPart(jpeg(7), 1, 0, true);
  assert.equal(STREAM_PREAMBLE.toString(), `--${BOUNDARY}\r\n`);
  assert.equal(
    part.wire.toString('latin1'),
    `Content-Type: image/jpeg\r\nContent-Length: 5\r\n\r\n${jpeg(7).toString('latin1')}\r\n--${BOUNDARY}\r\n`,
  );
  assert.deepEqual(part.jpeg, jpeg(7));
  assert.equal(part.jpeg.buffer, part.wire.buffer, 'the JPEG is a view into the wire buffer');
});

/** A socket that takes `capacity` frames, then blocks until drain() is called. */
class FakeSink implements FrameSink {
  sent: Buffer[] = [];
  blocked = false;
  constructor(public acceptsWhole: () => boolean) {}
  send(wire: Buffer): boolean {
    this.sent.push(wire);
    this.blocked = !this.acceptsWhole();
    return !this.blocked;
  }
}

test('a fast viewer gets every frame', () => {
  const sink = new FakeSink(() => true);
  const pacer = new ViewerPacer(1, sink, () => 0);
  for (let i = 0; i < 100; i++) pacer.offer(buildPart(jpeg(i), i, i * 33, true));
  assert.equal(sink.sent.length, 100);
  assert.deepEqual(pacer.stats().delivered, 100);
  assert.equal(pacer.stats().skipped, 0);
});

test('a busy viewer holds one frame in flight and only the newest waiting', () => {
  const sink = new FakeSink(() => false);
  const pacer = new ViewerPacer(1, sink, () => 0);
  const parts: Part[] = [];
  for (let i = 0; i < 50; i++) {
    parts.push(buildPart(jpeg(i), i, 0, true));
    pacer.offer(parts[i]!);
  }
  assert.equal(sink.sent.length, 1, 'nothing more is written while the first frame is in flight');
  assert.equal(pacer.stats().busy, true);
  assert.equal(pacer.stats().skipped, 48, 'every frame between the first and the newest was skipped');
  sink.acceptsWhole = () => true;
  pacer.drained();
  assert.equal(sink.sent.length, 2);
  assert.equal(sink.sent[1], parts[49]!.wire, 'after draining it gets the newest frame, the same buffer');
  assert.deepEqual(pacer.stats(), { ...pacer.stats(), delivered: 2, skipped: 48, busy: false });
});

test('a slow viewer does not slow a fast one, and frames are shared, not copied', () => {
  const broadcaster = new Broadcaster<Viewer & { pacer: ViewerPacer; sink: FakeSink }>(() => 0, 10);
  const make = (id: number, sink: FakeSink) => {
    const pacer = new ViewerPacer(id, sink, () => 0);
    return { id, pacer, sink, offer: (p: Part) => pacer.offer(p) };
  };
  const fast = make(1, new FakeSink(() => true));
  const slow = make(2, new FakeSink(() => false));
  broadcaster.add(fast, 0);
  broadcaster.add(slow, 0);
  for (let i = 0; i < 1_000; i++) {
    broadcaster.publish(jpeg(i % 256), true);
    if (i % 100 === 99) slow.pacer.drained(); // the slow socket drains now and then
  }
  assert.equal(fast.sink.sent.length, 1_000);
  assert.ok(slow.sink.sent.length <= 11, `slow viewer got ${slow.sink.sent.length}`);
  assert.equal(slow.pacer.stats().skipped + slow.pacer.stats().delivered + (slow.pacer.stats().busy ? 1 : 0), 1_000);
  for (const wire of slow.sink.sent) assert.ok(fast.sink.sent.includes(wire), 'same buffer instance as the fast viewer got');
});

test('an fps cap skips frames to hold the rate, with room for jitter', () => {
  const sink = new FakeSink(() => true);
  let now = 0;
  const pacer = new ViewerPacer(1, sink, () => now, 1000 / 15);
  for (let i = 0; i < 300; i++) {
    now = i * (1000 / 30) + (i % 2 ? 1.5 : -1.5); // 30 fps with jitter
    pacer.offer(buildPart(jpeg(1), i, now, true));
  }
  assert.equal(sink.sent.length, 150, 'half of a 30 fps stream at ?fps=15');
});

test('viewer limit, and a new viewer gets the newest frame only while it is fresh', () => {
  let now = 0;
  const broadcaster = new Broadcaster<Viewer & { got: Part[] }>(() => now, 2);
  const viewer = () => {
    const got: Part[] = [];
    return { id: broadcaster.allocateId(), got, offer: (p: Part) => got.push(p) };
  };
  broadcaster.publish(jpeg(1), true);
  const a = viewer();
  assert.equal(broadcaster.add(a, 2_000), true);
  assert.equal(a.got.length, 1);
  now = 5_000;
  const b = viewer();
  assert.equal(broadcaster.add(b, 2_000), true);
  assert.equal(b.got.length, 0, 'a stale frame is not sent');
  assert.equal(broadcaster.full, true);
  assert.equal(broadcaster.add(viewer(), 2_000), false);
  broadcaster.remove(a);
  assert.equal(broadcaster.full, false);
});

test('latest live frame: placeholders never count, and privacy forgets it', () => {
  let now = 0;
  const broadcaster = new Broadcaster(() => now, 2);
  const live = broadcaster.publish(jpeg(1), true);
  broadcaster.publish(jpeg(2), false);
  assert.equal(broadcaster.latestLive(1_000), live);
  now = 2_000;
  assert.equal(broadcaster.latestLive(1_000), undefined, 'too old');
  assert.ok(broadcaster.latestLive(3_000));
  broadcaster.forgetLive();
  assert.equal(broadcaster.latestLive(3_000), undefined);
});

test('viewers count bytes sent and cap skips; the broadcaster keeps totals across viewers that leave', () => {
  let now = 0;
  const broadcaster = new Broadcaster<Viewer & { pacer: ViewerPacer }>(() => now, 10);
  const make = (id: number, sink: FakeSink, minIntervalMs: number) => {
    const pacer = new ViewerPacer(id, sink, () => now, minIntervalMs);
    return { id, pacer, offer: (p: Part) => pacer.offer(p), stats: () => pacer.stats() };
  };
  const fast = make(1, new FakeSink(() => true), 0);
  const capped = make(2, new FakeSink(() => true), 100); // ?fps=10 of a 30 fps camera
  const busySink = new FakeSink(() => false);
  const busy = make(3, busySink, 0);
  for (const v of [fast, capped, busy]) broadcaster.add(v, 0);
  let wireBytes = 0;
  for (let i = 0; i < 30; i++) {
    now = i * 33;
    wireBytes += broadcaster.publish(jpeg(i), true)!.wire.length;
  }
  assert.equal(fast.stats().bytesSent, wireBytes);
  assert.equal(fast.stats().skippedForCap, 0);
  assert.equal(capped.stats().delivered + capped.stats().skippedForCap, 30);
  assert.equal(capped.stats().skipped, capped.stats().skippedForCap);
  assert.equal(busy.stats().bytesSent, 0, 'a frame still in flight is not counted yet');
  assert.equal(busy.stats().skippedForCap, 0);
  busySink.acceptsWhole = () => true;
  busy.pacer.drained();
  const inFlight = busySink.sent[0]!.length;
  assert.equal(busy.stats().bytesSent, inFlight + busySink.sent[1]!.length);

  const before = broadcaster.viewerTotals();
  assert.equal(before.viewers, 3);
  assert.equal(before.bytesSent, fast.stats().bytesSent + capped.stats().bytesSent + busy.stats().bytesSent);
  broadcaster.remove(fast);
  broadcaster.remove(fast); // twice: counted once
  assert.deepEqual(broadcaster.viewerTotals(), before, 'a viewer leaving does not lower any total');
  broadcaster.publish(jpeg(99), true);
  const after = broadcaster.viewerTotals();
  assert.ok(after.bytesSent > before.bytesSent);
  assert.equal(after.viewers, 3);
});
