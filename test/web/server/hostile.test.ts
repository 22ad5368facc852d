import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAX_REQUEST_BODY } from '../../../src/web/server/router.js';
import type { MjpegViewer } from '../../../src/web/streaming/mjpeg-route.js';
import { privacyRoutes } from '../../../src/web/routes/privacy.js';
import { Broadcaster } from '../../../src/media/broadcaster.js';
import { loadFixtures } from '../../fixtures/jpeg/index.js';
import { memoryLogger } from '../../fakes/logger.js';
import { openMjpeg, type MjpegClient } from '../../fakes/mjpeg-client.js';
import { startServer, type TestServer } from '../../fakes/server.js';
import { waitFor } from '../../fakes/wait.js';

// Malformed, oversized and abusive requests get proper answers, and a live viewer watching all the
// while gets every frame.

const fixtures = loadFixtures().map((f) => f.bytes);
const logger = memoryLogger();
const broadcaster = new Broadcaster<MjpegViewer>(() => performance.now(), 3);
const privacy = {
  set: (enabled: boolean) => ({ ok: true as const, changed: true, state: { enabled, source: 'api' as const, since: new Date().toISOString() } }),
  flush: async () => {},
};
let server: TestServer;
let port = 0;
let live: MjpegClient;
let liveId = 0;
let publisher: NodeJS.Timeout;
let published = 0;

before(async () => {
  server = await startServer({
    server: { maxViewers: 3, viewerStallTimeoutMs: 1000 },
    deps: { broadcaster, logger, routes: [privacyRoutes(privacy)] },
  });
  port = server.port;
  live = openMjpeg(port, '/stream.mjpg', { keep: false });
  await waitFor('live viewer', () => broadcaster.viewerCount === 1);
  liveId = broadcaster.list()[0]!.id;
  publisher = setInterval(() => {
    broadcaster.publish(fixtures[published % fixtures.length]!, true);
    published++;
  }, 20);
});
after(() => {
  clearInterval(publisher);
  live.close();
  server.stop();
});

/** Sends raw bytes; resolves with what came back and whether the server closed the connection. */
function raw(bytes: string | Buffer, waitMs = 1500): Promise<{ text: string; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let closedByServer = false;
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('end', () => (closedByServer = true));
    socket.on('error', () => (closedByServer = true));
    socket.on('connect', () => socket.write(bytes));
    const timer = setTimeout(() => finish(), waitMs);
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closedByServer });
    };
    socket.on('close', finish);
  });
}

const statusOf = (text: string) => Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1] ?? 0);

