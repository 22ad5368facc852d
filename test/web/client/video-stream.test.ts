/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LIVE_EDGE_S, liveEdge, mediaSourceClass, mimeFromInit } from '../../../src/web/client/video-stream.js';

test('the player stays put while it is close to the newest picture', () => {
  assert.deepEqual(liveEdge([[0, 5]], 5 - LIVE_EDGE_S + 0.05), {});
  assert.deepEqual(liveEdge([], 0), {});
});

test('the player jumps to just before the newest picture when it falls behind or starts before the buffer', () => {
  assert.deepEqual(liveEdge([[0, 5]], 3), { seekTo: 4.9 });
  // A viewer that skipped to a later keyframe has a gap: the jump crosses it.
  assert.deepEqual(liveEdge([[0, 2], [3, 6]], 1.9), { seekTo: 5.9 });
  assert.deepEqual(liveEdge([[10, 10.05]], 0), { seekTo: 10 });
});

test('video long behind the playhead is removed, the last ten seconds kept', () => {
  assert.deepEqual(liveEdge([[0, 30]], 29.9), { removeBefore: 19.9 });
  assert.deepEqual(liveEdge([[0, 15]], 14.9), {});
});

test('the MSE type comes from the avcC box of the init segment', () => {
  // ...'avcC', version 1, profile 0x64 (High), compatibility 0x00, level 0x1f (3.1)...
  const head = Buffer.concat([Buffer.from('0000ftypisom....moov....avc1'), Buffer.from([0, 0, 0, 40]), Buffer.from('avcC'), Buffer.from([1, 0x64, 0x00, 0x1f, 0xff])]);
  assert.equal(mimeFromInit(head), 'video/mp4; codecs="avc1.64001f"');
  assert.equal(mimeFromInit(head.subarray(0, head.length - 3)), undefined, 'not yet: the profile bytes have not arrived');
});

test('Safari on iOS gets ManagedMediaSource, others MediaSource, old browsers nothing', () => {
  class Mse {}
  class Managed {}
  assert.equal(mediaSourceClass({ MediaSource: Mse }), Mse);
  assert.equal(mediaSourceClass({ MediaSource: Mse, ManagedMediaSource: Managed }), Managed);
  assert.equal(mediaSourceClass({}), undefined);
});
