// The RTSP server on a real socket, with the camera's real outputs (VideoFeed, Broadcaster) fed by the
// test: the protocol as a client sees it, the login, the limits, and hostile clients, each of which
// may end only its own connection.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import { createHash } from 'node:crypto';
import type { AccessUnit } from '../../../src/formats/h264/access-unit.js';
import { encodeJpeg } from '../../../src/formats/jpeg/encoder.js';
import { parseRtp } from '../../../src/formats/rtp/packet.js';
import { rtcpPacketTypes } from '../../../src/formats/rtp/rtcp.js';
import { Broadcaster } from '../../../src/media/broadcaster.js';
import { ViewerLimit } from '../../../src/media/output.js';
import { VideoFeed } from '../../../src/media/video-feed.js';
import { RtspLogin } from '../../../src/integrations/rtsp/login.js';
import { RtspServer, type RtspLimits } from '../../../src/integrations/rtsp/server.js';
import { clientKey } from '../../../src/web/server/auth/headers.js';
import { LoginLimiter } from '../../../src/web/server/auth/limiter.js';
import { realTimers } from '../../../src/platform/clock.js';
import { freePort } from '../../fakes/app.js';
import { memoryLogger } from '../../fakes/logger.js';
import { depacketizeH264, depacketizeJpeg, InterleavedReader } from '../../fakes/rtp.js';
import { waitFor } from '../../fakes/wait.js';
import { loadFixture } from '../../fixtures/jpeg/index.js';

const SPS = Buffer.from([0x67, 0x42, 0xc0, 0x1e, 0x8c, 0x8d, 0x40, 0x50]);
const PPS = Buffer.from([0x68, 0xce, 0x3c, 0x80]);
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const HA1 = md5('ann:picamd:right password');

function unit(keyframe: boolean, bytes: number, fill: number): AccessUnit {
  const slice = Buffer.concat([Buffer.from([keyframe ? 0x65 : 0x41]), Buffer.alloc(bytes, fill)]);
  const nals = keyframe ? [SPS, PPS, slice] : [slice];
  return { nals, keyframe, bytes: nals.reduce((n, x) => n + x.length, 0), ...(keyframe ? { sps: SPS, pps: PPS } : {}) };
}

interface Setup {
  codec?: 'h264' | 'mjpeg';
  maxViewers?: number;
  open?: boolean;
  claimed?: boolean;
  limits?: Partial<RtspLimits>;
}

async function serve(t: TestContext, setup: Setup = {}) {
  const logger = memoryLogger();
  let now = 0;
  const clock = () => now;
  const limit = new ViewerLimit(setup.maxViewers ?? 4);
  const feed = new VideoFeed(clock, limit, 4 * 1024 * 1024);
  const jpeg = new Broadcaster(clock, limit);
  let time = 0;
  const publish = (keyframe: boolean, bytes = 3000, fill = 1) => {
    now += 40;
    time += 3600;
    return feed.publish(Buffer.alloc(8), keyframe, keyframe ? Buffer.from('init') : undefined, true, { unit: unit(keyframe, bytes, fill), time });
  };
  const state = { open: setup.open ?? true, claimed: setup.claimed ?? true, codec: setup.codec ?? 'h264' };
  const limiter = new LoginLimiter();
  const login = new RtspLogin({
    accounts: { locked: false, digestHa1: (n) => (n === 'ann' ? HA1 : undefined), checkPassword: async (n, p) => n === 'ann' && p === 'right password' },
    claimed: () => state.claimed,
    openViewing: () => state.open,
    limiter,
    clientKey,
    now: () => performance.now(),
    logger,
  });
  const port = await freePort();
  const server = new RtspServer({
    port,
    host: '127.0.0.1',
    login,
    media: { codec: () => state.codec, camera: () => ({ width: 640, height: 360, framerate: 25 }), h264: feed, jpeg },
    deviceName: () => 'test cam',
    now: () => performance.now(),
    timers: realTimers,
    logger,
    limits: { tickMs: 100, ...setup.limits },
  });
  await server.start();
  t.after(() => server.stop());
  return { server, port, feed, jpeg, publish, state, logger, limiter, limit };
}

