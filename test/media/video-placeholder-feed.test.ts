import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import type { AccessUnit } from '../../src/formats/h264/access-unit.js';
import { parseSps, type SpsInfo } from '../../src/formats/h264/sps.js';
import { placeholderParameters, VideoPlaceholderFeed, type VideoPlaceholderCamera } from '../../src/media/video-placeholder-feed.js';

const camera: VideoPlaceholderCamera = { codec: 'h264', width: 320, height: 180, framerate: 25, h264Profile: 'high', h264Level: '4.1' };

class Sink {
  cameraLive = false;
  cameraStream: SpsInfo | undefined;
  units: { au: AccessUnit; durationMs: number; framerate: number }[] = [];
  placeholderUnit(au: AccessUnit, durationMs: number, framerate: number): void {
    this.units.push({ au, durationMs, framerate });
  }
}

function withTimers(run: (timers: { setInterval: typeof setInterval; clearInterval: (h: unknown) => void }) => void): void {
  mock.timers.enable({ apis: ['setInterval'] });
  try {
    run({ setInterval, clearInterval: (h) => clearInterval(h as NodeJS.Timeout) });
  } finally {
    mock.timers.reset();
  }
}

test('the H.264 placeholder: an IDR at once, then a skipped picture a second, an IDR every fifth; stops when the camera is live', () => {
  withTimers((timers) => {
    const sink = new Sink();
    let config = camera;
    const feed = new VideoPlaceholderFeed(sink, () => config, timers);
    feed.show('privacy');
    feed.start();
    for (let i = 0; i < 6; i++) mock.timers.tick(1_000);
    assert.deepEqual(sink.units.map((u) => u.au.keyframe), [true, false, false, false, false, true, false]);
    assert.ok(sink.units.every((u) => u.durationMs === 1_000 && u.framerate === 25));
    assert.ok(sink.units.slice(1, 5).every((u) => u.au.bytes < 16), 'skipped pictures cost a few bytes');
    assert.equal(parseSps(sink.units[0]!.au.sps!).width, 320);

    // The camera's pictures go out: nothing more until they stop, then an IDR first.
    sink.cameraLive = true;
    mock.timers.tick(3_000);
    assert.equal(sink.units.length, 7);
    sink.cameraLive = false;
    mock.timers.tick(1_000);
    assert.equal(sink.units.length, 8);
    assert.equal(sink.units[7]!.au.keyframe, true, 'after the camera, the placeholder starts with an IDR');

    // A new message shows at once, with its own IDR.
    feed.show('offline', 'rpicam-vid is not installed');
    assert.equal(sink.units.length, 9);
    assert.equal(sink.units[8]!.au.keyframe, true);
    assert.notDeepEqual(sink.units[8]!.au.nals.at(-1), sink.units[7]!.au.nals.at(-1), 'another picture');

    // Live frames flowing (undefined) or MJPEG mode: nothing.
    feed.show(undefined);
    mock.timers.tick(2_000);
    feed.show('h264');
    mock.timers.tick(2_000);
    config = { ...camera, codec: 'mjpeg' };
    feed.show('privacy');
    mock.timers.tick(2_000);
    assert.equal(sink.units.length, 9);
    feed.stop();
    feed.stop();
  });
});

test('the H.264 placeholder timer runs only while a placeholder is shown; after the camera\'s pictures it starts with an IDR', () => {
  withTimers((timers) => {
    let armed = 0;
    const counting = {
      setInterval: (fn: () => void, ms: number) => (armed++, timers.setInterval(fn, ms)),
      clearInterval: (h: unknown) => (armed--, timers.clearInterval(h)),
    };
    const sink = new Sink();
    const feed = new VideoPlaceholderFeed(sink, () => camera, counting);
    feed.start();
    assert.deepEqual([feed.ticking, armed], [false, 0], 'nothing shown yet: no timer');
    feed.show('starting');
    mock.timers.tick(2_000);
    assert.deepEqual([feed.ticking, armed, sink.units.length], [true, 1, 3]);
    // The camera streams: its pictures go out, the timer stops.
    feed.show('h264');
    assert.deepEqual([feed.ticking, armed], [false, 0]);
    mock.timers.tick(10_000);
    assert.equal(sink.units.length, 3);
    feed.show('privacy');
    assert.deepEqual([feed.ticking, armed], [true, 1]);
    assert.equal(sink.units.length, 4);
    assert.equal(sink.units[3]!.au.keyframe, true, 'an IDR at once');
    feed.show(undefined);
    assert.equal(armed, 0);
    // The same message again after the camera's pictures: the kept stream restarts with its IDR.
    feed.show('privacy');
    mock.timers.tick(1_000);
    assert.deepEqual(sink.units.slice(4).map((u) => u.au.keyframe), [true, false]);
    feed.stop();
    assert.deepEqual([feed.ticking, armed], [false, 0]);
  });
});

test('the placeholder\'s stream copies the camera\'s profile, constraints and level, with its own parameter set IDs', () => {
  const seen = { width: 320, height: 180, profileIdc: 77, constraintFlags: 0x40, levelIdc: 31, spsId: 0 } as SpsInfo;
  assert.deepEqual(placeholderParameters(camera, seen), {
    width: 320, height: 180, profileIdc: 77, constraintFlags: 0x40, levelIdc: 31, spsId: 1, ppsId: 1, qp: 24,
  });
  // Before the camera was seen, or when its last stream had another size: from the settings.
  assert.deepEqual(placeholderParameters(camera, undefined), {
    width: 320, height: 180, profileIdc: 100, constraintFlags: 0, levelIdc: 41, spsId: 1, ppsId: 1, qp: 24,
  });
  const other = placeholderParameters({ ...camera, h264Profile: 'baseline', h264Level: '4' }, { ...seen, width: 640 });
  assert.deepEqual([other.profileIdc, other.constraintFlags, other.levelIdc], [66, 0xc0, 40]);
  assert.equal(placeholderParameters(camera, { ...seen, spsId: 31 }).spsId, 0);
});
