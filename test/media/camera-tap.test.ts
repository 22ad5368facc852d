import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import jpeg from 'jpeg-js';
import type { CameraState } from '../../src/device/camera/machine.js';
import { AnnexBParser } from '../../src/formats/h264/annexb.js';
import type { Part } from '../../src/formats/multipart.js';
import { CameraTap } from '../../src/media/camera-tap.js';
import type { VideoFragment } from '../../src/media/gop-pacer.js';
import { ViewerLimit } from '../../src/media/output.js';
import { fixturePath } from '../fixtures/h264/index.js';

/** The camera as the supervisor shows itself: a state with its detail, and events. */
class FakeCamera extends EventEmitter {
  state: CameraState = 'stopped';
  private detail = '';
  status() {
    return { detail: this.detail };
  }
  set(state: CameraState, detail = ''): void {
    this.state = state;
    this.detail = detail;
    this.emit('state', state, detail);
  }
}

const testJpeg = Buffer.from([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]);
const isPlaceholder = (p: Part) => !p.live;

function setup(codec: 'mjpeg' | 'h264' = 'mjpeg', viewers: number | ViewerLimit = 4) {
  let t = 0;
  const camera = new FakeCamera();
  const intervals: unknown[] = [];
  const tap = new CameraTap({
    camera,
    now: () => t,
    timers: { setInterval: (fn) => (intervals.push(fn), intervals.length), clearInterval: (h) => void (intervals[(h as number) - 1] = undefined) },
    cameraConfig: () => ({ codec, framerate: 25, width: 64, height: 48, h264Profile: 'high' as const, h264Level: '4.1' }),
    viewers,
    maxFrameBytes: 1 << 20,
  });
  const got: Part[] = [];
  tap.mjpeg.add({ id: 1, offer: (p: Part) => got.push(p) }, 0);
  return { tap, camera, got, intervals, advance: (ms: number) => (t += ms) };
}

test('camera frames go to the MJPEG output and count as the incoming frame rate; stop() lets go of the camera', () => {
  const { tap, camera, got, advance } = setup();
  tap.start();
  camera.set('starting', 'waiting for the first frame');
  camera.set('streaming');
  got.length = 0;
  for (let i = 0; i < 50; i++) {
    camera.emit('frame', testJpeg);
    advance(100);
  }
  assert.equal(got.length, 50);
  assert.ok(got.every((p) => p.live && p.jpeg.equals(testJpeg)));
  assert.equal(tap.fpsIn(), 10);
  assert.ok(tap.mjpeg.latestLive(1_000));
  tap.stop();
  tap.stop();
  assert.deepEqual(['frame', 'unit', 'state'].map((e) => camera.listenerCount(e)), [0, 0, 0]);
  camera.emit('frame', testJpeg);
  assert.equal(got.length, 50, 'nothing is published once stopped');
});

test('the camera state at start is shown at once: privacy gets its placeholder at the camera size, and forgets the live frame', () => {
  const { tap, camera, got } = setup();
  camera.set('streaming');
  tap.start();
  camera.emit('frame', testJpeg);
  assert.ok(tap.mjpeg.latestLive(1_000));
  camera.set('paused', 'privacy mode');
  assert.equal(tap.mjpeg.latestLive(1_000), undefined, 'no live frame is served after privacy turned on');
  const placeholder = got.at(-1)!;
  assert.ok(isPlaceholder(placeholder));
  const { width, height } = jpeg.decode(placeholder.jpeg);
  assert.deepEqual([width, height], [64, 48]);
  tap.stop();

  const later = setup();
  later.camera.set('paused', 'privacy mode');
  later.tap.start();
  assert.equal(later.got.length, 1, 'a camera already private when the tap starts gets its placeholder too');
  assert.ok(isPlaceholder(later.got[0]!));
  later.tap.stop();
  assert.deepEqual(later.intervals, [undefined, undefined], 'both placeholder timers (MJPEG and H.264) are stopped');
});

test('H.264 access units reach the H.264 output as fragments once the camera starts in H.264 mode', () => {
  const { tap, camera } = setup('h264');
  const parser = new AnnexBParser({ maxAccessUnitBytes: 1 << 20 });
  const units = [...parser.push(readFileSync(fixturePath('high-g15.h264'))), ...parser.flush()];
  tap.start();
  // In H.264 mode the stream is there from the start: picamd's own placeholder until the camera's pictures.
  assert.equal(tap.h264.ready, true);
  camera.set('starting', 'waiting for the first frame');
  camera.set('streaming');
  const placeholders = tap.h264.framesPublished;
  assert.equal(placeholders, 2, 'offline at start, then starting');
  for (const au of units) camera.emit('unit', au);
  assert.equal(tap.h264.framesPublished - placeholders, units.length);
  const started: VideoFragment[] = [];
  const viewer = { id: 1, start: (_: Buffer, gop: readonly VideoFragment[]) => started.push(...gop), offer: () => {}, close: () => {} };
  assert.equal(tap.h264.add(viewer), true);
  assert.ok(started[0]?.keyframe, 'a new viewer starts on a keyframe');
  assert.equal(tap.viewerCount, 2, 'viewers of both outputs');
  assert.deepEqual(tap.h264Status(), { codec: 'avc1.64000d', skippedAfterLoss: 0, unpackaged: 0, keptBytes: tap.h264.keptBytes });
  camera.set('backoff', 'camera exited');
  // A camera that stops streaming leaves none of its pictures behind: a new viewer gets the placeholder.
  const late: VideoFragment[] = [];
  assert.equal(tap.h264.add({ id: 3, start: (_: Buffer, gop: readonly VideoFragment[]) => late.push(...gop), offer: () => {}, close: () => {} }), true);
  assert.equal(late.length, 1);
  assert.ok(late[0]!.keyframe && late[0]!.bytes.length < 2_000, 'one small placeholder picture');
  assert.ok(!late[0]!.init!.equals(started[0]!.init!), 'the placeholder\'s own init segment');
  tap.stop();
});

test('outputs given one ViewerLimit count their viewers together', () => {
  const { tap, camera } = setup('h264', new ViewerLimit(2));
  const parser = new AnnexBParser({ maxAccessUnitBytes: 1 << 20 });
  tap.start();
  camera.set('starting');
  for (const au of [...parser.push(readFileSync(fixturePath('high-g15.h264'))), ...parser.flush()]) camera.emit('unit', au);
  const viewer = (id: number) => ({ id, start: () => {}, offer: () => {}, close: () => {} });
  const first = viewer(2);
  assert.equal(tap.h264.add(first), true, 'one MJPEG viewer and one H.264 viewer fill two slots');
  assert.equal(tap.mjpeg.full, true);
  assert.equal(tap.h264.add(viewer(3)), false);
  tap.h264.remove(first);
  assert.equal(tap.mjpeg.full, false, 'a viewer leaving one output frees a slot for the other');
  tap.stop();
});