/** A plain RTSP client: requests in order, responses and interleaved frames read apart. */
class Client {
  readonly reader = new InterleavedReader();
  readonly socket: Socket;
  closed = false;
  private cseq = 0;
  session = '';

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (d) => this.reader.push(d));
    this.socket.on('close', () => (this.closed = true));
    this.socket.on('error', () => {});
  }

  static async open(t: TestContext, port: number): Promise<Client> {
    const client = new Client(port);
    t.after(() => client.socket.destroy());
    await new Promise((resolve) => client.socket.once('connect', resolve));
    return client;
  }

  async request(method: string, uri: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Map<string, string>; body: string }> {
    const seen = this.reader.responses.length;
    const all = { CSeq: String(++this.cseq), ...(this.session ? { Session: this.session } : {}), ...headers };
    this.socket.write(`${method} ${uri} RTSP/1.0\r\n${Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
    const text = await waitFor(`the answer to ${method}`, () => this.reader.responses[seen] ?? (this.closed ? 'closed' : undefined));
    return parseResponse(text);
  }
}

function parseResponse(text: string) {
  if (text === 'closed') return { status: 0, headers: new Map<string, string>(), body: '' };
  const [head = '', body = ''] = text.split('\r\n\r\n');
  const [status, ...lines] = head.split('\r\n');
  const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as [string, string]));
  return { status: Number(status!.split(' ')[1]), headers, body };
}

async function play(client: Client, port: number, transport = 'RTP/AVP/TCP;unicast;interleaved=0-1') {
  const url = `rtsp://127.0.0.1:${port}/stream`;
  const describe = await client.request('DESCRIBE', url, { Accept: 'application/sdp' });
  assert.equal(describe.status, 200, describe.body);
  const setup = await client.request('SETUP', `${url}/track1`, { Transport: transport });
  assert.equal(setup.status, 200);
  client.session = setup.headers.get('session')!.split(';')[0]!;
  assert.match(setup.headers.get('session')!, /;timeout=60$/);
  const played = await client.request('PLAY', url);
  return { describe, setup, played };
}

test('H.264: DESCRIBE, SETUP, PLAY over TCP; the latest group of pictures first, then each picture whole, in order; sender reports', async (t) => {
  const { port, publish } = await serve(t);
  publish(false); // before any keyframe: never sent
  publish(true, 5000, 2);
  publish(false, 100, 3);
  const client = await Client.open(t, port);
  assert.match((await client.request('OPTIONS', '*')).headers.get('public')!, /GET_PARAMETER/);
  const { describe, setup, played } = await play(client, port);
  assert.match(describe.body, /sprop-parameter-sets=Z0LAHoyNQFA=,aM48gA==/);
  assert.match(describe.body, /profile-level-id=42C01E/);
  assert.equal(describe.headers.get('content-base'), `rtsp://127.0.0.1:${port}/stream/`);
  assert.match(setup.headers.get('transport')!, /^RTP\/AVP\/TCP;unicast;interleaved=0-1;ssrc=[0-9A-F]{8}$/);
  assert.equal(played.status, 200);
  publish(false, 4000, 4);
  await waitFor('three pictures', () => client.reader.rtp(0).filter((p) => p.marker).length >= 3);
  const packets = client.reader.rtp(0);
  const nals = depacketizeH264(packets.map((p) => p.payload));
  assert.deepEqual(nals.map((n) => [n[0], n.length]), [[0x67, 8], [0x68, 4], [0x65, 5001], [0x41, 101], [0x41, 4001]]);
  for (let i = 1; i < packets.length; i++) assert.equal(packets[i]!.sequence, (packets[i - 1]!.sequence + 1) & 0xffff);
  assert.ok(packets.every((p) => p.payloadType === 96 && p.ssrc === packets[0]!.ssrc));
  const stamps = [...new Set(packets.map((p) => p.timestamp))];
  assert.deepEqual(stamps.map((s) => (s - stamps[0]!) >>> 0), [0, 3600, 7200], 'the pictures\' 90 kHz times');
  assert.equal(played.headers.get('rtp-info'), `url=rtsp://127.0.0.1:${port}/stream/track1;seq=${packets[0]!.sequence}`);
  await waitFor('a sender report', () => client.reader.frames.some((f) => f.channel === 1 && rtcpPacketTypes(f.data)?.[0] === 200), 10_000);
  assert.equal((await client.request('GET_PARAMETER', `rtsp://127.0.0.1:${port}/stream`)).status, 200);
  assert.equal((await client.request('TEARDOWN', `rtsp://127.0.0.1:${port}/stream`)).status, 200);
  assert.ok(client.reader.frames.some((f) => f.channel === 1 && rtcpPacketTypes(f.data)?.includes(203)), 'a BYE at the teardown');
});

test('MJPEG: RTP/JPEG frames that read back as the JPEG; a JPEG that does not fit is skipped and counted', async (t) => {
  const { port, jpeg, server, logger } = await serve(t, { codec: 'mjpeg' });
  const client = await Client.open(t, port);
  const { describe } = await play(client, port);
  assert.match(describe.body, /m=video 0 RTP\/AVP 26\r\n/);
  const picture = encodeJpeg({ width: 64, height: 48, data: new Uint8Array(64 * 48 * 3).fill(90) }, 80);
  jpeg.publish(loadFixture('progressive.jpg'), true);
  jpeg.publish(picture, true);
  await waitFor('a frame', () => client.reader.rtp(0).some((p) => p.marker));
  const frame = depacketizeJpeg(client.reader.rtp(0).map((p) => p.payload));
  assert.equal(frame.type, 1);
  assert.deepEqual([frame.width8, frame.height8], [8, 6]);
  assert.ok(picture.includes(frame.scan));
  assert.equal(server.status().jpegUnfit, 1);
  assert.match(logger.lines.join('\n'), /cannot go as RTP\/JPEG, skipped: SOF2: not baseline/);
});

test('UDP: SETUP is answered with the server ports, and the pictures go to the client\'s ports', async (t) => {
  const { port, publish } = await serve(t);
  const rtp = createSocket('udp4');
  const rtcp = createSocket('udp4');
  t.after(() => {
    rtp.close();
    rtcp.close();
  });
  await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', () => r()));
  await new Promise<void>((r) => rtcp.bind(0, '127.0.0.1', () => r()));
  const got: Buffer[] = [];
  rtp.on('message', (m) => got.push(m));
  publish(true);
  const client = await Client.open(t, port);
  const { setup } = await play(client, port, `RTP/AVP;unicast;client_port=${rtp.address().port}-${rtcp.address().port}`);
  assert.match(setup.headers.get('transport')!, new RegExp(`^RTP/AVP;unicast;client_port=${rtp.address().port}-${rtcp.address().port};server_port=\\d+-\\d+;ssrc=`));
  publish(false);
  await waitFor('the pictures over UDP', () => got.filter((p) => parseRtp(p)?.marker).length >= 2);
  assert.deepEqual(depacketizeH264(got.map((p) => parseRtp(p)!.payload)).map((n) => n[0]), [0x67, 0x68, 0x65, 0x41]);
});

test('the login: nothing before the device has an owner; Digest with the HA1; a wrong one refused and counted by the limiter', async (t) => {
  const { port, state, limiter } = await serve(t, { open: false, claimed: false });
  const url = `rtsp://127.0.0.1:${port}/stream`;
  const client = await Client.open(t, port);
  assert.equal((await client.request('OPTIONS', '*')).status, 200);
  assert.equal((await client.request('DESCRIBE', url)).status, 503);
  state.claimed = true;
  const challenge = await client.request('DESCRIBE', url);
  assert.equal(challenge.status, 401);
  const header = challenge.headers.get('www-authenticate')!;
  assert.match(header, /^Digest realm="picamd", nonce="[^"]+", algorithm=MD5$/);
  const nonce = /nonce="([^"]+)"/.exec(header)![1]!;
  const answer = (ha1: string) => `Digest username="ann", realm="picamd", nonce="${nonce}", uri="${url}", response="${md5(`${ha1}:${nonce}:${md5(`DESCRIBE:${url}`)}`)}"`;
  assert.equal((await client.request('DESCRIBE', url, { Authorization: answer(md5('ann:picamd:wrong')) })).status, 401);
  assert.equal(limiter.size, 1, 'the failure counted for the address');
  assert.equal((await client.request('DESCRIBE', url, { Authorization: answer(HA1) })).status, 200);
  // The nonce belongs to that connection: another cannot use what it saw.
  const other = await Client.open(t, port);
  assert.equal((await other.request('DESCRIBE', url, { Authorization: answer(HA1) })).status, 401);
  // Enough failures and the address waits, whatever it sends.
  for (let i = 0; i < 6; i++) await other.request('DESCRIBE', url, { Authorization: `Basic ${Buffer.from('ann:nope').toString('base64')}` });
  const limited = await other.request('DESCRIBE', url, { Authorization: `Basic ${Buffer.from('ann:right password').toString('base64')}` });
  assert.equal(limited.status, 503);
  assert.ok(Number(limited.headers.get('retry-after')) >= 1);
});

