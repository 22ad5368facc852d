// MQTT 3.1.1 packets, only those picamd sends or receives as a client: CONNECT/CONNACK,
// PUBLISH (QoS 0 and 1), PUBACK, SUBSCRIBE/SUBACK, PINGREQ/PINGRESP and DISCONNECT.
// Pure: bytes in, packets out, no sockets. Spec: https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html

export type QoS = 0 | 1;

export interface Will {
  topic: string;
  payload: string | Buffer;
  qos: QoS;
  retain: boolean;
}

export interface ConnectPacket {
  clientId: string;
  keepaliveS: number;
  cleanSession: boolean;
  username?: string;
  password?: string;
  will?: Will;
}

export type Packet =
  | { type: 'connack'; sessionPresent: boolean; returnCode: number }
  | { type: 'publish'; topic: string; payload: Buffer; qos: 0 | 1 | 2; retain: boolean; dup: boolean; packetId?: number }
  | { type: 'puback'; packetId: number }
  | { type: 'suback'; packetId: number; granted: number[] }
  | { type: 'unsuback'; packetId: number }
  | { type: 'pingresp' };

const CONNECT = 1;
const CONNACK = 2;
const PUBLISH = 3;
const PUBACK = 4;
const SUBSCRIBE = 8;
const SUBACK = 9;
const UNSUBACK = 11;
const PINGREQ = 12;
const PINGRESP = 13;
const DISCONNECT = 14;

/** The largest remaining length the protocol can express (4 length bytes). */
export const MAX_REMAINING_LENGTH = 268_435_455;

/** CONNACK return codes (3.2.2.3) as sentences for the log and the status field. */
export function connackMessage(code: number): string {
  switch (code) {
    case 0:
      return 'accepted';
    case 1:
      return 'the broker does not speak MQTT 3.1.1';
    case 2:
      return 'the broker refused the client id';
    case 3:
      return 'the broker is unavailable';
    case 4:
      return 'the broker refused the login (bad user name or password)';
    case 5:
      return 'the broker refused the login (not authorised)';
    default:
      return `the broker refused the connection (return code ${code})`;
  }
}

function encodeLength(length: number): Buffer {
  if (length < 0 || length > MAX_REMAINING_LENGTH) throw new RangeError(`packet too large (${length} bytes)`);
  const bytes: number[] = [];
  do {
    let byte = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) byte |= 0x80;
    bytes.push(byte);
  } while (length > 0);
  return Buffer.from(bytes);
}

function utf8(value: string | Buffer): Buffer {
  const data = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  if (data.length > 0xffff) throw new RangeError(`string too long for MQTT (${data.length} bytes)`);
  const out = Buffer.allocUnsafe(2 + data.length);
  out.writeUInt16BE(data.length, 0);
  data.copy(out, 2);
  return out;
}

function packet(header: number, body: Buffer[]): Buffer {
  const length = body.reduce((n, b) => n + b.length, 0);
  return Buffer.concat([Buffer.from([header]), encodeLength(length), ...body]);
}

export function encodeConnect(p: ConnectPacket): Buffer {
  let flags = p.cleanSession ? 0x02 : 0;
  const payload = [utf8(p.clientId)];
  if (p.will) {
    flags |= 0x04 | (p.will.qos << 3) | (p.will.retain ? 0x20 : 0);
    payload.push(utf8(p.will.topic), utf8(p.will.payload));
  }
  if (p.username !== undefined) {
    flags |= 0x80;
    payload.push(utf8(p.username));
  }
  if (p.password !== undefined) {
    flags |= 0x40;
    payload.push(utf8(p.password));
  }
  const variable = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, flags, (p.keepaliveS >> 8) & 0xff, p.keepaliveS & 0xff]);
  return packet(CONNECT << 4, [variable, ...payload]);
}

export function encodePublish(p: { topic: string; payload: string | Buffer; qos: QoS; retain: boolean; packetId?: number }): Buffer {
  const header = (PUBLISH << 4) | (p.qos << 1) | (p.retain ? 1 : 0);
  const body = [utf8(p.topic)];
  if (p.qos > 0) {
    if (!p.packetId) throw new RangeError('a QoS 1 publish needs a packet id');
    body.push(u16(p.packetId));
  }
  body.push(typeof p.payload === 'string' ? Buffer.from(p.payload, 'utf8') : p.payload);
  return packet(header, body);
}

export function encodePuback(packetId: number): Buffer {
  return packet(PUBACK << 4, [u16(packetId)]);
}

export function encodeSubscribe(packetId: number, topics: ReadonlyArray<{ topic: string; qos: QoS }>): Buffer {
  const body = [u16(packetId)];
  for (const t of topics) body.push(utf8(t.topic), Buffer.from([t.qos]));
  // Fixed header flags 0010 are mandatory for SUBSCRIBE (3.8.1).
  return packet((SUBSCRIBE << 4) | 0x02, body);
}

