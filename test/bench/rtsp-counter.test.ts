import assert from 'node:assert/strict';
import { test } from 'node:test';
import { digestAuthorization, InterleavedReader, RtpTally, type RtspItem } from './rtsp-counter.js';

function rtp(seq: number, marker: boolean, payload = 20): Buffer {
  const p = Buffer.alloc(12 + payload, 0x5a);
  p[0] = 0x80;
  p[1] = (marker ? 0x80 : 0) | 96;
  p.writeUInt16BE(seq & 0xffff, 2);
  return p;
}
const frame = (channel: number, packet: Buffer) => Buffer.concat([Buffer.from([0x24, channel, packet.length >> 8, packet.length & 0xff]), packet]);

const response = 'RTSP/1.0 200 OK\r\nCSeq: 4\r\nSession: 1234;timeout=60\r\nContent-Length: 5\r\n\r\nhello';

function read(chunks: Buffer[]): RtspItem[] {
  const reader = new InterleavedReader();
  return chunks.flatMap((c) => reader.push(c));
}

test('reads responses and interleaved frames, however the bytes are split', () => {
  const packets = [rtp(1, false), rtp(2, true, 300), rtp(3, false, 0)];
  const bytes = Buffer.concat([Buffer.from(response, 'latin1'), frame(0, packets[0]!), frame(1, Buffer.alloc(28, 0x80)), frame(0, packets[1]!), frame(0, packets[2]!)]);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const items = read([bytes.subarray(0, cut), bytes.subarray(cut)]);
    assert.equal(items.length, 5, `cut at ${cut}`);
    const first = items[0]!;
    assert.ok(first.kind === 'response');
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('session'), '1234;timeout=60');
    assert.equal(first.body, 'hello');
    assert.deepEqual(
      items.slice(1).map((i) => (i.kind === 'frame' ? [i.channel, i.payload.length] : [])),
      [[0, 32], [1, 28], [0, 312], [0, 12]],
      `cut at ${cut}`,
    );
  }
  assert.equal(read([...bytes].map((b) => Buffer.from([b]))).length, 5);
});

test('keeps every value of a repeated header, and refuses bytes that are neither a response nor a frame', () => {
  const [r] = read([Buffer.from('RTSP/1.0 401 Unauthorized\r\nWWW-Authenticate: Digest realm="x", nonce="n"\r\nWWW-Authenticate: Basic realm="x"\r\n\r\n', 'latin1')]);
  assert.ok(r?.kind === 'response');
  assert.equal(r.status, 401);
  assert.deepEqual(r.headers.get('www-authenticate')!.split('\n'), ['Digest realm="x", nonce="n"', 'Basic realm="x"']);
  assert.throws(() => read([Buffer.from('HTTP/1.1 200 OK\r\n\r\n')]), /not an RTSP response/);
  assert.throws(() => read([Buffer.alloc(20_000, 0x41)]), /longer than 16 KiB/);
});

test('counts packets, bytes and pictures, and finds gaps by sequence number across the wrap', () => {
  const tally = new RtpTally();
  for (const [seq, marker] of [[65533, false], [65534, true], [65535, false], [0, true], [3, true], [4, false], [2, false], [10, true]] as const) {
    tally.add(rtp(seq, marker));
  }
  assert.equal(tally.packets, 8);
  assert.equal(tally.bytes, 8 * 32);
  assert.equal(tally.pictures, 4);
  // 0 -> 3 loses 1 and 2; 2 comes late (counted as reordered, not as a gap); 4 -> 10 loses 5 to 9.
  assert.equal(tally.gaps, 2);
  assert.equal(tally.lost, 2 + 5);
  assert.equal(tally.reordered, 1);
  assert.throws(() => tally.add(Buffer.alloc(8)), /not an RTP packet/);
});

test("Digest answers RFC 2617's example (section 3.5)", () => {
  const challenge = 'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"';
  const header = digestAuthorization(challenge, 'Mufasa', 'Circle Of Life', 'GET', '/dir/index.html', 1, '0a4f113b');
  assert.match(header, /response="6629fae49393a05397450978507c4ef1"/);
  assert.match(header, /qop=auth, nc=00000001, cnonce="0a4f113b"/);
});
