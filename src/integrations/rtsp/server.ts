import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import type { DeviceEvents } from '../../device/events.js';
import { rtcpPacketTypes } from '../../formats/rtp/rtcp.js';
import type { IntervalTimers } from '../../platform/clock.js';
import { errorText } from '../../platform/errors.js';
import type { Logger } from '../../platform/log/logger.js';
import { RtspConnection, STREAM_PATH, type RtspMedia } from './connection.js';
import type { RtspLogin } from './login.js';
import type { UdpSockets } from './rtp-stream.js';

// The RTSP server (rtsp.port, path /stream): a node:net listener, one RtspConnection per client, and
// one pair of UDP sockets (RTP, RTCP) shared by every UDP session. Bounded: connections in all and per
// address, an idle connection closes, a session that shows no life for its timeout closes, RTCP
// sender reports every few seconds. The one timer runs only while there are connections.

export interface RtspLimits {
  maxConnections: number;
  maxPerAddress: number;
  /** A connection without a playing session closes after this long without a request. */
  idleMs: number;
  /** A playing session that shows no life (a request, an RTCP report, data) this long ends. */
  sessionTimeoutS: number;
  /** Bytes waiting for one client beyond which it skips pictures. */
  maxBacklogBytes: number;
  /** Between sender reports, and between the sweeps of idle connections. */
  tickMs: number;
}

export const DEFAULT_RTSP_LIMITS: RtspLimits = {
  maxConnections: 64,
  maxPerAddress: 16,
  idleMs: 30_000,
  sessionTimeoutS: 60,
  maxBacklogBytes: 512 * 1024,
  tickMs: 5_000,
};

export interface RtspServerDeps {
  /** 0: no server. */
  port: number;
  /** Listen address; by default every address, IPv6 and IPv4. */
  host?: string;
  login: RtspLogin;
  media: RtspMedia;
  deviceName: () => string;
  now: () => number;
  wallNow?: () => number;
  timers: IntervalTimers;
  logger: Logger;
  limits?: Partial<RtspLimits>;
  /** Offer RTP over UDP (default true). */
  udp?: boolean;
}

export interface RtspStatus {
  port: number;
  path: string;
  connections: number;
  playing: number;
  /** JPEG frames that could not go as RTP/JPEG (progressive, other Huffman tables, too large). */
  jpegUnfit: number;
}

export class RtspServer {
  private server: Server | undefined;
  private readonly connections = new Set<RtspConnection>();
  private nextId = 1;
  private timer: unknown;
  private udp: (UdpSockets & { ports: { rtp: number; rtcp: number }; close(): void }) | undefined;
  private boundPort = 0;
  private readonly limits: RtspLimits;
  private jpegUnfit = 0;
  private lastUnfitReason = '';

  constructor(private readonly deps: RtspServerDeps) {
    this.limits = { ...DEFAULT_RTSP_LIMITS, ...deps.limits };
  }

  get port(): number {
    return this.boundPort;
  }

  status(): RtspStatus {
    let playing = 0;
    for (const c of this.connections) if (c.playing) playing++;
    return { port: this.boundPort, path: STREAM_PATH, connections: this.connections.size, playing, jpegUnfit: this.jpegUnfit };
  }

  /** Users whose access ended lose their RTSP connections; open viewing switched off ends anonymous ones; a new codec ends sessions of the old. */
  follow(events: DeviceEvents): () => void {
    const end = (ended: readonly string[]) => {
      const gone = new Set(ended);
      for (const c of [...this.connections]) if (c.user !== undefined && c.user !== '' && gone.has(c.user)) c.close(`the access of ${c.user} ended, closing`);
    };
    const offUsers = events.on('users', (_users, ended) => end(ended));
    // The recorder credential rotated or turned off: a leaked password stops streaming at once.
    const offRecorder = events.on('recorder', end);
    const offSettings = events.on('settings', (next, _previous, paths) => {
      if (!next.server.openViewing) for (const c of [...this.connections]) if (c.user === '') c.close('open viewing was switched off, closing');
      if (paths.includes('camera.codec')) {
        for (const c of [...this.connections]) if (c.session && c.session.codec !== next.camera.codec) c.close('the camera changed codec, closing');
      }
    });
    return () => {
      offUsers();
      offRecorder();
      offSettings();
    };
  }

  async start(): Promise<void> {
    const { port, logger } = this.deps;
    if (port === 0 || this.server) return;
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    server.on('error', (err) => logger.error(`server: ${errorText(err)}`));
    this.boundPort = await listen(server, port, this.deps.host);
    this.server = server;
    if (this.deps.udp !== false) {
      try {
        this.udp = await openUdpPair(this.deps.host, (packet, address, rtcpPort) => this.onRtcp(packet, address, rtcpPort));
      } catch (err) {
        logger.warn(`no UDP transport (${errorText(err)}); clients get RTP over TCP`);
      }
    }
    logger.info(`listening on port ${this.boundPort}: rtsp://<device>${port === 554 ? '' : `:${this.boundPort}`}${STREAM_PATH}${this.udp ? ` (RTP over TCP, or UDP from ports ${this.udp.ports.rtp}-${this.udp.ports.rtcp})` : ''}`);
  }

