// The streamed request body: the socket pauses while the consumer's buffer is full and resumes as
// it reads (uWebSockets.js pause/resume), chunks are copies, a body over its cap or cut off fails the
// stream, and a dropped body is drained to its end. A fake HttpResponse feeds the chunks.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { App, us_listen_socket_close, us_socket_local_port, type HttpResponse, type us_listen_socket } from 'uWebSockets.js';
import { UploadBody } from '../../../src/web/server/upload-body.js';

function fakeResponse() {
  const calls: string[] = [];
  let onData: ((chunk: ArrayBuffer, isLast: boolean) => void) | undefined;
  const res = {
    onData: (handler: typeof onData) => void (onData = handler),
    pause: () => void calls.push('pause'),
    resume: () => void calls.push('resume'),
  } as unknown as HttpResponse;
  const send = (bytes: number, isLast: boolean, fill = 1) => {
    const chunk = new Uint8Array(bytes).fill(fill);
    onData!(chunk.buffer, isLast);
    // uWebSockets.js neuters the chunk after the callback; the body must have copied it.
    chunk.fill(0);
  };
  return { res, calls, send, paused: () => calls.filter((c) => c === 'pause').length > calls.filter((c) => c === 'resume').length };
}

describe('UploadBody', () => {
  it('starts paused, pauses when the reader falls behind, and resumes as it reads; the bytes arrive intact', async () => {
    const { res, send, paused } = fakeResponse();
    const CHUNK = 128 * 1024;
    const body = new UploadBody(res, 20 * CHUNK, 1 << 30);
    assert.equal(paused(), true, 'paused until a route reads it');
    let release: () => void = () => {};
    const received: Buffer[] = [];
    const sink = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _e, done) {
        received.push(chunk);
        // A slow disk: each write completes only when the test says so.
        release = done;
      },
    });
    const piped = pipeline(body.readable(), sink);
    const settle = () => new Promise((r) => setImmediate(r));
    const drainTo = async (count: number) => {
      while (received.length < count) {
        release();
        await settle();
      }
    };
    for (let i = 0; i < 10; i++) send(CHUNK, false, i + 1);
    await drainTo(10);
    assert.equal(paused(), false, 'resumed once read');
    for (let i = 10; i < 19; i++) send(CHUNK, false, i + 1);
    await settle();
    assert.equal(paused(), true, 'the reader is behind again: paused');
    await drainTo(19);
    assert.equal(paused(), false);
    send(CHUNK, true, 20);
    await drainTo(20);
    release();
    await piped;
    const all = Buffer.concat(received);
    assert.equal(all.length, 20 * CHUNK);
    for (let i = 0; i < 20; i++) assert.equal(all[i * CHUNK], i + 1);
  });

  it('fails the stream past its cap and drains the rest', async () => {
    const { res, send, paused } = fakeResponse();
    const body = new UploadBody(res, 3000, 2000);
    const readable = body.readable();
    const consumed = pipeline(readable, new Writable({ write: (_c, _e, done) => done() }));
    send(1500, false);
    send(1500, true);
    await assert.rejects(consumed, { name: 'UploadError', reason: 'too-large' });
    assert.equal(paused(), false, 'drained, not paused');
    assert.equal(body.complete, true);
  });

  it('a body cut off: the reader gets an error, discard() resolves', async () => {
    const { res, send } = fakeResponse();
    const body = new UploadBody(res, 5000, 1 << 20);
    const consumed = pipeline(body.readable(), new Writable({ write: (_c, _e, done) => done() }));
    send(1000, false);
    body.aborted();
    await assert.rejects(consumed, { name: 'UploadError', reason: 'aborted' });
    await body.discard();
  });

  it('while paused it restarts the idle clock every few seconds, and gives up after its bound', (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'Date'] });
    const { res, calls, send } = fakeResponse();
    const body = new UploadBody(res, 4000, 1 << 20, { keepaliveMs: 4000, maxPauseMs: 20_000 });
    send(1000, false); // nobody reads yet: paused
    calls.length = 0;
    const wait = (ms: number) => {
      for (let i = 0; i < ms / 1000; i++) t.mock.timers.tick(1000);
    };
    wait(12_000);
    assert.deepEqual(calls, ['resume', 'pause', 'resume', 'pause', 'resume', 'pause'], 'resumed and paused again in one go, every 4 s');
    wait(60_000);
    assert.equal(calls.length, 10, 'no more after 20 s paused: a disk that never comes back does not hold the connection');
    calls.length = 0;
    const readable = body.readable();
    readable.read();
    wait(60_000);
    assert.ok(!calls.slice(1).includes('pause'), `reading resumed it and nothing pauses it again: ${calls}`);
    readable.destroy();
  });

  it('a dropped body is drained to its end before discard() resolves', async () => {
    const { res, send, paused } = fakeResponse();
    const body = new UploadBody(res, 2000, 1 << 20);
    send(1000, false);
    let done = false;
    const drained = body.discard().then(() => (done = true));
    assert.equal(paused(), false);
    await new Promise((r) => setImmediate(r));
    assert.equal(done, false);
    send(1000, true);
    await drained;
    assert.equal(body.complete, true);
  });
});

// The real library: uWebSockets.js closes a request whose body has not moved for 10 s, paused or
// not. A card that stalls longer than that (a fsync under load, a slow SD card) must not cut an
// update off: while the pause is the body's own, it keeps the connection. The control (keep-alive
// switched off) shows the library's behaviour the body works around, so that a uWebSockets.js that
// changes it is noticed here.
describe('UploadBody on uWebSockets.js, a consumer that stalls past the idle timeout', () => {
  const STALL_MS = 16_000;
  const BYTES = 8 * 1024 * 1024;

  async function upload(timing?: { keepaliveMs: number; maxPauseMs: number }): Promise<{ status: number; body: string } | { error: string }> {
    let listen: us_listen_socket | false = false;
    const app = App().post('/up', (res) => {
      let aborted = false;
      const body = new UploadBody(res, BYTES, 1 << 30, timing);
      res.onAborted(() => {
        aborted = true;
        body.aborted();
      });
      let stalled = false;
      let received = 0;
      const sink = new Writable({
        write(chunk: Buffer, _e, done) {
          received += chunk.length;
          // The first write waits like a card that stalls; the rest are quick.
          if (!stalled) {
            stalled = true;
            setTimeout(done, STALL_MS);
          } else done();
        },
      });
      pipeline(body.readable(), sink).then(
        () => !aborted && res.cork(() => res.end(String(received))),
        () => {},
      );
    });
    try {
      const port = await new Promise<number>((resolve, reject) =>
        app.listen('127.0.0.1', 0, (socket) => (socket ? ((listen = socket), resolve(us_socket_local_port(socket))) : reject(new Error('no listen')))),
      );
      return await new Promise((resolve) => {
        const req = request({ port, host: '127.0.0.1', method: 'POST', path: '/up', headers: { 'Content-Length': BYTES } }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          res.on('error', (err) => resolve({ error: err.message }));
        });
        req.on('error', (err) => resolve({ error: err.message }));
        req.end(Buffer.alloc(BYTES, 7));
      });
    } finally {
      if (listen) us_listen_socket_close(listen);
      app.close();
    }
  }

  it('keeps the connection through the stall, and the whole body arrives', async () => {
    const [kept, control] = await Promise.all([upload(), upload({ keepaliveMs: 3_600_000, maxPauseMs: 0 })]);
    assert.deepEqual(kept, { status: 200, body: String(BYTES) });
    assert.ok('error' in control, `without the keep-alive uWebSockets.js cuts the paused body off (got ${JSON.stringify(control)})`);
  });
});
