import {
  App,
  LIBUS_LISTEN_EXCLUSIVE_PORT,
  SSLApp,
  us_listen_socket_close,
  us_socket_local_port,
  type TemplatedApp,
  type us_listen_socket,
} from 'uWebSockets.js';
import { hostname } from 'node:os';
import { Authenticator, type ConfiguredUser } from './auth/authenticator.js';
import type { LoginLimiter } from './auth/limiter.js';
import type { Role } from '../../device/accounts/rules.js';
import { UserConnections } from './user-connections.js';
import type { ServerConfig } from '../../device/settings/schema.js';
import type { DeviceEvents } from '../../device/events.js';
import type { Logger } from '../../platform/log/logger.js';
import { realTimers, type IntervalTimers, type Now } from '../../platform/clock.js';
import type { Broadcaster } from '../../media/broadcaster.js';
import type { SnapshotResult } from '../../media/snapshot.js';
import type { VideoFeed } from '../../media/video-feed.js';
import { mjpegStream, type MjpegViewer } from '../streaming/mjpeg-route.js';
import { mp4Stream, type Mp4Viewer } from '../streaming/mp4-route.js';
import { streamReply } from '../streaming/stream-route.js';
import type { StreamViewer } from '../streaming/stream-viewer.js';
import type { Output } from '../../media/output.js';
import type { Pacer } from '../../media/viewer.js';
import { trustedProxies, type TrustedProxies } from '../../platform/net-address.js';
import { deviceHostNames } from './host.js';
import { sessionCookie } from './login.js';
import { loginRoutes } from '../routes/login.js';
import { json, NO_STORE, problem, type Response } from './response.js';
import { Router, type Gate } from './router.js';


export interface HttpDeps {
  broadcaster: Broadcaster<MjpegViewer>;
  /** The JSON document of GET /api/status. */
  status: () => unknown;
  snapshot: () => SnapshotResult;
  logger: Logger;
  now: Now;
  /** Called when a viewer joins or leaves (the page shows the count live). */
  onViewersChanged?: () => void;
  /**
   * More routes (page, API), registered on the router before the catch-all 404: they pass the same
   * login, origin check, gates and body cap as picamd's own.
   */
  routes?: ReadonlyArray<(router: Router) => void>;
  /** Device-wide conditions every non-public route passes (see Router). */
  gates?: ReadonlyArray<Gate>;
  /** Replaces the authenticator built from the users (tests use faster settings). */
  authenticator?: Authenticator;
  /** The failed-login limiter, shared with the other logins of the device (RTSP); by default its own. */
  limiter?: LoginLimiter;
  /** A password login succeeded: the accounts keep the user's Digest HA1 (see AccountsStore.rememberDigest). */
  passwordVerified?: (user: string, password: string) => void;
  /** Who may log in (the accounts store); without it, config.auth's users. Later changes: setUsers(). */
  users?: ReadonlyArray<ConfiguredUser>;
  /** A logged-in user's role (see Router); without it every user is an owner. */
  roleOf?: (user: string) => Role | undefined;
  /** Whether a user name and password are the recorder credential (taken on the snapshot); none without it. */
  recorderMatches?: (user: string, password: string) => boolean;
  /** The device is locked: the answer for every route but the page, its assets and /healthz. */
  lock?: () => Response | undefined;
  /** Long-lived connections by user, closed when the user's access ends (shared with the WebSocket hub). */
  connections?: UserConnections;
  /** The stalled-viewer sweep's timer. */
  timers?: IntervalTimers;
  /** The H.264 side: /stream.mp4 (without it, /stream.mp4 is not served). */
  video?: {
    feed: VideoFeed<Mp4Viewer>;
    codec: () => 'mjpeg' | 'h264';
    privacy: () => boolean;
    /** What one H.264 viewer may have waiting (references into the current group of pictures). */
    maxPendingBytes: number;
  };
}

/**
 * TLS 1.2 suites: forward-secret AEAD only, no CBC (Mozilla's "intermediate" list). TLS 1.3's own
 * suites are all AEAD and unaffected.
 */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/**
 * The HTTP side of picamd on uWebSockets.js: the MJPEG stream, snapshots, status and health, plus
 * whatever routes other modules add, all through one Router.
 */
export class HttpServer {
  private app: TemplatedApp | undefined;
  private listenSocket: us_listen_socket | undefined;
  private boundPort = 0;
  private sweepTimer: unknown;
  /** Between start() and stop(): viewers arm the sweep only then. */
  private serving = false;
  private readonly timers: IntervalTimers;
  private authenticator: Authenticator | undefined;
  private proxies: TrustedProxies;
  private readonly connections: UserConnections;