  /** Closes every connection and the listener. Safe to call twice. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const c of [...this.connections]) c.close();
    this.follow$();
    this.udp?.close();
    this.udp = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    const { logger } = this.deps;
    const remote = socket.remoteAddress ?? '';
    let fromAddress = 0;
    for (const c of this.connections) if (c.remote === remote) fromAddress++;
    if (this.connections.size >= this.limits.maxConnections || fromAddress >= this.limits.maxPerAddress) {
      logger.debug(`refused a connection from ${remote}: ${this.connections.size} connections, ${fromAddress} from that address`);
      socket.on('error', () => {});
      socket.end('RTSP/1.0 503 Service Unavailable\r\nRetry-After: 10\r\n\r\n');
      socket.destroySoon();
      return;
    }
    const conn = new RtspConnection(socket, {
      id: this.nextId++,
      login: this.deps.login,
      media: this.deps.media,
      udp: this.udp,
      deviceName: this.deps.deviceName,
      now: this.deps.now,
      wallNow: this.deps.wallNow ?? Date.now,
      logger,
      sessionTimeoutS: this.limits.sessionTimeoutS,
      maxBacklogBytes: this.limits.maxBacklogBytes,
      jpegUnfit: (reason) => this.unfit(reason),
      closed: (c) => {
        this.connections.delete(c);
        this.follow$();
      },
    });
    this.connections.add(conn);
    this.follow$();
  }

  private unfit(reason: string): void {
    this.jpegUnfit++;
    if (reason !== this.lastUnfitReason) this.deps.logger.warn(`a camera JPEG cannot go as RTP/JPEG, skipped: ${reason} (${this.jpegUnfit} so far)`);
    this.lastUnfitReason = reason;
  }

  private onRtcp(packet: Buffer, address: string, port: number): void {
    if (!rtcpPacketTypes(packet)) return;
    for (const c of this.connections) if (c.udpRtcpPort === port && sameHost(c.remote, address)) c.heard();
  }

  /** The timer runs while there are connections. */
  private follow$(): void {
    const wanted = this.connections.size > 0 && this.server !== undefined;
    if (wanted && this.timer === undefined) this.timer = this.deps.timers.setInterval(() => this.tick(), this.limits.tickMs);
    else if (!wanted && this.timer !== undefined) {
      this.deps.timers.clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private tick(): void {
    const now = this.deps.now();
    for (const c of [...this.connections]) {
      const quiet = now - c.lastHeard;
      if (c.playing) {
        if (quiet > this.limits.sessionTimeoutS * 1000) c.close(`session timed out after ${Math.round(quiet / 1000)} s without a keep-alive, closing`);
        else c.report();
      } else if (quiet > this.limits.idleMs) {
        c.close();
      }
    }
  }
}

function listen(server: Server, port: number, host: string | undefined): Promise<number> {
  const attempt = (address: string | undefined) =>
    new Promise<number>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      server.once('error', onError);
      server.listen({ port, host: address, exclusive: true }, () => {
        server.off('error', onError);
        const bound = server.address();
        resolve(typeof bound === 'object' && bound ? bound.port : port);
      });
    });
  if (host !== undefined) return attempt(host);
  // Every address, IPv6 and IPv4; a machine without IPv6 listens on IPv4 only.
  return attempt('::').catch((err: NodeJS.ErrnoException) => (err.code === 'EAFNOSUPPORT' || err.code === 'EADDRNOTAVAIL' ? attempt('0.0.0.0') : Promise.reject(err)));
}

/** Two UDP sockets on neighbouring ports, RTP on the even one (RFC 3550 11). */
async function openUdpPair(
  host: string | undefined,
  onRtcp: (packet: Buffer, address: string, port: number) => void,
): Promise<UdpSockets & { ports: { rtp: number; rtcp: number }; close(): void }> {
  const ipv6 = host === undefined || host.includes(':');
  const type = ipv6 ? 'udp6' : 'udp4';
  const address = host ?? '::';
  let lastError: unknown;
  for (let attempt = 0; attempt < 20; attempt++) {
    const rtp = createSocket({ type, ipv6Only: false });
    const rtcp = createSocket({ type, ipv6Only: false });
    try {
      const port = await bind(rtp, 0, address);
      if (port % 2 !== 0 || port === 65535) throw new Error('odd port');
      await bind(rtcp, port + 1, address);
      rtp.on('error', () => {});
      rtcp.on('error', () => {});
      rtp.on('message', () => {});
      rtcp.on('message', (packet, info) => onRtcp(packet, info.address, info.port));
      const target = (to: string) => (ipv6 ? to : to.replace(/^::ffff:/, ''));
      return {
        ports: { rtp: port, rtcp: port + 1 },
        // One packet-sized copy: a JPEG's parts point into the camera's reused frame buffers, and a
        // send the kernel cannot take at once waits in libuv's queue past the buffer's next use.
        sendRtp: (parts, toPort, to) => rtp.send(Buffer.concat(parts as Buffer[]), toPort, target(to), () => {}),
        sendRtcp: (packet, toPort, to) => rtcp.send(packet, toPort, target(to), () => {}),
        queued: () => rtp.getSendQueueSize(),
        close: () => {
          rtp.close();
          rtcp.close();
        },
      };
    } catch (err) {
      lastError = err;
      safeClose(rtp);
      safeClose(rtcp);
      if (ipv6 && host === undefined && (err as NodeJS.ErrnoException).code === 'EAFNOSUPPORT') return openUdpPair('0.0.0.0', onRtcp);
    }
  }
  throw new Error(`no two neighbouring UDP ports: ${errorText(lastError)}`);
}

function bind(socket: UdpSocket, port: number, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', reject);
      resolve(socket.address().port);
    });
  });
}

function safeClose(socket: UdpSocket): void {
  try {
    socket.close();
  } catch {
    // never bound
  }
}

function sameHost(a: string, b: string): boolean {
  return a.replace(/^::ffff:/, '') === b.replace(/^::ffff:/, '');
}
