import { EventEmitter } from 'node:events';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { connect as netConnect, isIP } from 'node:net';
import type { DeviceEvents } from '../../device/events.js';
import { parseBrokerUrl, type MqttConfig } from '../../device/settings/mqtt-schema.js';
import { escapeForLog } from '../../platform/log/escape.js';
import type { Logger } from '../../platform/log/logger.js';
import { type Now, type TimeoutTimers } from '../../platform/clock.js';
import { errorText } from '../../platform/errors.js';
import { MqttConnection, type CloseKind, type MqttSocket } from './connection.js';
import { buildDiscovery, buildRemoval, PAYLOAD_OFFLINE, PAYLOAD_ONLINE, type DiscoveryOptions } from './discovery.js';
import { parsePrivacyCommand, stateKey, statePayload, type StatusSnapshot } from './state.js';
import { defaultClientId, defaultTopicPrefix, nodeId, topicsFor, type Topics } from './topics.js';

// Why not the `mqtt` npm package: mqtt@5 installs 41 packages (13 MB, ws, socks, worker-timers,
// readable-stream, ...) and adds about 14 MB of RSS when loaded; mqtt-packet alone still brings
// readable-stream. picamd needs a handful of MQTT 3.1.1 packets as a client, so codec.ts and
// connection.ts implement exactly those (no runtime dependency), tested against Mosquitto.

export type MqttState = 'off' | 'connecting' | 'connected' | 'error';

export interface MqttStatus {
  state: MqttState;
  message: string;
}

export interface DeviceIdentity {
  /** The device name (server.deviceName, or the host name when that is empty). */
  name: string;
  /** A stable id for Home Assistant's unique ids; defaults to the name made id-safe. */
  id?: string;
  /** E.g. the contents of /proc/device-tree/model. */
  model: string;
  version: string;
  /** The page's URL, e.g. http://picamd.local/ ; null when unknown. */
  configurationUrl: string | null;
}

export type PrivacyResult = { ok: true } | { ok: false; message: string };

/** The ports the integrator binds: picamd's state in, privacy commands out. */
export interface MqttPorts {
  readStatus(): StatusSnapshot;
  /** The same privacy controller as the button and the API; refuses while a latching switch holds privacy on. */
  setPrivacy(enabled: boolean, source: 'mqtt'): PrivacyResult;
  /** The newest live JPEG, or undefined when there is none. Never called while private. */
  snapshot(): Buffer | undefined;
}

export interface SocketTarget {
  host: string;
  port: number;
  tls: { ca: Buffer | undefined; rejectUnauthorized: boolean } | null;
}

export interface MqttServiceDeps extends MqttPorts {
  logger: Logger;
  timers: TimeoutTimers;
  /** Milliseconds from a monotonic clock. */
  now: Now;
  device(): DeviceIdentity;
  /** Reads passwordFile and tls.caFile, refusing files larger than maxBytes (default: readSmallFile). */
  readFile?: (path: string, maxBytes: number) => Promise<Buffer>;
  openSocket?: (target: SocketTarget) => MqttSocket;
  /** Reconnect delays: initialMs doubling per failed attempt up to maxMs. */
  backoff?: { initialMs: number; maxMs: number };
  /** The state document is republished this often (uptime, fps), besides on stateChanged(). */
  stateIntervalMs?: number;
  keepaliveS?: number;
  connectTimeoutMs?: number;
}

/** Largest unsent backlog before publishes are dropped: a couple of snapshots. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
const MAX_INCOMING_PACKET_BYTES = 64 * 1024;
const PRIVACY_COMMAND_QOS = 1;
/** Changes within this long of each other are one state (privacy, and the camera pausing with it). */
const STATE_COALESCE_MS = 200;
/** How often, and how many times at most, a changed state's frame rate is read until it settles. */
const STATE_FOLLOW_MS = 500;
const STATE_FOLLOW_CHECKS = 12;