test('unknown methods and paths: 405 with Allow, or 404', async () => {
  const brew = await raw('BREW /stream.mjpg HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 300);
  assert.equal(statusOf(brew.text), 405);
  assert.match(brew.text, /\r\nAllow: GET, HEAD\r\n/);
  assert.equal(statusOf((await raw('DELETE /api/privacy HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 300)).text), 405);
  assert.equal(statusOf((await raw('GET /../../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 300)).text), 404);
  assert.equal(statusOf((await raw('PROPFIND /nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 300)).text), 404);
});

test('oversized headers: 431 and the connection is closed', async () => {
  const reply = await raw(`GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ${'a'.repeat(10_000)}\r\n\r\n`);
  assert.equal(statusOf(reply.text), 431);
  assert.equal(reply.closedByServer, true);
});

test('not HTTP/1.1 (garbage, HTTP/1.0, an HTTP/2 preface): 505 or 400, and closed', async () => {
  for (const bytes of ['\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n', 'GET /api/status HTTP/1.0\r\n\r\n', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'hello there\r\n\r\n']) {
    const reply = await raw(bytes);
    assert.ok([400, 505].includes(statusOf(reply.text)), `${JSON.stringify(bytes)} → ${reply.text.slice(0, 40)}`);
    assert.equal(reply.closedByServer, true);
  }
});

test('a declared body over the cap: 413 at once and closed, on any route', async () => {
  for (const path of ['/api/status', '/api/privacy', '/nope']) {
    const reply = await raw(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${MAX_REQUEST_BODY + 1}\r\n\r\n{`);
    assert.equal(statusOf(reply.text), 413, path);
    assert.equal(reply.closedByServer, true);
  }
});

test('two different Content-Length headers are refused with 400 and closed (request smuggling)', async () => {
  const reply = await raw('POST /api/privacy HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 16\r\nContent-Length: 5\r\n\r\n{"enabled":true}', 500);
  assert.equal(statusOf(reply.text), 400);
  assert.match(reply.text, /More than one Content-Length/);
  assert.equal(reply.closedByServer, true);
});

test('a Host name the device does not answer to gets 421 (DNS rebinding); its own names and addresses pass', async () => {
  const rebound = await raw('GET /snapshot.jpg HTTP/1.1\r\nHost: rebind.evil.example\r\n\r\n', 300);
  assert.equal(statusOf(rebound.text), 421);
  const post = await raw('POST /api/privacy HTTP/1.1\r\nHost: rebind.evil.example\r\nContent-Length: 16\r\n\r\n{"enabled":true}', 300);
  assert.equal(statusOf(post.text), 421);
  for (const host of ['127.0.0.1', `localhost:${port}`, `${hostname()}.local`, '[::1]'])
    assert.equal(statusOf((await raw(`GET /api/status HTTP/1.1\r\nHost: ${host}\r\n\r\n`, 300)).text), 200, host);
});

test('every response refuses framing; no route echoes raw bytes into the log', async () => {
  for (const path of ['/api/status', '/healthz', '/nope']) {
    const reply = await raw(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, 300);
    assert.match(reply.text, /\r\nX-Frame-Options: DENY\r\n/, path);
    assert.match(reply.text, /\r\nContent-Security-Policy: frame-ancestors 'none'\r\n/, path);
    assert.doesNotMatch(reply.text, /Strict-Transport-Security/, 'no HSTS over plain HTTP');
  }
  const before = logger.lines.length;
  await raw(Buffer.concat([Buffer.from('GET /x\x7f'), Buffer.from('\u202Egpj', 'utf8'), Buffer.from(' HTTP/1.1\r\nHost: evil\r\n\r\n')]), 300);
  const line = logger.lines.slice(before).find((l) => l.includes('refused GET'));
  assert.ok(line, 'the refusal is logged');
  assert.doesNotMatch(line!, /[\x00-\x1f\x7f\u202e]/, line);
  assert.match(line!, /\/x\\x7f/);
});

test('privacy bodies: chunked and too big is 413, not JSON is 400', async () => {
  const big = `{"enabled": true, "pad": "${'x'.repeat(MAX_REQUEST_BODY)}"}`;
  const chunked = await raw(`POST /api/privacy HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n${big.length.toString(16)}\r\n${big}\r\n0\r\n\r\n`, 500);
  assert.equal(statusOf(chunked.text), 413);
  const notJson = await raw('POST /api/privacy HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhello', 500);
  assert.equal(statusOf(notJson.text), 400);
});

test('viewers over maxViewers get 503 and are disconnected, holding nothing', async () => {
  const others = [openMjpeg(port, '/stream.mjpg', { keep: false }), openMjpeg(port, '/stream.mjpg', { keep: false })];
  await waitFor('3 viewers', () => broadcaster.viewerCount === 3);
  const refused = await Promise.all(Array.from({ length: 20 }, () => raw('GET /stream.mjpg HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 3000)));
  for (const reply of refused) {
    assert.equal(statusOf(reply.text), 503);
    assert.match(reply.text, /\r\nRetry-After: 5\r\n/);
    assert.equal(reply.closedByServer, true, 'closed by picamd, not left to the client');
  }
  assert.equal(broadcaster.viewerCount, 3);
  for (const c of others) c.close();
  await waitFor('back to the live viewer', () => broadcaster.viewerCount === 1);
});

test('a viewer that stops reading is disconnected after viewerStallTimeoutMs, by the sweep', async () => {
  const stalled = connect(port, '127.0.0.1');
  stalled.on('error', () => {});
  stalled.write('GET /stream.mjpg HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  stalled.pause();
  await waitFor('stalled viewer joined', () => broadcaster.viewerCount === 2);
  const id = broadcaster.list().find((v) => v.id !== liveId)!.id;
  // Big frames fill the socket buffers quickly; the live viewer reads them all.
  const big = Buffer.concat([fixtures[0]!.subarray(0, -2), Buffer.alloc(400_000, 0x11), Buffer.from([0xff, 0xd9])]);
  const pump = setInterval(() => broadcaster.publish(big, true), 30);
  try {
    await waitFor('stalled viewer dropped', () => broadcaster.viewerCount === 1, 9_000);
  } finally {
    clearInterval(pump);
  }
  const line = logger.lines.find((l) => l.includes(`viewer ${id} (127.0.0.1) took no whole frame for`));
  assert.ok(line, 'dropped by picamd’s sweep (uWebSockets.js would only close it after about 10 s)');
  const seconds = Number(/for (\d+\.\d) s/.exec(line)![1]);
  assert.ok(seconds >= 1 && seconds < 9, line); // at the timeout, before uWebSockets.js would act
  stalled.destroy();
});

test('slow and idle connections hold no viewer slot and do not disturb anyone', async () => {
  const sockets: Socket[] = [];
  for (let i = 0; i < 20; i++) {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => {});
    // Half send nothing, half send a request one header at a time (Slowloris).
    if (i % 2) s.on('connect', () => s.write('GET /stream.mjpg HTTP/1.1\r\n'));
    sockets.push(s);
  }
  for (let step = 0; step < 5; step++) {
    await sleep(100);
    for (const [i, s] of sockets.entries()) if (i % 2 && !s.destroyed) s.write(`X-Slow-${step}: 1\r\n`);
  }
  assert.equal(broadcaster.viewerCount, 1);
  const snapshot = await raw('GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 300);
  assert.equal(statusOf(snapshot.text), 200);
  for (const s of sockets) s.destroy();
});

test('all the while, the live viewer got every frame', async () => {
  const stats = broadcaster.list().find((v) => v.id === liveId)!.stats();
  await waitFor('live viewer caught up', () => live.count >= stats.delivered);
  assert.equal(live.error, undefined);
  assert.equal(live.closed, false);
  assert.equal(stats.skipped, 0, `the live viewer skipped ${stats.skipped} of ${stats.delivered + stats.skipped} frames`);
  assert.ok(stats.delivered > 100, `${stats.delivered} frames`);
});
