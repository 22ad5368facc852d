import { EventEmitter } from 'node:events';
import type { Now, TimeoutTimers } from '../../platform/clock.js';
import {
  connackMessage,
  encodeConnect,
  encodeDisconnect,
  encodePingreq,
  encodePuback,
  encodePublish,
  encodeSubscribe,
  PacketDecoder,
  ProtocolError,
  type ConnectPacket,
  type Packet,
  type QoS,
} from '../../formats/mqtt/codec.js';

/** What the connection needs of a socket: node's net.Socket and tls.TLSSocket fit. */
export interface MqttSocket {
  write(data: Buffer): boolean;
  end(data: Buffer): void;
  destroy(): void;
  readonly writableLength: number;
  on(event: 'data', listener: (chunk: Buffer) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'close', listener: () => void): this;
}

export interface ConnectionOptions {
  connect: ConnectPacket;
  /** No CONNACK this long after opening, however many bytes came meanwhile: give up on this attempt. */
  connectTimeoutMs: number;
  /** Publishes are dropped while the socket holds this many unsent bytes (a slow broker). */
  maxBufferedBytes: number;
  /** Largest packet accepted from the broker. */
  maxPacketBytes: number;
}

export interface ConnectionDeps {
  /** Opens the TCP or TLS socket; writes before it is connected are buffered by node. */
  openSocket(): MqttSocket;
  timers: TimeoutTimers;
  now: Now;
}

/** refused: CONNACK said no; network: socket error or close; timeout: connect or keepalive. */
export type CloseKind = 'refused' | 'network' | 'protocol' | 'timeout' | 'local';

export interface ConnectionEvents {
  connected: [];
  /** `retain`: the broker kept this message and replays it to every new subscriber. */
  message: [topic: string, payload: Buffer, retain: boolean];
  /** A subscription the broker refused (SUBACK 0x80). */
  subscribeRefused: [topic: string];
  closed: [kind: CloseKind, message: string];
}

/**
 * One MQTT session over one socket: CONNECT, keepalive pings, publishes and subscriptions. Never
 * reconnects and never queues beyond the socket's own buffer (capped by maxBufferedBytes):
 * publishing is fire-and-forget, so a slow or dead broker costs a bounded amount of memory and
 * blocks nothing. The service opens a new connection after 'closed', which is emitted exactly once.
 */
export class MqttConnection extends EventEmitter<ConnectionEvents> {
  private socket: MqttSocket | undefined;
  private readonly decoder: PacketDecoder;
  private connected = false;
  private done = false;
  private timer: unknown;
  private lastReceivedAt = 0;
  private nextPacketId = 1;
  private readonly pendingSubscriptions = new Map<number, string>();
  private dropped = 0;

