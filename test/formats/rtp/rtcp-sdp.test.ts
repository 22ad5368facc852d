import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bye, rtcpPacketTypes, senderReport } from '../../../src/formats/rtp/rtcp.js';
import { buildSdp } from '../../../src/formats/rtp/sdp.js';
import { parseRtp, rtpHeader } from '../../../src/formats/rtp/packet.js';

test('a sender report: SR then SDES, the NTP time of the wall clock, the counts', () => {
  const packet = senderReport({ ssrc: 0x01020304, wallMs: Date.UTC(2026, 11, 7, 5, 0, 0, 500), rtpTimestamp: 0xfffffff0, packets: 12, octets: 3400, cname: 'picamd@cam' });
  assert.deepEqual(rtcpPacketTypes(packet), [200, 202]);
  assert.equal(packet.readUInt32BE(4), 0x01020304);
  assert.equal(packet.readUInt32BE(8), Date.UTC(2026, 11, 7, 5, 0, 0) / 1000 + 2_208_988_800);
  assert.equal(packet.readUInt32BE(12), 2 ** 31);
  assert.equal(packet.readUInt32BE(16), 0xfffffff0);
  assert.equal(packet.readUInt32BE(20), 12);
  assert.equal(packet.readUInt32BE(24), 3400);
  assert.equal(packet.length % 4, 0);
  assert.ok(packet.includes(Buffer.from('picamd@cam')));
  assert.deepEqual(rtcpPacketTypes(bye(1)), [203]);
});

test('RTP header fields round-trip, sequence and timestamp wrapping', () => {
  const header = rtpHeader({ payloadType: 96, sequence: 65536 + 5, timestamp: 2 ** 32 + 9, ssrc: 77, marker: true });
  const back = parseRtp(Buffer.concat([header, Buffer.from([1, 2])]))!;
  assert.deepEqual({ ...back, payload: [...back.payload] }, { payloadType: 96, sequence: 5, timestamp: 9, ssrc: 77, marker: true, payload: [1, 2] });
});

test('SDP: H.264 with the parameter sets, JPEG with its size; CRLF lines, a track control', () => {
  const sps = Buffer.from([0x67, 0x64, 0x00, 0x1f, 0xac]);
  const pps = Buffer.from([0x68, 0xee, 0x3c, 0xb0]);
  const h264 = buildSdp({ sessionId: '42', address: '192.168.1.5', name: 'garden\r\ncam', control: 'track1', video: { codec: 'h264', sps, pps, framerate: 30 } });
  assert.match(h264, /^v=0\r\no=- 42 1 IN IP4 192\.168\.1\.5\r\ns=garden cam\r\n/);
  assert.match(h264, /\r\nm=video 0 RTP\/AVP 96\r\na=rtpmap:96 H264\/90000\r\na=fmtp:96 packetization-mode=1;profile-level-id=64001F;sprop-parameter-sets=Z2QAH6w=,aO48sA==\r\n/);
  assert.match(h264, /a=control:track1\r\n$/);
  const jpeg = buildSdp({ sessionId: '1', address: 'fe80::1', name: 'c', control: 'track1', video: { codec: 'jpeg', width: 1280, height: 720 } });
  assert.match(jpeg, /o=- 1 1 IN IP6 fe80::1\r\n/);
  assert.match(jpeg, /m=video 0 RTP\/AVP 26\r\na=rtpmap:26 JPEG\/90000\r\na=framesize:26 1280-720\r\n/);
});