  constructor(
    private config: ServerConfig,
    private readonly deps: HttpDeps,
  ) {
    this.timers = deps.timers ?? realTimers;
    const users = deps.users ?? config.auth?.users ?? [];
    this.authenticator = deps.authenticator ?? (users.length > 0 ? this.newAuthenticator(users) : undefined);
    this.connections = deps.connections ?? new UserConnections();
    this.proxies = trustedProxies(config.trustedProxies);
  }

  /**
   * New server settings, applied live: the viewer limit (those watching stay), the stall timeout,
   * host names, trusted proxies and open viewing. The users come through setUsers(). The address,
   * port and TLS take effect at the next start.
   */
  follow(events: DeviceEvents): () => void {
    // Open viewing has no `applies` class of its own: the server takes it live, and the users too.
    const offSettings = events.on('settings', (next) => this.setConfig(next.server));
    const offUsers = events.on('users', (users, ended) => this.setUsers(users, ended));
    return () => {
      offSettings();
      offUsers();
    };
  }

  private newAuthenticator(users: ReadonlyArray<ConfiguredUser>): Authenticator {
    return new Authenticator({ users, limiter: this.deps.limiter, passwordVerified: this.deps.passwordVerified });
  }

  setConfig(next: ServerConfig): void {
    for (const output of this.outputs()) output.setLimit(next.maxViewers);
    this.proxies = trustedProxies(next.trustedProxies);
    this.config = next;
  }

  /**
   * The users changed (accounts store): sessions and remembered passwords of users who were removed
   * or whose password changed end, and so do their streams and WebSockets (`ended` names more the
   * caller knows of). Everyone else's carry on.
   */
  setUsers(users: ReadonlyArray<ConfiguredUser>, ended: ReadonlyArray<string> = []): void {
    const gone = new Set(ended);
    if (users.length === 0) {
      this.authenticator = undefined;
    } else if (!this.authenticator) {
      this.authenticator = this.newAuthenticator(users);
    } else {
      for (const name of this.authenticator.setUsers(users)) gone.add(name);
    }
    for (const name of gone) {
      const closed = this.connections.closeUser(name);
      if (closed > 0) this.deps.logger.info(`closed ${closed} connection(s) of a user whose access ended`);
    }
  }

  /** A session cookie for a user who just became one (first-time setup); undefined without login. */
  sessionCookieFor(user: string): string | undefined {
    return this.authenticator ? sessionCookie({ authenticator: this.authenticator, now: this.deps.now, secure: this.config.tls !== null }, user) : undefined;
  }

  get port(): number {
    return this.boundPort;
  }

  /** The page's login check (scrypt queue, cache, limiter), for the other logins of the device (ONVIF). */
  get login(): Authenticator | undefined {
    return this.authenticator;
  }

  /** Listens; resolves with the bound port (useful with port 0). */
  start(): Promise<number> {
    const { tls } = this.config;
    const users = this.authenticator?.userCount ?? 0;
    let app: TemplatedApp;
    try {
      // SSLApp reads the PEM files itself and only says "App construction failed" when it cannot;
      // main checks them first (checkTlsFiles) for a clear message.
      app = tls ? SSLApp({ cert_file_name: tls.cert, key_file_name: tls.key, ssl_ciphers: TLS12_CIPHERS }) : App();
    } catch (err) {
      return Promise.reject(new Error(`cannot start HTTPS with ${tls?.cert} and ${tls?.key}: ${(err as Error).message}`));
    }
    this.app = app;
    this.router().mount(app);
    this.serving = true;
    const scheme = tls ? 'https' : 'http';
    return new Promise((resolve, reject) => {
      // uSockets listens with SO_REUSEPORT unless told otherwise, so a second picamd (or anything
      // else) on the same port would silently share it.
      app.listen(this.config.host, this.config.port, LIBUS_LISTEN_EXCLUSIVE_PORT, (socket) => {
        if (!socket) {
          reject(new Error(`cannot listen on ${this.config.host}:${this.config.port} (in use, or no permission for a port below 1024)`));
          return;
        }
        this.listenSocket = socket;
        this.boundPort = us_socket_local_port(socket);
        this.deps.logger.info(
          `listening on ${scheme}://${this.config.host}:${this.boundPort}/` +
            (users > 0
              ? ` (login required: ${users} user${users === 1 ? '' : 's'}${this.config.openViewing ? '; open viewing' : ''})`
              : this.config.openViewing
                ? ' (open viewing: no users, no login)'
                : ' (no owner yet: only the first-run screen)'),
        );
        resolve(this.boundPort);
      });
    });
  }

  /** Stops listening and closes every connection. Safe to call twice. */
  stop(): void {
    this.serving = false;
    this.followViewers();
    if (this.listenSocket) {
      us_listen_socket_close(this.listenSocket);
      this.listenSocket = undefined;
    }
    for (const output of this.outputs()) {
      for (const viewer of output.list()) {
        output.remove(viewer);
        viewer.close();
      }
    }
    this.app?.close();
    this.app = undefined;
  }

