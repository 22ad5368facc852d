// The stream as a request that came through a reverse proxy gets it: chunked, without a length
// (response-sink.ts, 'chunked'). The same guarantees as the fixed-length path (test/web/server/server.test.ts):
// byte-exact frames, each closed by its own delimiter, at most one frame in flight with a slow viewer
// skipping to the newest, a stalled viewer holding about a frame and dropped by the sweep, ?fps.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CHUNK_PIECE } from '../../../src/web/streaming/response-sink.js';
import type { MjpegViewer } from '../../../src/web/streaming/mjpeg-route.js';
import { Broadcaster } from '../../../src/media/broadcaster.js';
import { loadFixtures } from '../../fixtures/jpeg/index.js';
import { memoryLogger } from '../../fakes/logger.js';
import { openMjpeg } from '../../fakes/mjpeg-client.js';
import { startServer, type TestServer } from '../../fakes/server.js';
import { waitFor } from '../../fakes/wait.js';

const now = () => performance.now();
const broadcaster = new Broadcaster<MjpegViewer>(now, 32);
const logger = memoryLogger();
let server: TestServer;
let port = 0;
const fixtures = loadFixtures().map((f) => f.bytes);
/** What a proxy adds; any one of X-Forwarded-For, Forwarded, Via makes the stream chunked. */
const PROXIED = { 'X-Forwarded-For': '192.0.2.7' };
const REQUEST = 'GET /stream.mjpg HTTP/1.1\r\nHost: 127.0.0.1\r\nVia: 1.1 proxy\r\n\r\n';

before(async () => {
  server = await startServer({ server: { maxViewers: 32, viewerStallTimeoutMs: 2_000 }, deps: { broadcaster, logger, now } });
  port = server.port;
});
after(() => server?.stop());

const waitForViewers = (n: number) => waitFor(`${n} viewers`, () => broadcaster.viewerCount === n, 15_000);

/** A JPEG of about `size` bytes (a fixture padded before its EOI). */
function jpegOf(size: number, fill: number): Buffer {
  const base = fixtures[0]!;
  return Buffer.concat([base.subarray(0, -2), Buffer.alloc(Math.max(0, size - base.length), fill), Buffer.from([0xff, 0xd9])]);
}

test('through a proxy the stream is chunked, without a length, with byte-exact frames of any size', async (t) => {
  const client = openMjpeg(port, '/stream.mjpg', { headers: PROXIED, allowChunked: true });
  t.after(async () => {
    client.close();
    await waitForViewers(0);
  });
  await client.ready;
  assert.equal(client.headers['transfer-encoding'], 'chunked');
  assert.equal(client.headers['content-length'], undefined);
  assert.equal(client.headers['x-accel-buffering'], 'no');
  await waitForViewers(1);
  assert.equal(broadcaster.list()[0]!.stats().framing, 'chunked');
  // Around the piece size and its multiples, tiny and large.
  const sizes = [fixtures[1]!.length, CHUNK_PIECE - 100, CHUNK_PIECE - 60, CHUNK_PIECE, CHUNK_PIECE + 1, 2 * CHUNK_PIECE - 80, 2 * CHUNK_PIECE, 300_000, 1_000_000];
  const sent = sizes.map((size, i) => (i === 0 ? fixtures[1]! : jpegOf(size, 0x30 + i)));
  for (const jpeg of sent) {
    broadcaster.publish(jpeg, true);
    // One at a time: each frame is whole before the next, so none is skipped.
    await waitFor('frame', () => client.frames.length === sent.indexOf(jpeg) + 1 || client.error, 15_000);
  }
  assert.equal(client.error, undefined);
  client.frames.forEach((frame, i) => assert.ok(frame.equals(sent[i]!), `frame ${i} (${sizes[i]} bytes) byte-exact`));
});

test('a direct request keeps the fixed length', async (t) => {
  const client = openMjpeg(port);
  t.after(async () => {
    client.close();
    await waitForViewers(0);
  });
  await client.ready;
  assert.equal(client.headers['content-length'], String(Number.MAX_SAFE_INTEGER));
  assert.equal(client.headers['transfer-encoding'], undefined);
});

test('each frame goes out chunked with the delimiter that closes it, not with the next frame', async (t) => {
  const socket = connect(port, '127.0.0.1');
  t.after(async () => {
    socket.destroy();
    await waitForViewers(0);
  });
  let received = Buffer.alloc(0);
  socket.on('data', (d) => (received = Buffer.concat([received, d])));
  socket.write(REQUEST);
  await waitForViewers(1);
  const jpeg = jpegOf(100_000, 0x41);
  broadcaster.publish(jpeg, true);
  // The body so far ends with a whole chunk whose data ends with the delimiter.
  // (A new viewer may first get the newest frame from before it joined.)
  const part = `${jpeg.toString('latin1')}\r\n--picamd-frame-boundary\r\n`;
  const body = () => dechunk(received.subarray(received.indexOf('\r\n\r\n') + 4)).toString('latin1');
  await waitFor('the whole part, closed', () => received.toString('latin1').endsWith('\r\n--picamd-frame-boundary\r\n') && body().endsWith(part));
  assert.match(received.toString('latin1'), /\r\nTransfer-Encoding: chunked\r\n/i);
});

