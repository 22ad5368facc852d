import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  encodeConnect,
  encodePingreq,
  encodePuback,
  encodePublish,
  encodeSubscribe,
  PacketDecoder,
  ProtocolError,
  type Packet,
} from '../../../src/formats/mqtt/codec.js';

test('CONNECT carries the protocol level, flags, keepalive, client id, will and login in spec order', () => {
  const bytes = encodeConnect({
    clientId: 'cam',
    keepaliveS: 30,
    cleanSession: true,
    username: 'u',
    password: 'p',
    will: { topic: 't', payload: 'offline', qos: 1, retain: true },
  });
  // Fixed header 0x10, remaining length, "MQTT" level 4, flags user|pass|will retain|will qos 1|will|clean.
  assert.deepEqual(
    [...bytes],
    [0x10, 33, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0b1110_1110, 0, 30, 0, 3, 0x63, 0x61, 0x6d, 0, 1, 0x74, 0, 7, ...Buffer.from('offline'), 0, 1, 0x75, 0, 1, 0x70],
  );
  // No will, no login: only clean session.
  assert.equal(encodeConnect({ clientId: 'x', keepaliveS: 0, cleanSession: true })[9], 0x02);
});

test('PUBLISH, PUBACK, SUBSCRIBE and PINGREQ encode as the spec says', () => {
  assert.deepEqual([...encodePublish({ topic: 'a/b', payload: 'hi', qos: 0, retain: true })], [0x31, 7, 0, 3, 0x61, 0x2f, 0x62, 0x68, 0x69]);
  assert.deepEqual([...encodePublish({ topic: 'a', payload: Buffer.from([1]), qos: 1, retain: false, packetId: 258 })], [0x32, 6, 0, 1, 0x61, 1, 2, 1]);
  assert.throws(() => encodePublish({ topic: 'a', payload: '', qos: 1, retain: false }), /packet id/);
  assert.deepEqual([...encodePuback(7)], [0x40, 2, 0, 7]);
  assert.deepEqual([...encodeSubscribe(1, [{ topic: 'x/#', qos: 1 }])], [0x82, 8, 0, 1, 0, 3, 0x78, 0x2f, 0x23, 1]);
  assert.deepEqual([...encodePingreq()], [0xc0, 0]);
});

test('remaining lengths use up to four 7-bit groups', () => {
  const payload = Buffer.alloc(200_000, 1);
  const bytes = encodePublish({ topic: 't', payload, qos: 0, retain: false });
  const length = 2 + 1 + payload.length;
  assert.deepEqual([...bytes.subarray(1, 4)], [(length % 128) | 0x80, (Math.floor(length / 128) % 128) | 0x80, Math.floor(length / 16384)]);
  const [decoded] = new PacketDecoder(1 << 20).push(bytes);
  assert.equal(decoded?.type, 'publish');
  assert.ok(decoded?.type === 'publish' && decoded.payload.equals(payload));
});

const fromBroker = Buffer.concat([
  Buffer.from([0x20, 2, 1, 0]), // CONNACK, session present
  Buffer.from([0x90, 3, 0, 1, 1]), // SUBACK granted QoS 1
  Buffer.from([0x33, 11, 0, 3, 0x61, 0x2f, 0x62, 0, 9, 0x4f, 0x46, 0x46, 0xff]), // PUBLISH QoS 1 retain, id 9, "OFF\xff"
  Buffer.from([0x30, 5, 0, 1, 0x74, 0x4f, 0x4e]), // PUBLISH QoS 0 "ON"
  Buffer.from([0x40, 2, 0, 5]), // PUBACK
  Buffer.from([0xd0, 0]), // PINGRESP
]);
const expected: Packet[] = [
  { type: 'connack', sessionPresent: true, returnCode: 0 },
  { type: 'suback', packetId: 1, granted: [1] },
  { type: 'publish', topic: 'a/b', payload: Buffer.from([0x4f, 0x46, 0x46, 0xff]), qos: 1, retain: true, dup: false, packetId: 9 },
  { type: 'publish', topic: 't', payload: Buffer.from('ON'), qos: 0, retain: false, dup: false },
  { type: 'puback', packetId: 5 },
  { type: 'pingresp' },
];

test('the decoder yields the same packets whatever way the stream is split', () => {
  assert.deepEqual(new PacketDecoder(1024).push(fromBroker), expected);
  for (let a = 0; a <= fromBroker.length; a++) {
    for (let b = a; b <= fromBroker.length; b++) {
      const decoder = new PacketDecoder(1024);
      const got = [...decoder.push(fromBroker.subarray(0, a)), ...decoder.push(fromBroker.subarray(a, b)), ...decoder.push(fromBroker.subarray(b))];
      assert.deepEqual(got, expected, `split at ${a} and ${b}`);
    }
  }
  // One byte at a time.
  const decoder = new PacketDecoder(1024);
  assert.deepEqual([...fromBroker].flatMap((byte) => decoder.push(Buffer.from([byte]))), expected);
});

test('the decoder refuses oversize, malformed and unexpected packets instead of buffering them', () => {
  // Announces 1 MB: refused as soon as the length is known, before any payload arrives.
  assert.throws(() => new PacketDecoder(64 * 1024).push(Buffer.from([0x30, 0x80, 0x80, 0x40])), ProtocolError);
  assert.throws(() => new PacketDecoder(1024).push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])), /malformed remaining length/);
  assert.throws(() => new PacketDecoder(1024).push(Buffer.from([0x10, 0])), /unexpected packet type 1/);
  assert.throws(() => new PacketDecoder(1024).push(Buffer.from([0x36, 2, 0, 0])), /QoS 3/);
  assert.throws(() => new PacketDecoder(1024).push(Buffer.from([0x30, 2, 0, 5])), /truncated/);
  assert.throws(() => new PacketDecoder(1024).push(Buffer.from([0x20, 1, 0])), /truncated/);
});

test('reserved flag bits of CONNACK, PUBACK, SUBACK, UNSUBACK and PINGRESP must be zero (MQTT-2.2.2-2)', () => {
  for (const [packet, bad] of [
    [[0x20, 2, 0, 0], [0x21, 2, 0, 0]],
    [[0x40, 2, 0, 1], [0x42, 2, 0, 1]],
    [[0x90, 3, 0, 1, 1], [0x98, 3, 0, 1, 1]],
    [[0xb0, 2, 0, 1], [0xb4, 2, 0, 1]],
    [[0xd0, 0], [0xd1, 0]],
  ] as const) {
    assert.equal(new PacketDecoder(1024).push(Buffer.from(packet)).length, 1);
    assert.throws(() => new PacketDecoder(1024).push(Buffer.from(bad)), /reserved flags/, `header 0x${bad[0].toString(16)}`);
  }
  // The CONNACK acknowledge flags hold only the session-present bit (3.2.2.1).
  assert.throws(() => new PacketDecoder(1024).push(Buffer.from([0x20, 2, 0x02, 0])), /acknowledge flags/);
});
