import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { AccessUnit } from '../../src/formats/h264/access-unit.js';
import { AnnexBParser } from '../../src/formats/h264/annexb.js';
import type { VideoFragment } from '../../src/media/gop-pacer.js';
import { VideoFeed, type VideoViewer } from '../../src/media/video-feed.js';
import { VideoPath } from '../../src/media/video-path.js';
import { fixturePath } from '../fixtures/h264/index.js';

/** x264, 320x240, a keyframe every 15 pictures, 60 pictures. */
const stream = readFileSync(fixturePath('high-g15.h264'));

function units(bytes: Buffer): AccessUnit[] {
  const parser = new AnnexBParser({ maxAccessUnitBytes: 1 << 20 });
  return [...parser.push(bytes), ...parser.flush()];
}

class Recorder implements VideoViewer {
  readonly id = 1;
  got: VideoFragment[] = [];
  start(_init: Buffer, gop: readonly VideoFragment[]): void {
    this.got.push(...gop);
  }
  offer(fragment: VideoFragment): void {
    this.got.push(fragment);
  }
  close(): void {}
}

function setup() {
  let t = 0;
  const feed = new VideoFeed<Recorder>(() => t, 4, 1 << 20);
  const path = new VideoPath(feed, () => (t += 33));
  path.cameraStarting('h264', 30);
  path.cameraState('streaming');
  return { feed, path };
}

test('every picture of a clean stream goes to the feed as a fragment', () => {
  const { feed, path } = setup();
  const all = units(stream);
  assert.equal(all.length, 60);
  assert.ok(all.every((u) => !u.afterLoss), 'nothing was lost');
  for (const au of all) path.unit(au);
  assert.equal(feed.framesPublished, 60);
  assert.equal(path.codec, 'avc1.64000d');
  assert.equal(path.skippedAfterLoss, 0);
});

test('after a loss in the camera\'s stream nothing goes out until the next keyframe', () => {
  // A NAL unit with forbidden_zero_bit set between pictures 20 and 21: the parser counts it and marks
  // picture 20, still open when it came (the damaged unit may have been one of its slices): from
  // there on pictures refer to what may be broken.
  const all = units(stream);
  const offsets: number[] = [];
  for (let i = 0; i + 3 < stream.length; i++) if (stream[i] === 0 && stream[i + 1] === 0 && stream[i + 2] === 1) offsets.push(i);
  const parser = new AnnexBParser({ maxAccessUnitBytes: 1 << 20 });
  const clean = units(stream);
  // Find where picture 21 begins: its first NAL unit's bytes, located in the stream.
  const first21 = clean[21]!.nals[0]!;
  const at = stream.indexOf(first21) - 3;
  assert.ok(at > 0 && offsets.includes(at));
  const damaged = Buffer.concat([stream.subarray(0, at), Buffer.from([0, 0, 1, 0x80, 0xaa]), stream.subarray(at)]);
  const got = [...parser.push(damaged), ...parser.flush()];
  assert.equal(got.length, 60, 'no picture is lost by the parser itself');
  assert.equal(parser.drops.garbage, 1);
  assert.deepEqual(got.flatMap((u, i) => (u.afterLoss ? [i] : [])), [20]);

  const { feed, path } = setup();
  const viewer = new Recorder();
  for (const [i, au] of got.entries()) {
    path.unit(au);
    if (i === 0) feed.add(viewer);
  }
  // Pictures 20..29 wait for the keyframe at 30 (keyframes every 15: 0, 15, 30, 45).
  assert.equal(path.skippedAfterLoss, 10);
  assert.equal(feed.framesPublished, 50);
  assert.equal(viewer.got.length, 50);
  assert.deepEqual(all.filter((u) => u.keyframe).length, 4);
});

test('back to MJPEG: the H.264 viewers are ended and the stream is no longer offered', () => {
  const { feed, path } = setup();
  for (const au of units(stream).slice(0, 20)) path.unit(au);
  const viewer = new Recorder();
  let closed = false;
  viewer.close = () => void (closed = true);
  assert.equal(feed.add(viewer), true);
  path.cameraStarting('mjpeg', 30);
  assert.equal(closed, true);
  assert.equal(feed.ready, false, 'a new /stream.mp4 request gets 503 with the reason');
});