export function encodePingreq(): Buffer {
  return Buffer.from([PINGREQ << 4, 0]);
}

export function encodeDisconnect(): Buffer {
  return Buffer.from([DISCONNECT << 4, 0]);
}

function u16(n: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(n, 0);
  return b;
}

export class ProtocolError extends Error {}

/**
 * Cuts a byte stream from the broker into packets. Keeps the unfinished tail of one chunk and joins
 * it to the next; a packet announcing more than maxPacketBytes is a protocol error (the connection
 * is then closed), never buffered.
 */
export class PacketDecoder {
  private tail: Buffer = Buffer.alloc(0);

  constructor(private readonly maxPacketBytes: number) {}

  /** Bytes of a packet begun but not yet complete. */
  get pendingBytes(): number {
    return this.tail.length;
  }

  push(chunk: Buffer): Packet[] {
    let data = this.tail.length > 0 ? Buffer.concat([this.tail, chunk]) : chunk;
    const packets: Packet[] = [];
    for (;;) {
      const frame = this.frame(data);
      if (!frame) break;
      packets.push(decodePacket(frame.header, data.subarray(frame.bodyStart, frame.bodyEnd)));
      data = data.subarray(frame.bodyEnd);
    }
    // Copy the tail so a large chunk is not kept alive by a few leftover bytes.
    this.tail = Buffer.from(data);
    return packets;
  }

  private frame(data: Buffer): { header: number; bodyStart: number; bodyEnd: number } | undefined {
    if (data.length < 2) return undefined;
    let length = 0;
    let multiplier = 1;
    let i = 1;
    for (;;) {
      if (i >= data.length) return undefined;
      if (i > 4) throw new ProtocolError('malformed remaining length');
      const byte = data[i]!;
      length += (byte & 0x7f) * multiplier;
      multiplier *= 128;
      i++;
      if ((byte & 0x80) === 0) break;
    }
    if (length > this.maxPacketBytes) throw new ProtocolError(`packet of ${length} bytes exceeds the ${this.maxPacketBytes}-byte limit`);
    if (data.length < i + length) return undefined;
    return { header: data[0]!, bodyStart: i, bodyEnd: i + length };
  }
}

/** Packet types whose fixed-header flags are reserved and must be 0000 (MQTT-2.2.2-2). */
const ZERO_FLAGS = new Set([CONNACK, PUBACK, SUBACK, UNSUBACK, PINGRESP]);

function decodePacket(header: number, body: Buffer): Packet {
  const type = header >> 4;
  const need = (n: number) => {
    if (body.length < n) throw new ProtocolError(`truncated packet of type ${type}`);
  };
  // A receiver that finds invalid flags must close the connection (MQTT-2.2.2-2).
  if (ZERO_FLAGS.has(type) && (header & 0x0f) !== 0) throw new ProtocolError(`reserved flags 0x${(header & 0x0f).toString(16)} set in a packet of type ${type}`);
  switch (type) {
    case CONNACK:
      need(2);
      // Bits 7-1 of the acknowledge flags are reserved and 0 (3.2.2.1).
      if ((body[0]! & 0xfe) !== 0) throw new ProtocolError('reserved bits set in the CONNACK acknowledge flags');
      return { type: 'connack', sessionPresent: (body[0]! & 1) === 1, returnCode: body[1]! };
    case PUBLISH: {
      const qos = (header >> 1) & 3;
      if (qos === 3) throw new ProtocolError('PUBLISH with QoS 3');
      need(2);
      const topicLength = body.readUInt16BE(0);
      need(2 + topicLength + (qos > 0 ? 2 : 0));
      const topic = body.toString('utf8', 2, 2 + topicLength);
      let offset = 2 + topicLength;
      let packetId: number | undefined;
      if (qos > 0) {
        packetId = body.readUInt16BE(offset);
        offset += 2;
      }
      return {
        type: 'publish',
        topic,
        payload: Buffer.from(body.subarray(offset)),
        qos: qos as 0 | 1 | 2,
        retain: (header & 1) === 1,
        dup: (header & 8) === 8,
        ...(packetId !== undefined ? { packetId } : {}),
      };
    }
    case PUBACK:
      need(2);
      return { type: 'puback', packetId: body.readUInt16BE(0) };
    case SUBACK:
      need(3);
      return { type: 'suback', packetId: body.readUInt16BE(0), granted: [...body.subarray(2)] };
    case UNSUBACK:
      need(2);
      return { type: 'unsuback', packetId: body.readUInt16BE(0) };
    case PINGRESP:
      return { type: 'pingresp' };
    default:
      throw new ProtocolError(`unexpected packet type ${type} from the broker`);
  }
}
