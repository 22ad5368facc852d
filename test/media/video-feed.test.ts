import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { VideoFragment } from '../../src/media/gop-pacer.js';
import { VideoFeed, type VideoViewer } from '../../src/media/video-feed.js';
import type { ViewerStats } from '../../src/media/viewer.js';

class RecordingViewer implements VideoViewer {
  started: { init: Buffer; gop: VideoFragment[] } | undefined;
  offered: VideoFragment[] = [];
  closed = false;
  stats?: () => ViewerStats;
  constructor(readonly id: number) {}
  start(init: Buffer, gop: readonly VideoFragment[]): void {
    this.started = { init, gop: [...gop] };
  }
  offer(fragment: VideoFragment): void {
    this.offered.push(fragment);
  }
  close(): void {
    this.closed = true;
  }
}

const init = Buffer.from('init-a');
const frame = (n: number) => Buffer.alloc(100, n);

test('no stream, no viewers: a viewer can join only once an init segment has come', () => {
  const feed = new VideoFeed<RecordingViewer>(() => 0, 4, 1 << 20);
  assert.equal(feed.ready, false);
  assert.equal(feed.add(new RecordingViewer(1)), false);
  feed.publish(frame(0), true, init);
  assert.equal(feed.ready, true);
  assert.equal(feed.add(new RecordingViewer(2)), true);
});

test('a new viewer starts with the init segment and the group since the newest keyframe', () => {
  const feed = new VideoFeed<RecordingViewer>(() => 0, 4, 1 << 20);
  feed.publish(frame(0), true, init);
  for (let i = 1; i < 35; i++) feed.publish(frame(i), i % 30 === 0);
  const viewer = new RecordingViewer(1);
  feed.add(viewer);
  assert.equal(viewer.started!.init, init);
  assert.deepEqual(viewer.started!.gop.map((f) => f.bytes[0]), [30, 31, 32, 33, 34]);
  assert.equal(feed.keptBytes, 500);
  feed.publish(frame(35), false);
  assert.deepEqual(viewer.offered.map((f) => f.bytes[0]), [35]);
});

test('the kept group is bounded in bytes: past it, new viewers wait for the next keyframe', () => {
  const feed = new VideoFeed<RecordingViewer>(() => 0, 4, 350);
  feed.publish(frame(0), true, init);
  for (let i = 1; i < 5; i++) feed.publish(frame(i), false);
  assert.equal(feed.keptBytes, 0);
  const viewer = new RecordingViewer(1);
  feed.add(viewer);
  assert.deepEqual(viewer.started!.gop, []);
  feed.publish(frame(5), true);
  assert.equal(feed.keptBytes, 100);
});

test('a changed init segment ends every viewer; the same one again does not', () => {
  const feed = new VideoFeed<RecordingViewer>(() => 0, 4, 1 << 20);
  feed.publish(frame(0), true, init);
  const viewer = new RecordingViewer(1);
  feed.add(viewer);
  feed.publish(frame(1), true, Buffer.from('init-a'));
  assert.equal(viewer.closed, false);
  feed.publish(frame(2), true, Buffer.from('init-b'));
  assert.equal(viewer.closed, true);
});

test('the viewer limit holds, and totals keep what departed viewers counted', () => {
  const feed = new VideoFeed<RecordingViewer>(() => 0, 1, 1 << 20);
  feed.publish(frame(0), true, init);
  const a = new RecordingViewer(1);
  assert.equal(feed.add(a), true);
  assert.equal(feed.add(new RecordingViewer(2)), false);
  a.stats = () => ({ id: 1, delivered: 7, skipped: 2, skippedForCap: 0, bytesSent: 700, fps: 0, busy: false, connectedMs: 1 });
  feed.remove(a);
  assert.deepEqual(feed.viewerTotals(), { viewers: 1, delivered: 7, skipped: 2, skippedForCap: 0, bytesSent: 700 });
  assert.equal(feed.add(new RecordingViewer(3)), true);
});
