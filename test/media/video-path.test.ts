import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { AccessUnit } from '../../src/formats/h264/access-unit.js';
import { AnnexBParser } from '../../src/formats/h264/annexb.js';
import type { VideoFragment } from '../../src/media/gop-pacer.js';
import { VideoFeed, type VideoViewer } from '../../src/media/video-feed.js';
import { VideoPath } from '../../src/media/video-path.js';
import { fixturePath } from '../fixtures/h264/index.js';
import { StillStream } from '../../src/formats/h264-writer/still-stream.js';
import { rasterToYuv420 } from '../../src/formats/h264-writer/yuv.js';
import { drawPlaceholder } from '../../src/media/placeholder.js';

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

/** picamd's placeholder for the fixture's stream (320x240), as VideoPlaceholderFeed makes it. */
function placeholderStream(width = 320, height = 240): StillStream {
  const params = { width, height, profileIdc: 100, constraintFlags: 0, levelIdc: 13, spsId: 1, ppsId: 1, qp: 24 };
  return new StillStream(params, rasterToYuv420(drawPlaceholder('privacy', width, height)), { keyframeInterval: 5 });
}

test('privacy and back: the viewer stays, gets each new init before its keyframe, and the camera resumes at a keyframe', () => {
  const { feed, path } = setup();
  const all = units(stream);
  const viewer = new Recorder();
  let closed = false;
  viewer.close = () => void (closed = true);
  for (const au of all.slice(0, 10)) path.unit(au);
  feed.add(viewer);
  assert.equal(path.cameraLive, true);
  assert.equal(path.cameraStream?.width, 320);
  // Privacy: the camera stops; the placeholder goes out on the same feed.
  path.cameraState('paused');
  assert.equal(path.cameraLive, false);
  const still = placeholderStream();
  for (let i = 0; i < 3; i++) path.placeholderUnit(still.next(), 1_000, 30);
  // The camera restarts (same frame rate: same timeline); its pictures before a keyframe cannot follow a placeholder.
  path.cameraStarting('h264', 30);
  path.cameraState('streaming');
  path.unit(all[16]!);
  for (const au of all.slice(30, 35)) path.unit(au);
  path.placeholderUnit(still.next(), 1_000, 30);
  assert.equal(closed, false, 'never ended');
  const kinds = viewer.got.map((f) => (f.init!.equals(viewer.got[0]!.init!) ? 'camera' : 'placeholder'));
  assert.deepEqual(kinds, [...Array<string>(10).fill('camera'), 'placeholder', 'placeholder', 'placeholder', ...Array<string>(5).fill('camera')]);
  assert.deepEqual(viewer.got.map((f) => f.keyframe), [true, ...Array<boolean>(9).fill(false), true, false, false, true, false, false, false, false]);
  assert.equal(path.unpackaged, 1, 'the picture before the camera\'s keyframe');
  // Decode times keep rising through both changes (one packager, one timeline).
  const times = viewer.got.map((f) => f.bytes.readBigUInt64BE(60));
  for (let i = 1; i < times.length; i++) assert.ok(times[i]! > times[i - 1]!, `fragment ${i}`);
});

test('a placeholder of another size than the camera\'s stream ends the viewers (a track cannot change size)', () => {
  const { feed, path } = setup();
  for (const au of units(stream).slice(0, 5)) path.unit(au);
  const viewer = new Recorder();
  let closed = false;
  viewer.close = () => void (closed = true);
  feed.add(viewer);
  path.cameraState('paused');
  path.placeholderUnit(placeholderStream(640, 360).next(), 1_000, 30);
  assert.equal(closed, true);
  assert.equal(feed.ready, true, 'new viewers get the placeholder');
});

test('privacy from boot: the placeholder makes the stream before the camera ever ran', () => {
  let t = 0;
  const feed = new VideoFeed<Recorder>(() => t, 4, 1 << 20);
  const path = new VideoPath(feed, () => (t += 1000));
  assert.equal(feed.ready, false);
  path.placeholderUnit(placeholderStream().next(), 1_000, 30);
  assert.equal(feed.ready, true);
  const viewer = new Recorder();
  assert.equal(feed.add(viewer), true);
  assert.equal(viewer.got.length, 1, 'the kept IDR at once');
});
