import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { GopPacer, type VideoFragment } from '../../src/media/gop-pacer.js';
import type { FrameSink } from '../../src/media/viewer.js';

// A fragment's first byte is its picture number and the second its keyframe's number, so what a
// viewer received can be checked for a broken reference chain.
function gop(count: number, perGop: number, size = 100): VideoFragment[] {
  const out: VideoFragment[] = [];
  let key = 0;
  for (let i = 0; i < count; i++) {
    if (i % perGop === 0) key = i;
    const bytes = Buffer.alloc(size);
    bytes.writeUInt16BE(i, 0);
    bytes.writeUInt16BE(key, 2);
    out.push({ bytes, keyframe: i % perGop === 0, at: i * 33 });
  }
  return out;
}
const pictureOf = (b: Buffer) => b.readUInt16BE(0);
const keyOf = (b: Buffer) => b.readUInt16BE(2);

/** A socket whose writes complete when accept() says so; blocked ones finish on drain(). */
class FakeSink implements FrameSink {
  sent: Buffer[] = [];
  constructor(public accept: () => boolean) {}
  send(wire: Buffer): boolean {
    this.sent.push(wire);
    return this.accept();
  }
}

const init = Buffer.from('init');

/**
 * The pictures a viewer got are decodable: each is a keyframe, or the next picture after the one
 * before it within the same group.
 */
function assertDecodable(sent: Buffer[]): void {
  let previous: number | undefined;
  for (const bytes of sent) {
    const picture = pictureOf(bytes);
    if (picture === keyOf(bytes)) {
      previous = picture;
      continue;
    }
    assert.equal(previous, picture - 1, `picture ${picture} came after ${previous}: its reference chain is broken`);
    previous = picture;
  }
}

test('a fast viewer gets the init segment, then every picture in order', () => {
  const sink = new FakeSink(() => true);
  const pacer = new GopPacer(1, sink, () => 0, 1 << 20);
  pacer.start(init, []);
  for (const f of gop(90, 30)) pacer.offer(f);
  assert.equal(sink.sent[0], init);
  assert.deepEqual(sink.sent.slice(1).map(pictureOf), [...Array(90).keys()]);
  assert.equal(pacer.stats().delivered, 90);
  assert.equal(pacer.stats().skipped, 0);
});

test('a viewer joining mid-group starts from the kept group, and shares its buffers', () => {
  const frames = gop(45, 30);
  const sink = new FakeSink(() => true);
  const pacer = new GopPacer(1, sink, () => 0, 1 << 20);
  pacer.start(init, frames.slice(30, 40));
  for (const f of frames.slice(40)) pacer.offer(f);
  assert.deepEqual(sink.sent.slice(1).map(pictureOf), [...Array(15).keys()].map((i) => 30 + i));
  assert.equal(sink.sent[1], frames[30]!.bytes, 'the very buffer, not a copy');
});

test('a viewer joining without a kept group waits for the next keyframe', () => {
  const sink = new FakeSink(() => true);
  const pacer = new GopPacer(1, sink, () => 0, 1 << 20);
  pacer.start(init, []);
  for (const f of gop(60, 30).slice(5)) pacer.offer(f);
  assert.equal(pictureOf(sink.sent[1]!), 30);
  assert.equal(pacer.stats().skipped, 25);
});

test('a stalled viewer holds at most one group, then skips to the next keyframe', () => {
  const sink = new FakeSink(() => false);
  const pacer = new GopPacer(1, sink, () => 0, 1 << 20);
  pacer.start(init, []);
  const frames = gop(100, 30);
  for (const f of frames.slice(0, 70)) pacer.offer(f);
  // Stuck on the init segment: waiting are pictures 60..69 only (the group of keyframe 60).
  assert.equal(sink.sent.length, 1);
  assert.equal(pacer.stats().busy, true);
  assert.equal(pacer.stats().skipped, 60);
  sink.accept = () => true;
  pacer.drained();
  assert.deepEqual(sink.sent.slice(1).map(pictureOf), [...Array(10).keys()].map((i) => 60 + i));
  for (const f of frames.slice(70)) pacer.offer(f);
  assertDecodable(sink.sent.slice(1));
  assert.equal(pacer.stats().delivered, 40);
  assert.equal(pacer.stats().resyncs, 2);
});

test('a viewer over its byte bound drops the group and waits for a keyframe', () => {
  const sink = new FakeSink(() => false);
  const pacer = new GopPacer(1, sink, () => 0, 1_000);
  pacer.start(init, []);
  for (const f of gop(25, 30)) pacer.offer(f);
  sink.accept = () => true;
  pacer.drained();
  assert.equal(sink.sent.length, 1, 'nothing was left to send: the group outgrew 1000 bytes');
  for (const f of gop(40, 30).slice(25)) pacer.offer(f);
  assert.deepEqual(sink.sent.slice(1).map(pictureOf), [...Array(10).keys()].map((i) => 30 + i));
});

test('whatever the socket does, a viewer never gets a picture without its references', () => {
  fc.assert(
    fc.property(fc.array(fc.boolean(), { minLength: 50, maxLength: 400 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 300, max: 5_000 }), (writes, perGop, bound) => {
      let i = 0;
      const sink = new FakeSink(() => writes[i++ % writes.length]!);
      const pacer = new GopPacer(1, sink, () => 0, bound);
      pacer.start(init, []);
      const frames = gop(writes.length, perGop);
      frames.forEach((f, n) => {
        pacer.offer(f);
        if (writes[(n * 7) % writes.length]) pacer.drained();
      });
      const pictures = sink.sent.filter((b) => b !== init);
      assertDecodable(pictures);
      const s = pacer.stats();
      // Every picture is sent, in flight, waiting (at most one group), or skipped.
      assert.ok(s.delivered + s.skipped <= frames.length);
      assert.ok(frames.length - s.delivered - s.skipped <= perGop + 1);
    }),
  );
});

test('a keyframe of another init segment goes out after that init; a slow viewer that skipped it still gets it before its next keyframe', () => {
  const camera = Buffer.from('camera init');
  const placeholder = Buffer.from('placeholder init');
  const frames = gop(12, 4).map((f, i) => ({ ...f, init: i < 4 || i >= 8 ? camera : placeholder }));
  const sink = new FakeSink(() => true);
  const pacer = new GopPacer(1, sink, () => 0, 1 << 20);
  pacer.start(camera, []);
  for (const f of frames) pacer.offer(f);
  assert.deepEqual(
    sink.sent.map((b) => (b === camera ? 'camera' : b === placeholder ? 'placeholder' : pictureOf(b))),
    ['camera', 0, 1, 2, 3, 'placeholder', 4, 5, 6, 7, 'camera', 8, 9, 10, 11],
  );
  assert.equal(pacer.stats().delivered, 12, 'init segments are not pictures');

  // Busy through the whole placeholder group: it is skipped, and the camera's init is not resent
  // (the viewer never left it); a viewer that did get the placeholder's init gets the camera's again.
  let open = true;
  const slow = new FakeSink(() => open);
  const late = new GopPacer(2, slow, () => 0, 1 << 20);
  late.start(camera, []);
  late.offer(frames[0]!);
  open = false;
  late.offer(frames[1]!); // blocks
  for (const f of frames.slice(2, 9)) late.offer(f);
  open = true;
  late.drained();
  for (const f of frames.slice(9)) late.offer(f);
  assert.deepEqual(
    slow.sent.map((b) => (b === camera ? 'camera' : b === placeholder ? 'placeholder' : pictureOf(b))),
    ['camera', 0, 1, 8, 9, 10, 11],
  );
  assertDecodable(slow.sent.slice(1));
});