test('a chunked viewer that stops reading holds about a frame, skips frames, and is dropped by the sweep', async (t) => {
  const big = jpegOf(400_000, 0x11);
  const stalled = Array.from({ length: 20 }, () => {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => {});
    s.write(REQUEST);
    s.pause(); // never reads: its socket buffers fill and stay full
    return s;
  });
  const fast = openMjpeg(port, '/stream.mjpg', { keep: false, headers: PROXIED, allowChunked: true });
  t.after(async () => {
    fast.close();
    for (const s of stalled) s.destroy();
    await waitForViewers(0);
  });
  await waitForViewers(21);
  const rssBefore = process.memoryUsage().rss;
  const ids = broadcaster.list().map((v) => v.id);
  for (let i = 0; i < 50; i++) {
    broadcaster.publish(big, true);
    await sleep(20);
  }
  await waitFor('fast viewer got everything', () => fast.count >= 50 || fast.error, 30_000);
  assert.equal(fast.error, undefined);
  const grown = process.memoryUsage().rss - rssBefore;
  const stats = broadcaster.list().map((v) => v.stats()).filter((s) => s.delivered < 25);
  // Dropped already on a very busy machine is fine too; those still here are busy and skip.
  for (const s of stats) {
    assert.equal(s.busy, true);
    assert.equal(s.delivered + s.skipped + 1, 50);
  }
  // Copying each frame per stalled viewer would be 20 × 50 × 400 KB = 400 MB; what uWebSockets holds
  // per viewer is at most the frame in flight (8 MB for all), the rest is the published frames
  // themselves, garbage V8 frees when it likes.
  console.log(`chunked: RSS grew ${(grown / 1e6).toFixed(1)} MB with 20 stalled viewers over 50 frames of 400 KB`);
  assert.ok(grown < 150e6, `RSS grew ${(grown / 1e6).toFixed(0)} MB`);
  await waitFor('stalled viewers dropped by the sweep', () => broadcaster.viewerCount === 1, 20_000, 100);
  const dropped = ids.filter((id) => logger.lines.some((l) => l.includes(`viewer ${id} (127.0.0.1 through a proxy) took no whole frame for`) || l.includes(`viewer ${id} (127.0.0.1) took no whole frame for`)));
  assert.ok(dropped.length >= 20, `${dropped.length} dropped by the sweep:\n${logger.lines.slice(-5).join('\n')}`);
});

test('a slow chunked viewer gets whole frames, skipping to the newest', async (t) => {
  const slow = openMjpeg(port, '/stream.mjpg', { headers: PROXIED, allowChunked: true });
  t.after(async () => {
    slow.close();
    await waitForViewers(0);
  });
  await waitForViewers(1);
  // Reads a little now and then (one turn of the event loop every 200 ms), far slower than frames come.
  slow.socket.pause();
  const pacing = setInterval(() => {
    slow.socket.resume();
    setImmediate(() => slow.socket.pause());
  }, 200);
  const sent: Buffer[] = [];
  for (let i = 0; i < 40; i++) {
    const jpeg = jpegOf(1_000_000 + i * 997, 0x50 + (i % 100));
    sent.push(jpeg);
    broadcaster.publish(jpeg, true);
    await sleep(30);
  }
  clearInterval(pacing);
  slow.socket.resume();
  await waitFor('the newest frame', () => slow.frames.at(-1)?.equals(sent.at(-1)!) || slow.error, 20_000);
  assert.equal(slow.error, undefined);
  let at = -1;
  // A new viewer first gets the newest frame from before it joined (an earlier test's).
  const ours = slow.frames.filter((f) => sent.some((s) => s.equals(f)));
  for (const frame of ours) {
    const i = sent.findIndex((s) => s.equals(frame));
    assert.ok(i > at, 'frames arrive whole, in order, each sent frame at most once');
    at = i;
  }
  assert.ok(ours.length < 40, `skipped frames instead of queueing (${ours.length} of 40)`);
});

test('?fps caps a chunked viewer', async (t) => {
  const capped = openMjpeg(port, '/stream.mjpg?fps=5', { headers: PROXIED, allowChunked: true });
  t.after(async () => {
    capped.close();
    await waitForViewers(0);
  });
  await waitForViewers(1);
  const started = performance.now();
  for (let i = 0; i < 60; i++) {
    broadcaster.publish(fixtures[i % fixtures.length]!, true);
    await sleep(1000 / 30);
  }
  const seconds = (performance.now() - started) / 1000;
  await sleep(200);
  const allowed = Math.ceil(seconds * 5) + 1;
  assert.equal(capped.error, undefined);
  assert.ok(capped.frames.length >= 3 && capped.frames.length <= allowed, `capped viewer got ${capped.frames.length} in ${seconds.toFixed(1)} s`);
});

/** The data of a complete run of chunks (no last chunk). */
function dechunk(body: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  while (at < body.length) {
    const end = body.indexOf('\r\n', at);
    const size = parseInt(body.subarray(at, end).toString('latin1'), 16);
    out.push(body.subarray(end + 2, end + 2 + size));
    at = end + 2 + size;
    if (at < body.length) {
      assert.equal(body.subarray(at, at + 2).toString('latin1'), '\r\n');
      at += 2;
    }
  }
  return Buffer.concat(out);
}