  /** picamd's own routes, then the added ones. */
  private router(): Router {
    const { deps } = this;
    const router = new Router({
      authenticator: () => this.authenticator,
      openViewing: () => this.config.openViewing,
      logger: deps.logger,
      now: deps.now,
      secure: this.config.tls !== null,
      // The host name is read per request: the first-boot setup may set it while picamd runs.
      hosts: () => deviceHostNames(hostname(), this.config.allowedHosts),
      trustedProxies: () => this.proxies,
      roleOf: deps.roleOf,
      recorderMatches: deps.recorderMatches,
      lock: deps.lock,
      connections: this.connections,
    });
    for (const gate of deps.gates ?? []) router.addGate(gate);
    // Health checks (systemd, monitoring) need no login and reveal nothing.
    router.get('/healthz', () => json(200, { ok: true }), { public: true, ungated: true });
    loginRoutes({ authenticator: () => this.authenticator, logger: deps.logger, now: deps.now, secure: () => this.config.tls !== null })(router);
    const viewing = { viewing: true };
    const streamDeps = { logger: deps.logger, now: deps.now, maxViewers: () => this.config.maxViewers, onViewersChanged: () => {
        this.followViewers();
        deps.onViewersChanged?.();
      },
    };
    const mjpeg = mjpegStream(deps.broadcaster, deps.now);
    router.get('/stream.mjpg', (req) => streamReply(req, mjpeg, streamDeps), viewing);
    // The recorder credential too: ONVIF's GetSnapshotUri names this URL (web/onvif/media-service.ts).
    router.get('/snapshot.jpg', () => this.snapshot(), { ...viewing, recorder: true });
    if (deps.video) {
      const mp4 = mp4Stream({ ...deps.video, now: deps.now });
      router.get('/stream.mp4', (req) => streamReply(req, mp4, streamDeps), viewing);
    }
    router.get('/api/status', () => json(200, deps.status()), viewing);
    for (const add of deps.routes ?? []) add(router);
    // The URLs other tools hard-code: µStreamer's and camera-streamer's, and mjpg-streamer's (the
    // OctoPrint, Mainsail and Fluidd presets), with the same login, limits and ?fps= as ours.
    router.alias('/stream', '/stream.mjpg').alias('/snapshot', '/snapshot.jpg');
    router.rewrite('/', (query) => ({ stream: '/stream.mjpg', snapshot: '/snapshot.jpg' })[query.get('action') ?? '']);
    return router;
  }

  private snapshot() {
    const result = this.deps.snapshot();
    if ('error' in result) return problem(503, result.error, result.message, { 'Retry-After': '1' });
    return {
      status: 200,
      headers: { 'Content-Type': 'image/jpeg', 'Cache-Control': NO_STORE, 'X-Content-Type-Options': 'nosniff' },
      body: result.jpeg,
    };
  }

  /** Every output's viewers are this server's. */
  private outputs(): Array<Output<StreamViewer<Pacer<unknown>>>> {
    const { broadcaster, video } = this.deps;
    return video ? [broadcaster, video.feed] : [broadcaster];
  }

  /** True while the stalled-viewer sweep runs (tests). */
  get sweeping(): boolean {
    return this.sweepTimer !== undefined;
  }

  /**
   * The stalled-viewer sweep runs while there are viewers to sweep: with none (a camera streaming
   * to nobody, most of its day) it would only wake the process. One sweep for every viewer, not a
   * timer each: a check costs a subtraction per viewer.
   */
  private followViewers(): void {
    const wanted = this.serving && this.outputs().some((output) => output.viewerCount > 0);
    if (wanted && this.sweepTimer === undefined) {
      const stallMs = this.config.viewerStallTimeoutMs;
      this.sweepTimer = this.timers.setInterval(() => this.dropStalledViewers(), Math.min(1_000, stallMs / 4));
    } else if (!wanted && this.sweepTimer !== undefined) {
      this.timers.clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
    }
  }

  /** Disconnects viewers that have not taken a whole frame for server.viewerStallTimeoutMs. */
  private dropStalledViewers(): void {
    const { logger, now } = this.deps;
    const at = now();
    for (const viewer of this.outputs().flatMap((output) => output.list())) {
      const stalled = viewer.stalledMs(at);
      if (stalled < this.config.viewerStallTimeoutMs) continue;
      logger.info(`viewer ${viewer.id} (${viewer.remote}) took no whole frame for ${(stalled / 1000).toFixed(1)} s, disconnecting`);
      // close() runs the viewer's onAborted: removed, counted, logged there.
      viewer.close();
    }
  }
}
