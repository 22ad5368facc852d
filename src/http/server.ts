import {
  App,
  us_listen_socket_close,
  us_socket_local_port,
  type HttpRequest,
  type HttpResponse,
  type TemplatedApp,
  type us_listen_socket,
} from 'uWebSockets.js';
import * as uws from 'uWebSockets.js';
import type { ServerConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { Broadcaster } from '../stream/broadcaster.js';
import { STREAM_CONTENT_TYPE, STREAM_PREAMBLE } from '../stream/multipart.js';
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
  /** More routes (page, API), registered before the catch-all 404. */
  routes?: ReadonlyArray<(app: TemplatedApp) => void>;
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

  constructor(
    private readonly config: ServerConfig,
    private readonly deps: HttpDeps,
  ) {}

  get port(): number {
    return this.boundPort;
  }

  /** Listens; resolves with the bound port (useful with port 0). */
  start(): Promise<number> {
    const app = App();
    this.app = app;
    this.registerRoutes(app);
    return new Promise((resolve, reject) => {
      (app as unknown as ListenWithOptions).listen(this.config.host, this.config.port, EXCLUSIVE_PORT, (socket) => {
        if (!socket) {
          reject(new Error(`cannot listen on ${this.config.host}:${this.config.port} (in use, or no permission for a port below 1024)`));
          return;
        }
        this.listenSocket = socket;
        this.boundPort = us_socket_local_port(socket);
        this.deps.logger.info(`listening on http://${this.config.host}:${this.boundPort}/`);
        resolve(this.boundPort);
      });
    });
  }

  /** Stops listening and closes every connection. Safe to call twice. */
  stop(): void {
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

  private registerRoutes(app: TemplatedApp): void {
    const route = (pattern: string, handler: (res: HttpResponse, req: HttpRequest) => void) => {
      app.get(pattern, this.guard(handler));
      app.any(pattern, (res) => sendError(res, 405, 'method-not-allowed', 'Use GET.', { Allow: 'GET' }));
    };
    route('/stream.mjpg', (res, req) => this.stream(res, req));
    route('/snapshot.jpg', (res) => this.snapshotRoute(res));
    route('/api/status', (res) => sendJson(res, 200, this.deps.status()));
    route('/healthz', (res) => sendJson(res, 200, { ok: true }));
    for (const add of this.deps.routes ?? []) add(app);
    app.any('/*', (res, req) => sendError(res, 404, 'not-found', `No such resource: ${req.getUrl()}`));
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
      sendError(res, 503, 'too-many-viewers', `All ${this.config.maxViewers} viewer slots are taken; try again shortly.`, {
        'Retry-After': '5',
      });
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
