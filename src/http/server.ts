import {
  App,
  SSLApp,
  us_listen_socket_close,
  us_socket_local_port,
  type HttpRequest,
  type HttpResponse,
  type TemplatedApp,
  type us_listen_socket,
} from 'uWebSockets.js';
import * as uws from 'uWebSockets.js';
import { Authenticator } from '../auth/authenticator.js';
import type { ServerConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { Broadcaster } from '../stream/broadcaster.js';
import { STREAM_CONTENT_TYPE, STREAM_PREAMBLE } from '../stream/multipart.js';
import { RequestGuard } from './guard.js';
import { MjpegViewer, UNBOUNDED_BODY } from './mjpeg-viewer.js';
import { NO_STORE, sendError, sendJson, statusLine } from './respond.js';

/** Why there is no snapshot, when there is none. */
export type SnapshotResult = { jpeg: Buffer } | { error: string; message: string };

export interface HttpDeps {
  broadcaster: Broadcaster<MjpegViewer>;
  /** The JSON document of GET /api/status. */
  status: () => unknown;
  snapshot: () => SnapshotResult;
  logger: Logger;
  now: () => number;
  /** Called when a viewer joins or leaves (the page shows the count live). */
  onViewersChanged?: () => void;
  /**
   * More routes (page, API), registered before the catch-all 404. They get the app through the
   * request guard: whatever they register (HTTP routes, WebSocket upgrades) needs a login when
   * server.auth is set, and state changes must come from the device's own page.
   */
  routes?: ReadonlyArray<(app: TemplatedApp) => void>;
  /** Replaces the authenticator built from config.auth (tests use faster settings). */
  authenticator?: Authenticator;
  /** The stalled-viewer sweep's timer; the globals by default. */
  timers?: SweepTimers;
}

export interface SweepTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** A new viewer is sent the newest frame at once when it is at most this old. */
const FRESH_FRAME_MS = 2_000;

const MAX_FPS_CAP = 120;

/** Parses `?fps=N`: undefined when absent, NaN when invalid. */
export function parseFpsCap(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+(\.\d+)?$/.test(raw)) return Number.NaN;
  const fps = Number(raw);
  return fps > 0 && fps <= MAX_FPS_CAP ? fps : Number.NaN;
}

/**
 * uSockets listens with SO_REUSEPORT unless told otherwise, so a second picamd (or anything else) on
 * the same port would silently share it. The native listen takes (host, port, options, cb); the
 * shipped typings only declare options without a host.
 */
type ListenWithOptions = {
  listen(host: string, port: number, options: number, cb: (socket: us_listen_socket | false) => void): unknown;
};
// The typings declare this as an enum member; the module exports it as a plain constant.
const EXCLUSIVE_PORT = (uws as unknown as { LIBUS_LISTEN_EXCLUSIVE_PORT: number }).LIBUS_LISTEN_EXCLUSIVE_PORT;

function remoteAddress(res: HttpResponse): string {
  return Buffer.from(res.getRemoteAddressAsText()).toString();
}

/**
 * The HTTP side of picamd on uWebSockets.js: the MJPEG stream, snapshots, status and health, plus
 * whatever routes other modules add.
 */
export class HttpServer {
  private app: TemplatedApp | undefined;
  private listenSocket: us_listen_socket | undefined;
  private boundPort = 0;
  private sweepTimer: unknown;

  constructor(
    private readonly config: ServerConfig,
    private readonly deps: HttpDeps,
  ) {}

  get port(): number {
    return this.boundPort;
  }

  /** Listens; resolves with the bound port (useful with port 0). */
  start(): Promise<number> {
    const { tls, auth } = this.config;
    let app: TemplatedApp;
    try {
      // SSLApp reads the PEM files itself and only says "App construction failed" when it cannot;
      // main checks them first (checkTlsFiles) for a clear message.
      app = tls ? SSLApp({ cert_file_name: tls.cert, key_file_name: tls.key }) : App();
    } catch (err) {
      return Promise.reject(new Error(`cannot start HTTPS with ${tls?.cert} and ${tls?.key}: ${(err as Error).message}`));
    }
    this.app = app;
    const authenticator = this.deps.authenticator ?? (auth ? new Authenticator({ users: auth.users }) : undefined);
    this.registerRoutes(app, new RequestGuard({ authenticator, logger: this.deps.logger, now: this.deps.now, secure: tls !== null }));
    const timers = this.deps.timers ?? { setInterval, clearInterval: (h: unknown) => clearInterval(h as NodeJS.Timeout) };
    const stallMs = this.config.viewerStallTimeoutMs;
    // One sweep for every viewer, not a timer each: a check costs a subtraction per viewer.
    this.sweepTimer = timers.setInterval(() => this.dropStalledViewers(), Math.min(1_000, stallMs / 4));
    const scheme = tls ? 'https' : 'http';
    return new Promise((resolve, reject) => {
      (app as unknown as ListenWithOptions).listen(this.config.host, this.config.port, EXCLUSIVE_PORT, (socket) => {
        if (!socket) {
          reject(new Error(`cannot listen on ${this.config.host}:${this.config.port} (in use, or no permission for a port below 1024)`));
          return;
        }
        this.listenSocket = socket;
        this.boundPort = us_socket_local_port(socket);
        this.deps.logger.info(
          `listening on ${scheme}://${this.config.host}:${this.boundPort}/` +
            (auth ? ` (login required: ${auth.users.length} user${auth.users.length === 1 ? '' : 's'})` : ' (no login: server.auth is not set)'),
        );
        resolve(this.boundPort);
      });
    });
  }

