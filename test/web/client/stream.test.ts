/// <reference lib="dom" />
// The live picture's connection under Node: a fake fetch with a streamed body the test writes the
// server's own multipart bytes into, and node:test's fake timers for the stall and the backoff.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { buildPart, STREAM_CONTENT_TYPE, STREAM_PREAMBLE } from '../../../src/formats/multipart.js';
import { LiveStream, STALL_MS, type StreamState } from '../../../src/web/client/stream.js';
import { FakeFetch, globalTimers, json, refused, settle, StreamedBody } from '../../fakes/browser.js';

/** Where the page was opened: with the owner's credentials in the URL. */
const PAGE = new URL('http://admin:secret@camera.local:8080/');
const STREAM_URL = 'http://camera.local:8080/stream.mjpg';

const jpeg = (n: number) => Buffer.from([0xff, 0xd8, n, n, n, 0xff, 0xd9]);

function harness(fetch: FakeFetch) {
  const frames: Buffer[] = [];
  const states: StreamState[] = [];
  const native: string[] = [];
  let notSetUp = 0;
  const stream = new LiveStream({
    location: PAGE,
    fetch: fetch.fetch,
    timers: globalTimers,
    random: () => 0.5, // no jitter: backoff is exactly 500, 1000, 2000 ms ...
    onFrame: (f) => frames.push(Buffer.from(f)),
    onChange: () => states.push(stream.state),
    onNativeStream: (url) => native.push(url),
    onNotSetUp: () => notSetUp++,
  });
  return { stream, frames, states, native, notSetUp: () => notSetUp };
}

