import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { MqttConnection, type CloseKind, type MqttSocket } from '../../../src/integrations/mqtt/connection.js';

// The connection against a fake socket and fake timers: what it writes, when it gives up, and
// that a full socket drops publishes instead of queueing them.

class FakeSocket extends EventEmitter implements MqttSocket {
  written: Buffer[] = [];
  writableLength = 0;
  ended = false;
  destroyed = false;
  write(data: Buffer): boolean {
    this.written.push(data);
    return true;
  }
  end(data: Buffer): void {
    this.written.push(data);
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  types(): number[] {
    return this.written.map((b) => b[0]! >> 4);
  }
}

function setup(keepaliveS = 10) {
  const socket = new FakeSocket();
  let now = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  let nextId = 1;
  const connection = new MqttConnection(
    { connect: { clientId: 'c', keepaliveS, cleanSession: true }, connectTimeoutMs: 5000, maxBufferedBytes: 1000, maxPacketBytes: 1024 },
    {
      openSocket: () => socket,
      now: () => now,
      timers: {
        setTimeout: (fn, ms) => {
          const id = nextId++;
          timers.set(id, { at: now + ms, fn });
          return id;
        },
        clearTimeout: (id) => timers.delete(id as number),
      },
    },
  );
  const closed: Array<[CloseKind, string]> = [];
  connection.on('closed', (kind, message) => closed.push([kind, message]));
  const advance = (ms: number) => {
    const until = now + ms;
    for (;;) {
      const due = [...timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      timers.delete(due[0]);
      now = due[1].at;
      due[1].fn();
    }
    now = until;
  };
  return { socket, connection, closed, advance, timers };
}

const CONNACK_OK = Buffer.from([0x20, 2, 0, 0]);

test('writes CONNECT at once and gives up when no CONNACK comes in time', () => {
  const { socket, connection, closed, advance } = setup();
  connection.open();
  assert.deepEqual(socket.types(), [1]);
  advance(4999);
  assert.deepEqual(closed, []);
  advance(1);
  assert.deepEqual(closed, [['timeout', 'no answer from the broker within 5 s']]);
  assert.ok(socket.destroyed);
});

test('a refused login closes with the CONNACK reason, once', () => {
  const { socket, connection, closed } = setup();
  connection.open();
  socket.emit('data', Buffer.from([0x20, 2, 0, 5]));
  socket.emit('close');
  assert.deepEqual(closed, [['refused', 'the broker refused the login (not authorised)']]);
});

test('pings while idle and closes when the broker stops answering', () => {
  const { socket, connection, closed, advance } = setup(10);
  connection.open();
  socket.emit('data', CONNACK_OK);
  advance(5000);
  assert.deepEqual(socket.types(), [1, 12]);
  socket.emit('data', Buffer.from([0xd0, 0])); // PINGRESP
  advance(10_000);
  assert.deepEqual(closed, []);
  advance(10_000); // 15 s since the last packet
  assert.equal(closed[0]?.[0], 'timeout');
});

test('acknowledges QoS 1 messages and hands them on', () => {
  const { socket, connection } = setup();
  const got: string[] = [];
  connection.on('message', (topic, payload) => got.push(`${topic}=${payload.toString()}`));
  connection.open();
  socket.emit('data', Buffer.concat([CONNACK_OK, Buffer.from([0x32, 7, 0, 1, 0x74, 0, 42, 0x4f, 0x4e])]));
  assert.deepEqual(got, ['t=ON']);
  assert.deepEqual([...socket.written.at(-1)!], [0x40, 2, 0, 42]);
});

test('publishes are dropped, never queued, before CONNACK and while the socket is full', () => {
  const { socket, connection } = setup();
  connection.open();
  assert.equal(connection.publish('t', 'x', true), false);
  socket.emit('data', CONNACK_OK);
  assert.equal(connection.publish('t', 'x', true), true);
  socket.writableLength = 900;
  assert.equal(connection.publish('t', Buffer.alloc(200), false), false);
  assert.equal(connection.publish('t', Buffer.alloc(50), false), true);
  assert.equal(connection.droppedPublishes, 2);
  socket.writableLength = 0;
  assert.equal(connection.publish('t', Buffer.alloc(5000), false), true, 'an idle socket takes one message over the cap');
});

test('close() sends the last words and DISCONNECT, then lets the socket go', async () => {
  const { socket, connection, closed, advance } = setup();
  connection.open();
  socket.emit('data', CONNACK_OK);
  let done = false;
  void connection.close({ topic: 'a', payload: 'offline', retain: true }).then(() => (done = true));
  assert.deepEqual(socket.types().slice(-2), [3, 14]);
  assert.ok(socket.ended);
  assert.deepEqual(closed, [['local', 'stopped']]);
  advance(999);
  assert.equal(socket.destroyed, false);
  advance(1);
  assert.ok(socket.destroyed, 'destroyed when the broker does not close it');
  await Promise.resolve();
  assert.ok(done, 'close() resolved');
  socket.emit('close');
  assert.equal(closed.length, 1);
});

test('garbage from the broker is a protocol error', () => {
  const { socket, connection, closed } = setup();
  connection.open();
  socket.emit('data', Buffer.from([0xf0, 0]));
  assert.deepEqual(closed, [['protocol', 'unexpected packet type 15 from the broker']]);
});

test('hands on whether the broker retained a message', () => {
  const { socket, connection } = setup();
  const got: Array<[string, boolean]> = [];
  connection.on('message', (topic, _payload, retain) => got.push([topic, retain]));
  connection.open();
  socket.emit('data', Buffer.concat([CONNACK_OK, Buffer.from([0x31, 5, 0, 1, 0x74, 0x4f, 0x4e]), Buffer.from([0x30, 5, 0, 1, 0x74, 0x4f, 0x4e])]));
  assert.deepEqual(got, [['t', true], ['t', false]]);
});

test('a broker that trickles a packet that never completes is given up on', () => {
  // Before CONNACK: bytes of a CONNACK that never ends do not hold off the connect deadline.
  const early = setup(10);
  early.connection.open();
  early.socket.emit('data', Buffer.from([0x20]));
  early.advance(4000);
  early.socket.emit('data', Buffer.from([0x7f]));
  early.advance(1000);
  assert.equal(early.closed[0]?.[0], 'timeout');

  // After CONNACK: one byte a second of a PUBLISH announcing 100 bytes, answered to no ping.
  const { socket, connection, closed, advance } = setup(10);
  connection.open();
  socket.emit('data', CONNACK_OK);
  socket.emit('data', Buffer.from([0x30, 100]));
  for (let i = 0; i < 20 && closed.length === 0; i++) {
    advance(1000);
    socket.emit('data', Buffer.from([0]));
  }
  assert.equal(closed.length, 1, 'closed within 20 s');
  assert.equal(closed[0]![0], 'timeout');
  assert.match(closed[0]![1], /^no answer from the broker for 15 s \(a packet begun \d+ bytes ago never completed\)$/);
  assert.ok(socket.destroyed);
});