  constructor(
    private readonly options: ConnectionOptions,
    private readonly deps: ConnectionDeps,
  ) {
    super();
    this.decoder = new PacketDecoder(options.maxPacketBytes);
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Publishes dropped so far because the socket was not connected or was full. */
  get droppedPublishes(): number {
    return this.dropped;
  }

  open(): void {
    if (this.socket || this.done) return;
    let socket: MqttSocket;
    try {
      socket = this.deps.openSocket();
    } catch (err) {
      this.finish('network', (err as Error).message);
      return;
    }
    this.socket = socket;
    socket.on('data', (chunk) => this.receive(chunk));
    socket.on('error', (err) => this.finish('network', describeSocketError(err)));
    socket.on('close', () => this.finish('network', 'the broker closed the connection'));
    this.schedule(this.options.connectTimeoutMs, () =>
      this.finish('timeout', `no answer from the broker within ${seconds(this.options.connectTimeoutMs)} s`),
    );
    socket.write(encodeConnect(this.options.connect));
  }

  /** Sends a QoS 0 publish, or drops it (returns false) when not connected or the socket is full. */
  publish(topic: string, payload: string | Buffer, retain: boolean): boolean {
    const socket = this.socket;
    if (!socket || !this.connected) {
      this.dropped++;
      return false;
    }
    const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    // An idle socket takes any one message (a large snapshot must not be dropped forever).
    if (socket.writableLength > 0 && socket.writableLength + size > this.options.maxBufferedBytes) {
      this.dropped++;
      return false;
    }
    socket.write(encodePublish({ topic, payload, qos: 0, retain }));
    return true;
  }

  subscribe(topic: string, qos: QoS): void {
    if (!this.socket || !this.connected) return;
    const id = this.packetId();
    this.pendingSubscriptions.set(id, topic);
    this.socket.write(encodeSubscribe(id, [{ topic, qos }]));
  }

  /**
   * Ends the session. `publishFirst` goes out before DISCONNECT (e.g. "offline" on a clean stop,
   * since a clean DISCONNECT makes the broker discard the last will). Resolves when the socket is
   * closed, so a process that exits next still says goodbye.
   */
  close(publishFirst?: { topic: string; payload: string; retain: boolean }): Promise<void> {
    const socket = this.socket;
    let flushed = Promise.resolve();
    if (socket && this.connected && !this.done) {
      if (publishFirst) socket.write(encodePublish({ ...publishFirst, qos: 0 }));
      socket.end(encodeDisconnect());
      // Resolves once the broker closed its side; one that never does costs at most a second.
      flushed = new Promise((resolve) => {
        const timer = this.deps.timers.setTimeout(() => {
          socket.destroy();
          resolve();
        }, 1000);
        socket.on('close', () => {
          this.deps.timers.clearTimeout(timer);
          resolve();
        });
      });
    }
    this.finish('local', 'stopped');
    return flushed;
  }

  private packetId(): number {
    const id = this.nextPacketId;
    this.nextPacketId = id >= 0xffff ? 1 : id + 1;
    return id;
  }

  private receive(chunk: Buffer): void {
    if (this.done) return;
    let packets: Packet[];
    try {
      packets = this.decoder.push(chunk);
    } catch (err) {
      this.finish('protocol', err instanceof ProtocolError ? err.message : String(err));
      return;
    }
    // Only a whole packet is a sign of life: a broker that trickles one that never completes must
    // not hold the connection (and the decoder's buffer) open forever.
    if (packets.length > 0) this.lastReceivedAt = this.deps.now();
    for (const p of packets) {
      if (this.done) return;
      this.handle(p);
    }
  }

  private handle(p: Packet): void {
    switch (p.type) {
      case 'connack':
        if (this.connected) return this.finish('protocol', 'a second CONNACK');
        if (p.returnCode !== 0) return this.finish('refused', connackMessage(p.returnCode));
        this.connected = true;
        this.keepalive();
        this.emit('connected');
        return;
      case 'publish':
        if (!this.connected) return this.finish('protocol', 'PUBLISH before CONNACK');
        if (p.qos === 2) return this.finish('protocol', 'QoS 2 PUBLISH (subscribed with QoS 1 at most)');
        if (p.qos === 1 && p.packetId !== undefined) this.socket?.write(encodePuback(p.packetId));
        this.emit('message', p.topic, p.payload, p.retain);
        return;
      case 'suback': {
        const topic = this.pendingSubscriptions.get(p.packetId);
        this.pendingSubscriptions.delete(p.packetId);
        if (topic !== undefined && p.granted.some((g) => g === 0x80)) this.emit('subscribeRefused', topic);
        return;
      }
      default:
        // puback/unsuback/pingresp: receiving anything already counts as a sign of life.
        return;
    }
  }

  /** Pings every keepalive interval; no whole packet for 1.5 intervals means the broker is gone. */
  private keepalive(): void {
    const intervalMs = this.options.connect.keepaliveS * 1000;
    if (intervalMs <= 0) {
      this.cancelTimer();
      return;
    }
    this.lastReceivedAt = this.deps.now();
    const tick = () => {
      if (this.deps.now() - this.lastReceivedAt > intervalMs * 1.5) {
        const partial = this.decoder.pendingBytes > 0 ? ` (a packet begun ${this.decoder.pendingBytes} bytes ago never completed)` : '';
        this.finish('timeout', `no answer from the broker for ${seconds(intervalMs * 1.5)} s${partial}`);
        return;
      }
      this.socket?.write(encodePingreq());
      this.schedule(intervalMs / 2, tick);
    };
    this.schedule(intervalMs / 2, tick);
  }

  private schedule(ms: number, fn: () => void): void {
    this.cancelTimer();
    this.timer = this.deps.timers.setTimeout(fn, ms);
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.deps.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private finish(kind: CloseKind, message: string): void {
    if (this.done) return;
    this.done = true;
    this.connected = false;
    this.cancelTimer();
    const socket = this.socket;
    // A local close lets the DISCONNECT written by close() drain; anything else is torn down now.
    if (socket && kind !== 'local') socket.destroy();
    this.emit('closed', kind, message);
  }
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

function describeSocketError(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (is the broker running on that port?)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'ETIMEDOUT':
      return 'connection timed out';
    case 'ECONNRESET':
      return 'connection reset by the broker';
    default:
      if (code && /CERT|SIGNATURE|ALTNAME/.test(code)) return `TLS: ${err.message} (${code}); set mqtt.tls.caFile to the broker's CA certificate`;
      return code ? `${err.message} (${code})` : err.message;
  }
}