test('a viewer counts toward maxViewers with the HTTP viewers: PLAY beyond it gets 453', async (t) => {
  const { port, publish, limit } = await serve(t, { maxViewers: 1 });
  publish(true);
  limit.take(); // an HTTP viewer holds the one slot
  const client = await Client.open(t, port);
  const { played } = await play(client, port);
  assert.equal(played.status, 453);
  limit.release();
  assert.equal((await client.request('PLAY', `rtsp://127.0.0.1:${port}/stream`)).status, 200);
  assert.equal(limit.full, true);
});

test('hostile clients: each gets its answer and only its own connection ends', async (t) => {
  const { port, publish } = await serve(t, { limits: { maxConnections: 8, maxPerAddress: 8 } });
  publish(true);
  const watcher = await Client.open(t, port);
  await play(watcher, port);
  const cases: Array<[string, string | Buffer, number, boolean]> = [
    ['malformed', 'HELLO\r\n\r\n', 400, true],
    ['huge header', `OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`, 431, true],
    ['unknown method', 'BREW rtsp://x/stream RTSP/1.0\r\nCSeq: 1\r\n\r\n', 501, false],
    ['RECORD', 'RECORD rtsp://x/stream RTSP/1.0\r\nCSeq: 1\r\n\r\n', 405, false],
    ['another path', 'DESCRIBE rtsp://x/other RTSP/1.0\r\nCSeq: 1\r\n\r\n', 404, false],
    ['a session not its own', 'PLAY rtsp://x/stream RTSP/1.0\r\nCSeq: 1\r\nSession: 1234\r\n\r\n', 454, false],
    ['interleaved data, then a request', Buffer.concat([Buffer.from([0x24, 0, 0x10, 0]), Buffer.alloc(4096, 0x24), Buffer.from('OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n')]), 200, false],
  ];
  for (const [name, bytes, status, closes] of cases) {
    const client = await Client.open(t, port);
    client.socket.write(bytes);
    const text = await waitFor(`${name}: an answer`, () => client.reader.responses[0]);
    assert.equal(parseResponse(text).status, status, name);
    if (closes) await waitFor(`${name}: closed`, () => client.closed);
    else assert.equal((await client.request('OPTIONS', '*')).status, 200, `${name}: the connection goes on`);
  }
  const before = watcher.reader.rtp(0).length;
  publish(false);
  await waitFor('the watcher still gets pictures', () => watcher.reader.rtp(0).length > before);
});