/** A regular file of at most maxBytes; a FIFO or device is refused rather than blocking on it. */
export async function readSmallFile(path: string, maxBytes: number): Promise<Buffer> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new Error('not a regular file');
    if (stat.size > maxBytes) throw new Error(`larger than ${maxBytes} bytes`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** A plain TCP socket to the broker. */
export function openTcpSocket(target: SocketTarget): MqttSocket {
  const socket = netConnect({ host: target.host, port: target.port });
  socket.setNoDelay(true);
  return socket;
}

/**
 * The default socket opener for a target. node:tls (about 0.5 MB of RSS) is loaded only for an
 * mqtts:// broker.
 */
export async function nodeSocketOpener(target: SocketTarget): Promise<() => MqttSocket> {
  const tls = target.tls;
  if (!tls) return () => openTcpSocket(target);
  const { connect } = await import('node:tls');
  return () =>
    connect({
      host: target.host,
      port: target.port,
      ...(tls.ca ? { ca: tls.ca } : {}),
      rejectUnauthorized: tls.rejectUnauthorized,
      // SNI only for names (RFC 6066); an IP address is checked against the certificate's IP SANs.
      ...(isIP(target.host) ? {} : { servername: target.host }),
    });
}

interface Session {
  url: string;
  openSocket: () => MqttSocket;
  clientId: string;
  username: string | undefined;
  password: string | undefined;
  topics: Topics;
  discovery: DiscoveryOptions;
}

/**
 * Reports picamd to an MQTT broker with Home Assistant discovery: availability (last will
 * "offline"), a retained state document, a privacy switch (commands QoS 1) and snapshots for an MQTT
 * camera. Reconnects with backoff; a broker that is down, slow or refusing the login never blocks
 * anything and is logged once per distinct problem, with the state in status().
 */
export class MqttService extends EventEmitter<{ status: [MqttStatus] }> {
  private current: MqttStatus = { state: 'off', message: 'not started' };
  private running = false;
  private session: Session | undefined;
  private connection: MqttConnection | undefined;
  private reconnectTimer: unknown;
  private stateTimer: unknown;
  private snapshotTimer: unknown;
  /** Following the state after a change: coalescing a burst, then the frame rate until it settles. */
  private followTimer: unknown;
  private followChecks = 0;
  private followFps: number | undefined;
  /** The state last published, less the uptime; '' after a new connection. */
  private publishedKey = '';
  private failures = 0;
  private lastLoggedProblem = '';
  private everConnected = false;
  /** The config and device identity the running session was built from. */
  private appliedKey = '';
  private readonly log: Logger;
  private readonly backoff: { initialMs: number; maxMs: number };
  private readonly readFile: (path: string, maxBytes: number) => Promise<Buffer>;

  constructor(
    private config: MqttConfig,
    private readonly deps: MqttServiceDeps,
  ) {
    super();
    this.log = deps.logger;
    this.backoff = deps.backoff ?? { initialMs: 1000, maxMs: 60_000 };
    this.readFile = deps.readFile ?? readSmallFile;
  }

  status(): MqttStatus {
    return { ...this.current };
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.appliedKey = this.keyFor(this.config);
    const url = this.config.url;
    if (url === null) {
      this.setStatus('off', 'MQTT is off (no mqtt.url)');
      return;
    }
    const session = await this.prepare(url);
    if (!this.running || !session) return;
    this.session = session;
    this.log.info(`connecting to ${url} as ${session.clientId}, topics under ${escapeForLog(session.topics.state.replace(/\/state$/, ''))}`);
    this.connect();
  }

  /** Publishes "offline" and disconnects; safe to call twice. */
  async stop(): Promise<void> {
    this.running = false;
    this.clearTimers();
    const connection = this.connection;
    this.connection = undefined;
    const session = this.session;
    this.session = undefined;
    if (connection && session) {
      connection.removeAllListeners('closed');
      await connection.close({ topic: session.topics.availability, payload: PAYLOAD_OFFLINE, retain: true });
    }
    this.failures = 0;
    this.lastLoggedProblem = '';
    this.everConnected = false;
    this.setStatus('off', 'stopped');
  }

  /** Applies a changed mqtt config (or device name) live: reconnects only when something changed. */
  async reconfigure(config: MqttConfig): Promise<void> {
    const wasRunning = this.running;
    if (wasRunning && this.appliedKey === this.keyFor(config)) return;
    if (wasRunning) await this.stop();
    this.config = config;
    if (wasRunning) await this.start();
  }

  private keyFor(config: MqttConfig): string {
    return JSON.stringify([config, this.deps.device()]);
  }

  /**
   * The state document follows the camera and privacy; a change of the MQTT settings or of the
   * device name (the discovery's device card) reconnects.
   */
  follow(events: DeviceEvents): () => void {
    const offs = [
      events.on('camera', () => this.stateChanged()),
      events.on('privacy', () => this.stateChanged()),
      events.on('settings', (next, _previous, paths) => {
        if (paths.some((p) => p.startsWith('mqtt') || p === 'server.deviceName')) void this.reconfigure(next.mqtt);
      }),
    ];
    return () => offs.forEach((off) => off());
  }

  /**
   * picamd's state changed (privacy, camera state). A burst of changes (privacy and the camera
   * pausing with it) is published once, a moment later; the frame rate is then followed until it has
   * settled, and a state equal to the one published is not sent again.
   */
  stateChanged(): void {
    this.followChecks = 0;
    this.followFps = undefined;
    if (this.followTimer === undefined) this.followTimer = this.deps.timers.setTimeout(() => this.followState(), STATE_COALESCE_MS);
  }

  private followState(): void {
    this.followTimer = undefined;
    const status = this.deps.readStatus();
    this.publishState(status, 'if-changed');
    const previous = this.followFps;
    this.followFps = status.fps;
    const moving = status.cameraState === 'starting' || previous === undefined || Math.abs(status.fps - previous) >= Math.max(1, previous * 0.05);
    if (moving && ++this.followChecks < STATE_FOLLOW_CHECKS) this.followTimer = this.deps.timers.setTimeout(() => this.followState(), STATE_FOLLOW_MS);
  }

  private async prepare(url: string): Promise<Session | undefined> {
    const parsed = parseBrokerUrl(url);
    if (!parsed.ok) {
      this.fail(`mqtt.url ${parsed.message}`);
      return undefined;
    }
    let password = this.config.password ?? undefined;
    let ca: Buffer | undefined;
    try {
      if (this.config.passwordFile !== null) {
        const text = (await this.readFile(this.config.passwordFile, 4096)).toString('utf8');
        password = text.split(/\r?\n/, 1)[0] ?? '';
      }
    } catch (err) {
      this.fail(`cannot read mqtt.passwordFile ${this.config.passwordFile}: ${errorText(err)}`);
      return undefined;
    }
    try {
      if (parsed.tls && this.config.tls.caFile !== null) ca = await this.readFile(this.config.tls.caFile, 1024 * 1024);
    } catch (err) {
      this.fail(`cannot read mqtt.tls.caFile ${this.config.tls.caFile}: ${errorText(err)}`);
      return undefined;
    }
    const device = this.deps.device();
    const topics = topicsFor(this.config.topicPrefix ?? defaultTopicPrefix(device.name));
    const target: SocketTarget = {
      host: parsed.host,
      port: parsed.port,
      tls: parsed.tls ? { ca, rejectUnauthorized: this.config.tls.rejectUnauthorized } : null,
    };
    const custom = this.deps.openSocket;
    return {
      url,
      openSocket: custom ? () => custom(target) : await nodeSocketOpener(target),
      clientId: this.config.clientId ?? defaultClientId(device.name),
      username: this.config.username ?? undefined,
      password,
      topics,
      discovery: this.discoveryFor(topics),
    };
  }

  private discoveryFor(topics: Topics): DiscoveryOptions {
    const device = this.deps.device();
    return {
      discoveryPrefix: this.config.discoveryPrefix,
      topics,
      camera: this.config.snapshotIntervalS > 0,
      device: {
        name: device.name,
        id: nodeId(device.id ?? device.name),
        model: device.model,
        swVersion: device.version,
        configurationUrl: device.configurationUrl,
      },
    };
  }

  private connect(): void {
    const session = this.session;
    if (!this.running || !session) return;
    this.setStatus('connecting', `connecting to ${session.url}`);
    const connection = new MqttConnection(
      {
        connect: {
          clientId: session.clientId,
          keepaliveS: this.deps.keepaliveS ?? 30,
          cleanSession: true,
          ...(session.username !== undefined ? { username: session.username } : {}),
          ...(session.password !== undefined ? { password: session.password } : {}),
          will: { topic: session.topics.availability, payload: PAYLOAD_OFFLINE, qos: 1, retain: true },
        },
        connectTimeoutMs: this.deps.connectTimeoutMs ?? 10_000,
        maxBufferedBytes: MAX_BUFFERED_BYTES,
        maxPacketBytes: MAX_INCOMING_PACKET_BYTES,
      },
      { openSocket: session.openSocket, timers: this.deps.timers, now: this.deps.now },
    );
    this.connection = connection;
    connection.on('connected', () => this.onConnected(connection, session));
    connection.on('message', (topic, payload, retain) => this.onMessage(session, topic, payload, retain));
    connection.on('subscribeRefused', (topic) => this.log.warn(`the broker refused the subscription to ${topic}; privacy commands will not arrive`));
    connection.on('closed', (kind, message) => this.onClosed(connection, kind, message));
    connection.open();
  }

  private onConnected(connection: MqttConnection, session: Session): void {
    if (connection !== this.connection) return;
    const again = this.everConnected || this.failures > 0;
    this.everConnected = true;
    this.failures = 0;
    this.lastLoggedProblem = '';
    this.setStatus('connected', `connected to ${session.url}`);
    this.log.info(`connected to ${session.url}${again ? ' again' : ''}`);
    connection.subscribe(session.topics.privacyCommand, PRIVACY_COMMAND_QOS);
    // Home Assistant announces its own restarts here; answer with the discovery again.
    if (this.config.discovery) connection.subscribe(`${this.config.discoveryPrefix}/status`, 0);
    this.announce(connection, session);
    this.scheduleState();
    this.scheduleSnapshot(0);
  }

  private announce(connection: MqttConnection, session: Session): void {
    const messages = this.config.discovery ? buildDiscovery(session.discovery) : buildRemoval(session.discovery);
    for (const m of messages) connection.publish(m.topic, m.payload, true);
    connection.publish(session.topics.availability, PAYLOAD_ONLINE, true);
    this.publishState();
  }

  private onMessage(session: Session, topic: string, payload: Buffer, retain: boolean): void {
    const connection = this.connection;
    if (!connection) return;
    if (topic === `${this.config.discoveryPrefix}/status`) {
      if (payload.toString('utf8') === 'online') this.announce(connection, session);
      return;
    }
    if (topic !== session.topics.privacyCommand) return;
    // A retained command is an old one the broker replays at every (re)connect: obeying it would let
    // one stale OFF switch privacy off each time picamd connects. Commands are acted on as they come.
    if (retain) {
      this.log.warn(`ignored a retained privacy command on ${escapeForLog(topic)}; commands must be sent without the retain flag (clear it: publish an empty retained message to that topic)`);
      return;
    }
    const enabled = parsePrivacyCommand(payload);
    if (enabled === null) {
      this.log.warn(`ignored privacy command "${escapeForLog(payload.toString('utf8'), 40)}" on ${escapeForLog(topic)}; send ON or OFF`);
      return;
    }
    let result: PrivacyResult;
    try {
      result = this.deps.setPrivacy(enabled, 'mqtt');
    } catch (err) {
      result = { ok: false, message: errorText(err) };
    }
    if (!result.ok) this.log.info(`privacy ${enabled ? 'on' : 'off'} from MQTT refused: ${result.message}`);
    // Either way the switch must show the real state, not the one asked for.
    this.publishState();
  }

  private onClosed(connection: MqttConnection, kind: CloseKind, message: string): void {
    if (connection !== this.connection) return;
    this.connection = undefined;
    this.cancel('stateTimer');
    this.cancel('snapshotTimer');
    if (!this.running) return;
    const delayMs = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    const wasConnected = this.current.state === 'connected';
    const problem = wasConnected ? `connection lost: ${message}` : `cannot connect to ${this.session?.url}: ${message}`;
    this.setStatus('error', problem);
    // One line per distinct problem: a broker that stays down or keeps refusing the login logs once.
    const line = `${problem}; retrying in ${Math.round(delayMs / 100) / 10} s`;
    if (problem !== this.lastLoggedProblem) this.log.warn(kind === 'refused' ? `${line} (check mqtt.username and the password)` : line);
    else this.log.debug(`${line} (attempt ${this.failures})`);
    this.lastLoggedProblem = problem;
    this.reconnectTimer = this.deps.timers.setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delayMs);
  }

  private fail(message: string): void {
    this.log.error(message);
    this.setStatus('error', message);
  }

  /** `if-changed`: not when only the uptime differs from what was last published. */
  private publishState(status: StatusSnapshot = this.deps.readStatus(), when: 'always' | 'if-changed' = 'always'): void {
    const connection = this.connection;
    const session = this.session;
    if (!connection?.isConnected || !session) return;
    const key = stateKey(status);
    if (when === 'if-changed' && key === this.publishedKey) return;
    this.publishedKey = key;
    connection.publish(session.topics.state, statePayload(status), true);
  }

  private scheduleState(): void {
    this.cancel('stateTimer');
    this.stateTimer = this.deps.timers.setTimeout(() => {
      this.stateTimer = undefined;
      this.publishState();
      if (this.connection?.isConnected) this.scheduleState();
    }, this.deps.stateIntervalMs ?? 30_000);
  }

  private scheduleSnapshot(delayMs: number): void {
    const intervalS = this.config.snapshotIntervalS;
    if (intervalS <= 0) return;
    this.cancel('snapshotTimer');
    this.snapshotTimer = this.deps.timers.setTimeout(() => {
      this.snapshotTimer = undefined;
      this.publishSnapshot();
      if (this.connection?.isConnected) this.scheduleSnapshot(intervalS * 1000);
    }, delayMs);
  }

  private publishSnapshot(): void {
    const connection = this.connection;
    const session = this.session;
    if (!connection?.isConnected || !session) return;
    // Checked at every tick: a private device sends no picture, not even one taken before.
    if (this.deps.readStatus().privacy) return;
    const jpeg = this.deps.snapshot();
    if (jpeg) connection.publish(session.topics.snapshot, jpeg, false);
  }

  private cancel(which: 'reconnectTimer' | 'stateTimer' | 'snapshotTimer' | 'followTimer'): void {
    const handle = this[which];
    if (handle !== undefined) this.deps.timers.clearTimeout(handle);
    this[which] = undefined;
  }

  private clearTimers(): void {
    this.cancel('reconnectTimer');
    this.cancel('stateTimer');
    this.cancel('snapshotTimer');
    this.cancel('followTimer');
  }

  private setStatus(state: MqttState, message: string): void {
    if (state === this.current.state && message === this.current.message) return;
    this.current = { state, message };
    this.emit('status', this.status());
  }
}
