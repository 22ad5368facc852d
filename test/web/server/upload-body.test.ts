// The streamed request body: the socket pauses while the consumer's buffer is full and resumes as
// it reads (uWebSockets.js pause/resume), chunks are copies, a body over its cap or cut off fails the
// stream, and a dropped body is drained to its end. A fake HttpResponse feeds the chunks.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import type { HttpResponse } from 'uWebSockets.js';
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