  /** Stops listening and closes every connection. Safe to call twice. */
  stop(): void {
    if (this.sweepTimer !== undefined) {
      (this.deps.timers ?? { clearInterval: (h: unknown) => clearInterval(h as NodeJS.Timeout) }).clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
    }
    if (this.listenSocket) {
      us_listen_socket_close(this.listenSocket);
      this.listenSocket = undefined;
    }
    for (const viewer of this.deps.broadcaster.list()) {
      this.deps.broadcaster.remove(viewer);
      viewer.close();
    }
    this.app?.close();
    this.app = undefined;
  }

  private registerRoutes(app: TemplatedApp, guard: RequestGuard): void {
    const route = (on: TemplatedApp, pattern: string, handler: (res: HttpResponse, req: HttpRequest) => void) => {
      on.get(pattern, this.guard(handler));
      on.any(pattern, (res) => sendError(res, 405, 'method-not-allowed', 'Use GET.', { Allow: 'GET' }));
    };
    // Health checks (systemd, monitoring) need no login and reveal nothing.
    route(app, '/healthz', (res) => sendJson(res, 200, { ok: true }));
    const guarded = guard.app(app);
    route(guarded, '/stream.mjpg', (res, req) => this.stream(res, req));
    route(guarded, '/snapshot.jpg', (res) => this.snapshotRoute(res));
    route(guarded, '/api/status', (res) => sendJson(res, 200, this.deps.status()));
    for (const add of this.deps.routes ?? []) add(guarded);
    // Behind the guard too: without a login, every path answers 401 and none can be probed.
    guarded.any('/*', (res, req) => sendError(res, 404, 'not-found', `No such resource: ${req.getUrl()}`));
  }

  /** Disconnects viewers that have not taken a whole frame for server.viewerStallTimeoutMs. */
  private dropStalledViewers(): void {
    const { broadcaster, logger, now } = this.deps;
    const at = now();
    for (const viewer of broadcaster.list()) {
      const stalled = viewer.stalledMs(at);
      if (stalled < this.config.viewerStallTimeoutMs) continue;
      logger.info(`viewer ${viewer.id} (${viewer.remote}) took no whole frame for ${(stalled / 1000).toFixed(1)} s, disconnecting`);
      // close() runs the viewer's onAborted: removed, counted, logged there.
      viewer.close();
    }
  }

  /** Catches what a handler throws, so a bug in one request answers 500 instead of ending picamd. */
  private guard(handler: (res: HttpResponse, req: HttpRequest) => void) {
    return (res: HttpResponse, req: HttpRequest) => {
      try {
        handler(res, req);
      } catch (err) {
        this.deps.logger.error(`${req.getMethod().toUpperCase()} ${req.getUrl()} failed: ${(err as Error).stack ?? err}`);
        try {
          sendError(res, 500, 'internal', 'Internal error; see the device log.');
        } catch {
          // The response was already under way or gone; nothing more to send.
        }
      }
    };
  }

  private stream(res: HttpResponse, req: HttpRequest): void {
    const { broadcaster, logger, now } = this.deps;
    const fps = parseFpsCap(req.getQuery('fps'));
    if (Number.isNaN(fps)) {
      sendError(res, 400, 'bad-fps', `fps must be a number above 0 and at most ${MAX_FPS_CAP}.`);
      return;
    }
    if (broadcaster.full) {
      // Closed at once: a refused client holds no socket, and a flood of them costs nothing more.
      sendError(
        res,
        503,
        'too-many-viewers',
        `All ${this.config.maxViewers} viewer slots are taken; try again shortly.`,
        { 'Retry-After': '5' },
        true,
      );
      return;
    }
    const remote = remoteAddress(res);
    const viewer = new MjpegViewer(broadcaster.allocateId(), res, now, fps ? 1000 / fps : 0, remote);
    res.onAborted(() => {
      viewer.markClosed();
      broadcaster.remove(viewer);
      const s = viewer.stats();
      logger.info(
        `viewer ${s.id} (${remote}) left after ${(s.connectedMs / 1000).toFixed(1)} s: ` +
          `${s.delivered} frames delivered, ${s.skipped} skipped; ${broadcaster.viewerCount} watching`,
      );
      this.deps.onViewersChanged?.();
    });
    res.writeStatus(statusLine(200));
    res.writeHeader('Content-Type', STREAM_CONTENT_TYPE);
    res.writeHeader('Cache-Control', `${NO_STORE}, no-cache, must-revalidate`);
    res.writeHeader('Pragma', 'no-cache');
    res.writeHeader('X-Content-Type-Options', 'nosniff');
    res.tryEnd(STREAM_PREAMBLE, UNBOUNDED_BODY);
    broadcaster.add(viewer, FRESH_FRAME_MS);
    logger.info(`viewer ${viewer.id} (${remote}) joined${fps ? ` at up to ${fps} fps` : ''}; ${broadcaster.viewerCount} watching`);
    this.deps.onViewersChanged?.();
  }

  private snapshotRoute(res: HttpResponse): void {
    const result = this.deps.snapshot();
    if ('error' in result) {
      sendError(res, 503, result.error, result.message, { 'Retry-After': '1' });
      return;
    }
    res.writeStatus(statusLine(200));
    res.writeHeader('Content-Type', 'image/jpeg');
    res.writeHeader('Cache-Control', NO_STORE);
    res.writeHeader('X-Content-Type-Options', 'nosniff');
    res.end(result.jpeg);
  }
}