test('many idle connections: a cap, and idle ones close by themselves', async (t) => {
  const { port, server } = await serve(t, { limits: { maxConnections: 5, maxPerAddress: 5, idleMs: 300 } });
  const clients = await Promise.all(Array.from({ length: 5 }, () => Client.open(t, port)));
  await waitFor('five connections', () => server.status().connections === 5);
  const sixth = await Client.open(t, port);
  await waitFor('the sixth refused', () => sixth.closed);
  assert.match(sixth.reader.responses[0] ?? '', /^RTSP\/1\.0 503/);
  await waitFor('the idle ones closed', () => clients.every((c) => c.closed), 10_000);
  assert.equal(server.status().connections, 0);
});

test('a client that reads nothing falls behind: its pictures are skipped, and it goes on from a later keyframe, never a picture before it', async (t) => {
  const { port, publish, feed } = await serve(t, { limits: { maxBacklogBytes: 256 * 1024 } });
  publish(true, 1000);
  const client = await Client.open(t, port);
  await play(client, port);
  client.socket.pause();
  const reader = feed.list()[0]!;
  for (let i = 0; i < 400; i++) publish(i % 25 === 0, 60_000, i & 0xff);
  const stats = reader.stats!() as unknown as { skipped: number; resyncs: number };
  assert.ok(stats.skipped > 0 && stats.resyncs > 0, JSON.stringify(stats));
  client.socket.resume();
  // Once it reads again it goes on from a keyframe: every picture it gets decodes in order.
  await waitFor('pictures again', () => {
    publish(true, 1000, 7);
    publish(false, 1000, 8);
    return client.reader.rtp(0).some((p) => p.payload[0] === 0x41 && p.payload[1] === 8);
  }, 20_000, 100);
  const nals = depacketizeH264(client.reader.rtp(0).map((p) => p.payload)).filter((n) => (n[0]! & 0x1f) === 5 || (n[0]! & 0x1f) === 1);
  let lastKey = -1;
  nals.forEach((n, i) => (n[0] === 0x65 ? (lastKey = i) : assert.ok(lastKey >= 0, 'no picture before its keyframe')));
});