describe('LiveStream', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  test('reads the multipart stream into frames and goes live on the first one', async (t) => {
    const body = new StreamedBody();
    const fetch = new FakeFetch().next(body.answer({ 'Content-Type': STREAM_CONTENT_TYPE }));
    const { stream, frames, states } = harness(fetch);
    t.after(() => stream.stop());
    stream.start();
    await settle();
    assert.equal(fetch.calls.length, 1);
    assert.equal(fetch.calls[0]!.url, STREAM_URL, 'from the host, never with the credentials');
    assert.equal(fetch.calls[0]!.init?.cache, 'no-store');
    assert.equal(stream.state, 'connecting');
    const wire = Buffer.concat([STREAM_PREAMBLE, buildPart(jpeg(1), 0, 0, true).wire, buildPart(jpeg(2), 1, 0, true).wire]);
    body.push(wire.subarray(0, 30));
    await settle();
    assert.deepEqual(frames, []);
    body.push(wire.subarray(30));
    await settle();
    assert.deepEqual(frames, [jpeg(1), jpeg(2)]);
    assert.deepEqual(states, ['live']);
  });

  test(`${STALL_MS / 1000} s without a frame aborts the request and reconnects after the backoff`, async (t) => {
    const first = new StreamedBody();
    const second = new StreamedBody();
    const fetch = new FakeFetch()
      .next(first.answer({ 'Content-Type': STREAM_CONTENT_TYPE }))
      .next(second.answer({ 'Content-Type': STREAM_CONTENT_TYPE }));
    const { stream, states } = harness(fetch);
    t.after(() => stream.stop());
    stream.start();
    await settle();
    first.push(Buffer.concat([STREAM_PREAMBLE, buildPart(jpeg(1), 0, 0, true).wire]));
    await settle();
    assert.equal(stream.state, 'live');
    mock.timers.tick(STALL_MS - 1);
    await settle();
    assert.equal(fetch.calls[0]!.init?.signal?.aborted, false, 'not before the stall limit');
    mock.timers.tick(1);
    await settle();
    assert.equal(fetch.calls[0]!.init?.signal?.aborted, true);
    assert.equal(stream.state, 'reconnecting');
    assert.equal(stream.detail, 'The connection to the camera was lost.');
    assert.equal(fetch.calls.length, 1);
    mock.timers.tick(499);
    await settle();
    assert.equal(fetch.calls.length, 1, 'waits out the first backoff (500 ms)');
    mock.timers.tick(1);
    await settle();
    assert.equal(fetch.calls.length, 2);
    second.push(Buffer.concat([STREAM_PREAMBLE, buildPart(jpeg(2), 0, 0, true).wire]));
    await settle();
    assert.deepEqual(states, ['live', 'reconnecting', 'live']);
  });

  test('failed attempts back off 0.5, 1, 2, 4 s; a frame resets the backoff', async (t) => {
    const fetch = new FakeFetch(refused);
    const { stream } = harness(fetch);
    t.after(() => stream.stop());
    stream.start();
    await settle();
    assert.equal(fetch.calls.length, 1);
    assert.equal(stream.state, 'reconnecting');
    for (const [delay, count] of [[500, 2], [1_000, 3], [2_000, 4], [4_000, 5]] as const) {
      mock.timers.tick(delay - 1);
      await settle();
      assert.equal(fetch.calls.length, count - 1, `not before ${delay} ms`);
      mock.timers.tick(1);
      await settle();
      assert.equal(fetch.calls.length, count, `attempt ${count} after ${delay} ms`);
    }
    assert.ok(fetch.urls().every((url) => url === STREAM_URL));
    // An HTTP error says so; then a good stream that ends after one frame starts again at 0.5 s.
    fetch.next(() => json({ error: 'x' }, 500));
    mock.timers.tick(8_000);
    await settle();
    assert.equal(stream.detail, 'The camera answered HTTP 500.');
    const body = new StreamedBody();
    fetch.next(body.answer({ 'Content-Type': STREAM_CONTENT_TYPE }));
    mock.timers.tick(10_000);
    await settle();
    body.push(Buffer.concat([STREAM_PREAMBLE, buildPart(jpeg(3), 0, 0, true).wire]));
    await settle();
    assert.equal(stream.state, 'live');
    const before = fetch.calls.length;
    body.end();
    await settle();
    assert.equal(stream.state, 'reconnecting');
    mock.timers.tick(500);
    await settle();
    assert.equal(fetch.calls.length, before + 1);
  });

  test('a full device (503) is retried after its Retry-After, with its message', async (t) => {
    const fetch = new FakeFetch()
      .next(() => json({ error: 'too-many-viewers', message: 'All 16 viewer slots are taken.' }, 503, { 'Retry-After': '3' }));
    const { stream } = harness(fetch);
    t.after(() => stream.stop());
    stream.start();
    await settle();
    assert.equal(fetch.calls[0]!.url, STREAM_URL);
    assert.equal(stream.state, 'full');
    assert.equal(stream.detail, 'All 16 viewer slots are taken.');
    stream.retryNow();
    await settle();
    assert.equal(fetch.calls.length, 1, 'a reply from the device does not jump the Retry-After');
    mock.timers.tick(2_999);
    await settle();
    assert.equal(fetch.calls.length, 1);
    mock.timers.tick(1);
    await settle();
    assert.equal(fetch.calls.length, 2);
  });

  test('a camera not sending this stream (503 with another reason) shows the reason, not "full", and is retried', async (t) => {
    const message = 'The camera is in H.264 mode, which has no JPEG snapshots.';
    const fetch = new FakeFetch()
      .next(() => json({ error: 'camera-in-h264-mode', message }, 503, { 'Retry-After': '2' }));
    const { stream } = harness(fetch);
    t.after(() => stream.stop());
    stream.start();
    await settle();
    assert.equal(stream.state, 'reconnecting');
    assert.equal(stream.detail, message);
    mock.timers.tick(2_000);
    await settle();
    assert.equal(fetch.calls.length, 2);
  });

  test('a device nobody owns (503 not-set-up) is reported, and tried again after its Retry-After', async (t) => {
    const fetch = new FakeFetch(() => json({ error: 'not-set-up', message: 'set up this camera first' }, 503, { 'Retry-After': '2' }));
    const { stream, notSetUp } = harness(fetch);
    t.after(() => stream.stop());
    stream.start();
    await settle();
    assert.equal(notSetUp(), 1);
    assert.equal(stream.state, 'reconnecting');
    assert.equal(stream.detail, 'Nobody has set up this camera yet.');
    mock.timers.tick(1_999);
    await settle();
    assert.equal(fetch.calls.length, 1);
    mock.timers.tick(1);
    await settle();
    assert.equal(fetch.calls.length, 2);
    assert.equal(notSetUp(), 2);
  });

  test('retryNow() skips the backoff; stop() aborts and never retries', async (t) => {
    const fetch = new FakeFetch(refused);
    const { stream } = harness(fetch);
    t.after(() => stream.stop());
    stream.start();
    await settle();
    mock.timers.tick(500);
    await settle();
    assert.equal(fetch.calls.length, 2); // next wait: 1 s
    stream.retryNow();
    await settle();
    assert.equal(fetch.calls.length, 3, 'at once');
    mock.timers.tick(499);
    await settle();
    assert.equal(fetch.calls.length, 3);
    mock.timers.tick(1);
    await settle();
    assert.equal(fetch.calls.length, 4, 'and the backoff starts again at 0.5 s');

    const body = new StreamedBody();
    fetch.next(body.answer({ 'Content-Type': STREAM_CONTENT_TYPE }));
    mock.timers.tick(1_000);
    await settle();
    assert.equal(fetch.calls.length, 5);
    stream.stop();
    await settle();
    assert.equal(fetch.calls[4]!.init?.signal?.aborted, true);
    mock.timers.tick(60_000);
    await settle();
    assert.equal(fetch.calls.length, 5);
    stream.start();
    await settle();
    assert.equal(fetch.calls.length, 6, 'start() after stop() connects again');
    assert.equal(fetch.calls[5]!.url, STREAM_URL);
  });

  test('a browser without streamed bodies gets the URL for its own <img> decoder', async (t) => {
    const fetch = new FakeFetch().next(() => {
      const res = new Response('x', { headers: { 'Content-Type': STREAM_CONTENT_TYPE } });
      Object.defineProperty(res, 'body', { value: null });
      return res;
    });
    const { stream, native } = harness(fetch);
    t.after(() => stream.stop());
    stream.start();
    await settle();
    assert.deepEqual(native, [STREAM_URL]);
    assert.equal(stream.state, 'live');
    mock.timers.tick(60_000);
    await settle();
    assert.equal(fetch.calls.length, 1);
  });
});
