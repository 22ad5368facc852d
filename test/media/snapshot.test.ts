import assert from 'node:assert/strict';
import { test } from 'node:test';
import { snapshotOf } from '../../src/media/snapshot.js';
import type { Part } from '../../src/formats/multipart.js';

const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);

test('a fresh live frame while streaming; the freshness window is 3 frame intervals, at least 2 s', () => {
  const asked: number[] = [];
  const latestLive = (ms: number) => {
    asked.push(ms);
    return { jpeg } as Part;
  };
  assert.deepEqual(snapshotOf({ privacy: false, camera: { state: 'streaming', detail: '' }, framerate: 30, latestLive }), { jpeg });
  snapshotOf({ privacy: false, camera: { state: 'streaming', detail: '' }, framerate: 1, latestLive });
  assert.deepEqual(asked, [2_000, 3_000]);
});

test('privacy, a stale frame, or a camera that is not streaming give a reason', () => {
  const none = () => undefined;
  const frame = () => ({ jpeg }) as Part;
  assert.equal((snapshotOf({ privacy: true, camera: { state: 'streaming', detail: '' }, framerate: 30, latestLive: frame }) as { error: string }).error, 'privacy');
  assert.deepEqual(snapshotOf({ privacy: false, camera: { state: 'streaming', detail: '' }, framerate: 30, latestLive: none }), {
    error: 'no-frame',
    message: 'No current frame: the camera is streaming.',
  });
  assert.deepEqual(snapshotOf({ privacy: false, camera: { state: 'backoff', detail: 'exited with code 1' }, framerate: 30, latestLive: frame }), {
    error: 'no-frame',
    message: 'No current frame: the camera is backoff (exited with code 1).',
  });
});

test('in H.264 mode there is no JPEG: the reason says so, even with an old JPEG at hand', () => {
  const frame = () => ({ jpeg }) as Part;
  const result = snapshotOf({ privacy: false, camera: { state: 'streaming', detail: '' }, framerate: 30, latestLive: frame, codec: 'h264' });
  assert.equal((result as { error: string }).error, 'camera-in-h264-mode');
  assert.match((result as { message: string }).message, /H\.264 mode/);
});
