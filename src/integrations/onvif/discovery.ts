import { randomUUID } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import {
  byeMessage,
  DISCOVERY_GROUP,
  helloMessage,
  parseDiscovery,
  probeMatches,
  probeMatchesMessage,
  resolveMatchesMessage,
  type Sequence,
  type Target,
} from '../../formats/ws-discovery/messages.js';
import { errorText } from '../../platform/errors.js';
import type { Logger } from '../../platform/log/logger.js';
import type { Now } from '../../platform/clock.js';
import { ReplyBudget } from './reply-budget.js';

// WS-Discovery for ONVIF: picamd answers Probes for a Network Video Transmitter (multicast to
// 239.255.255.250:3702, or unicast to its port) with a ProbeMatch naming its device service, answers
// Resolve for its own address, says Hello when it starts and Bye when it stops. It is not an
// amplifier: datagrams over 8 KB or not well-formed get nothing, nor do senders outside the device's
// own networks, at most 200 datagrams a second are read (50 from one sender), and replies are
// bounded by a ReplyBudget.

/** A Probe is a few hundred bytes; anything much larger is not one. */
const MAX_DATAGRAM = 8 * 1024;

export interface WsDiscoveryDeps {
  /** What the device says of itself, read for every answer (addresses come and go). */
  target: () => Target;
  /** Whether a sender is on one of the device's own networks (or loopback). */
  isLocal: (address: string) => boolean;
  /** The device's IPv4 addresses, to join the multicast group on each. */
  interfaceAddresses: () => string[];
  logger: Logger;
  now: Now;
  /** 3702; tests use another. */
  port: number;
  /** Where Hello and Bye go; the multicast group by default. */
  announceTo?: { address: string; port: number };
  /** Bind address; all interfaces by default. */
  bindAddress?: string;
  budget?: ReplyBudget;
  /** How many datagrams are read at all (parsing costs CPU even when nothing is answered). */
  readBudget?: ReplyBudget;
  newMessageId?: () => string;
}

export class WsDiscovery {
  private socket: Socket | undefined;
  private readonly budget: ReplyBudget;
  private readonly readBudget: ReplyBudget;
  private readonly sequence: Sequence;
  private dropped = 0;
  private readonly newMessageId: () => string;

  constructor(private readonly deps: WsDiscoveryDeps) {
    this.budget = deps.budget ?? new ReplyBudget({}, deps.now());
    this.readBudget = deps.readBudget ?? new ReplyBudget({ perSecond: 200, burst: 200, perSenderPerSecond: 50, senderBurst: 50 }, deps.now());
    // InstanceId grows with every start of picamd (seconds since 2020), as WS-Discovery asks.
    this.sequence = { instanceId: Math.floor((Date.now() - Date.UTC(2020, 0, 1)) / 1000), messageNumber: 0 };
    this.newMessageId = deps.newMessageId ?? (() => `urn:uuid:${randomUUID()}`);
  }

  get port(): number {
    return this.socket ? this.socket.address().port : 0;
  }

  /** Binds, joins the group on each interface it can, and says Hello. */
  async start(): Promise<void> {
    if (this.socket) return;
    const socket = createSocket({ type: 'udp4', reuseAddr: true });
    this.socket = socket;
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    socket.on('error', (err) => this.deps.logger.warn(`discovery socket: ${errorText(err)}`));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.deps.port, this.deps.bindAddress ?? '0.0.0.0', () => {
        socket.off('error', reject);
        resolve();
      });
    }).catch((err) => {
      this.socket = undefined;
      socket.close();
      throw new Error(`cannot listen for WS-Discovery on UDP ${this.deps.port}: ${errorText(err)}`);
    });
    socket.setMulticastTTL(1);
    let joined = 0;
    for (const address of this.deps.interfaceAddresses()) {
      try {
        socket.addMembership(DISCOVERY_GROUP, address);
        joined++;
      } catch (err) {
        this.deps.logger.debug(`cannot join ${DISCOVERY_GROUP} on ${address}: ${errorText(err)}`);
      }
    }
    this.deps.logger.info(`WS-Discovery on UDP ${this.port} (multicast joined on ${joined} interface(s))`);
    await this.announce(helloMessage(this.deps.target(), this.newMessageId(), this.next()));
  }

  /** Says Bye and closes. Safe to call twice. */
  async stop(): Promise<void> {
    const socket = this.socket;
    if (!socket) return;
    await this.announce(byeMessage(this.deps.target(), this.newMessageId(), this.next()));
    this.socket = undefined;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private next(): Sequence {
    this.sequence.messageNumber++;
    return { ...this.sequence };
  }

  private announce(text: string): Promise<void> {
    const to = this.deps.announceTo ?? { address: DISCOVERY_GROUP, port: 3702 };
    return this.send(Buffer.from(text), to.port, to.address);
  }

  private send(data: Buffer, port: number, address: string): Promise<void> {
    const socket = this.socket;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) =>
      socket.send(data, port, address, (err) => {
        if (err) this.deps.logger.debug(`discovery: cannot send to ${address}:${port}: ${errorText(err)}`);
        resolve();
      }),
    );
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    if (msg.length > MAX_DATAGRAM || !this.deps.isLocal(rinfo.address)) return this.drop();
    if (!this.readBudget.take(rinfo.address, this.deps.now())) return this.drop();
    const message = parseDiscovery(msg);
    if (!message || message.kind === 'other') return;
    const target = this.deps.target();
    let reply: string | undefined;
    if (message.kind === 'probe' && probeMatches(message, target)) {
      reply = probeMatchesMessage(target, message.messageId, this.newMessageId(), this.next());
    } else if (message.kind === 'resolve' && message.address === target.address) {
      reply = resolveMatchesMessage(target, message.messageId, this.newMessageId(), this.next());
    }
    if (!reply) return;
    if (!this.budget.take(rinfo.address, this.deps.now())) return this.drop();
    void this.send(Buffer.from(reply), rinfo.port, rinfo.address);
  }

  /** Counted, and logged now and then (never per datagram: a flood must not flood the journal). */
  private drop(): void {
    if (++this.dropped % 1000 === 1) this.deps.logger.debug(`discovery: ${this.dropped} datagram(s) ignored (too large, not local, or over the reply budget)`);
  }
}