test("a user whose access ends loses their RTSP connection; open viewing switched off ends anonymous ones; a new codec ends the old codec's sessions", async (t) => {
  const listeners = new Map<string, (...args: any[]) => void>();
  const events = { on: (name: string, fn: (...args: any[]) => void) => (listeners.set(name, fn), () => listeners.delete(name)) };
  const { port, publish, server, state } = await serve(t, { open: false });
  server.follow(events as never);
  publish(true);
  const url = `rtsp://127.0.0.1:${port}/stream`;
  const ann = await Client.open(t, port);
  const basic = { Authorization: `Basic ${Buffer.from('ann:right password').toString('base64')}` };
  assert.equal((await ann.request('DESCRIBE', url, basic)).status, 200);
  const bystander = await Client.open(t, port);
  assert.equal((await bystander.request('DESCRIBE', url, basic)).status, 200);
  listeners.get('users')!([], ['bob']);
  assert.equal(ann.closed, false, 'someone else\'s access ended');
  listeners.get('users')!([], ['ann']);
  await waitFor('ann closed', () => ann.closed && bystander.closed);

  state.open = true;
  const anonymous = await Client.open(t, port);
  await play(anonymous, port);
  listeners.get('settings')!({ server: { openViewing: true }, camera: { codec: 'h264' } }, {}, ['camera.width']);
  assert.equal(anonymous.closed, false);
  listeners.get('settings')!({ server: { openViewing: true }, camera: { codec: 'mjpeg' } }, {}, ['camera.codec']);
  await waitFor('the H.264 session ended with the codec', () => anonymous.closed);
  const again = await Client.open(t, port);
  await play(again, port);
  state.open = false;
  listeners.get('settings')!({ server: { openViewing: false }, camera: { codec: 'h264' } }, {}, ['server.openViewing']);
  await waitFor('the anonymous viewer ended with open viewing', () => again.closed);
});
