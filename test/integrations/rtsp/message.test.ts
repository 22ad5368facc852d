import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatResponse, MAX_BODY_BYTES, MAX_HEAD_BYTES, RtspParser, type RtspEvent } from '../../../src/integrations/rtsp/message.js';

const describe = 'DESCRIBE rtsp://cam/stream RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp\r\n\r\n';
const setParameter = 'SET_PARAMETER rtsp://cam/stream RTSP/1.0\r\nCSeq: 9\r\nContent-Length: 5\r\n\r\nhello';
const rtcp = Buffer.concat([Buffer.from([0x24, 1, 0, 8]), Buffer.alloc(8, 0x80)]);
const stream = Buffer.concat([Buffer.from(describe), rtcp, Buffer.from(setParameter), Buffer.from('\r\n'), Buffer.from(describe)]);

function summary(events: RtspEvent[]) {
  return events.map((e) => (e.kind === 'request' ? `${e.request.method} ${e.request.headers.get('cseq')} ${e.request.body.toString()}` : e.kind === 'interleaved' ? `$${e.channel}:${e.length}` : `error ${e.status}`));
}

test('requests, bodies and the client\'s interleaved frames, the same at every split of the bytes', () => {
  const whole = summary(new RtspParser().push(stream));
  assert.deepEqual(whole, ['DESCRIBE 2 ', '$1:8', 'SET_PARAMETER 9 hello', 'DESCRIBE 2 ']);
  for (let cut = 0; cut <= stream.length; cut++) {
    const parser = new RtspParser();
    assert.deepEqual(summary([...parser.push(stream.subarray(0, cut)), ...parser.push(stream.subarray(cut))]), whole, `cut at ${cut}`);
  }
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 30 }), (sizes) => {
      const parser = new RtspParser();
      const events: RtspEvent[] = [];
      let at = 0;
      for (const size of sizes) {
        events.push(...parser.push(stream.subarray(at, at + size)));
        at += size;
      }
      events.push(...parser.push(stream.subarray(at)));
      assert.deepEqual(summary(events), whole);
    }),
  );
});

test('header names are case-insensitive; repeated headers join', () => {
  const [event] = new RtspParser().push(Buffer.from('OPTIONS * RTSP/1.0\r\ncseq: 1\r\nX-A: 1\r\nx-a: 2\r\n\r\n'));
  assert.ok(event?.kind === 'request');
  assert.equal(event.request.headers.get('cseq'), '1');
  assert.equal(event.request.headers.get('x-a'), '1, 2');
});

test('hostile input: an answer with the CSeq where it could be read, then nothing more', () => {
  const one = (text: string | Buffer) => new RtspParser().push(Buffer.isBuffer(text) ? text : Buffer.from(text));
  assert.deepEqual(summary(one('GARBAGE\r\n\r\n')), ['error 400']);
  assert.deepEqual(summary(one('GET / HTTP/1.1\r\nHost: x\r\n\r\n')), ['error 400']);
  assert.deepEqual(summary(one('OPTIONS * RTSP/2.0\r\nCSeq: 1\r\n\r\n')), ['error 505']);
  assert.deepEqual(summary(one('OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nno colon here\r\n\r\n')), ['error 400']);
  assert.deepEqual(summary(one(`OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nContent-Length: ${MAX_BODY_BYTES + 1}\r\n\r\n`)), ['error 413']);
  assert.deepEqual(summary(one('OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nContent-Length: -4\r\n\r\n')), ['error 400']);
  const many = `OPTIONS * RTSP/1.0\r\n${Array.from({ length: 100 }, (_, i) => `X-${i}: y`).join('\r\n')}\r\n\r\n`;
  assert.deepEqual(summary(one(many)), ['error 431']);
  // A head that never ends is refused once it outgrows the cap, not gathered for ever.
  const parser = new RtspParser();
  let events: RtspEvent[] = [];
  for (let i = 0; i < 20 && events.length === 0; i++) events = parser.push(Buffer.from(`OPTIONS * RTSP/1.0\r\nX: ${'a'.repeat(1000)}`));
  assert.deepEqual(summary(events), ['error 431']);
  assert.deepEqual(parser.push(Buffer.from(describe)), [], 'after an error, nothing');
  const cseq = one('OPTIONS * RTSP/1.0\r\nCSeq: 7\r\nBad\x01: x\r\n\r\n');
  assert.equal(cseq[0]?.kind === 'error' && cseq[0].cseq, '7');
  // Random bytes: events or an error, never an exception, never more than the caps.
  fc.assert(fc.property(fc.uint8Array({ maxLength: 3 * MAX_HEAD_BYTES }), (bytes) => void new RtspParser().push(Buffer.from(bytes))));
});

test('a large interleaved frame from the client is skipped as it comes, not gathered', () => {
  const parser = new RtspParser();
  assert.deepEqual(summary(parser.push(Buffer.from([0x24, 0, 0xff, 0xff, 1, 2, 3]))), ['$0:65535']);
  for (let i = 0; i < 63; i++) assert.deepEqual(parser.push(Buffer.alloc(1024, 0x24)), []);
  assert.deepEqual(summary(parser.push(Buffer.concat([Buffer.alloc(65535 - 3 - 63 * 1024, 0x24), Buffer.from(describe)]))), ['DESCRIBE 2 ']);
});

test('responses: status line, CSeq first, a body with its length, no header injection', () => {
  const text = formatResponse(200, [['CSeq', '3'], ['X', 'a\r\nInjected: 1']], 'v=0\r\n').toString();
  assert.equal(text, 'RTSP/1.0 200 OK\r\nCSeq: 3\r\nX: a  Injected: 1\r\nContent-Length: 5\r\n\r\nv=0\r\n');
  assert.match(formatResponse(501, []).toString(), /^RTSP\/1\.0 501 Not Implemented\r\n\r\n$/);
});
