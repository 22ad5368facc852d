import type { HttpRequest, HttpResponse, TemplatedApp, us_socket_context_t, WebSocketBehavior } from 'uWebSockets.js';
import type { Authenticator } from './auth/authenticator.js';
import type { Logger } from '../../platform/log/logger.js';
import type { Now } from '../../platform/clock.js';
import { collectBody, type BodyResult } from './body.js';
import { login, recorderAdmitted, sessionUser, type Admitted } from './login.js';
import { escapeForLog } from '../../platform/log/escape.js';
import { NO_PROXIES, type TrustedProxies } from '../../platform/net-address.js';
import { forwardedHosts, resolveForwarded } from './forwarded.js';
import { hostAllowed } from './host.js';
import { crossSiteReason, isStateChanging } from './origin.js';
import { captureRequest, EMPTY_BODY, type Request } from './request.js';
import { closing, problem, writeResponse, type Response } from './response.js';
import type { Role } from '../../device/accounts/rules.js';
import type { UserConnections } from './user-connections.js';
import { UploadBody, type RequestUpload } from './upload-body.js';

// The one request path. Every route is a plain function of a captured Request, registered here, and
// every request passes the same steps in this order before its route runs:
//
//   0. client      from a trusted reverse proxy: the client's address, scheme and Host it names
//   1. framing     two Content-Lengths (400), a declared body over the cap (413)
//   1b. host       a Host name the device does not answer to, in Host or (from a trusted proxy)
//                  any forwarded host (421: DNS rebinding)
//   2. origin      anything that changes state, and every WebSocket, from the device's own page (403)
//   2b. lock       a device whose accounts cannot be read answers only its ungated routes (503)
//   3. login       when login is on, unless the route is public, or is for viewing while the owner
//                  chose open viewing (401, 429, 503 busy)
//   3b. role       a viewer only watches: routes not for viewing or marked `viewer` are the owner's (403)
//   4. gates       device-wide conditions, in the order added (not set up yet: 503), except for
//                  public and ungated routes
//   5. body        read, capped at MAX_REQUEST_BODY (413), for routes that take one; an `upload`
//                  route gets its body as a stream under its own cap (Content-Length required: 411)
//   6. route       its reply; a throw is logged and answered 500
//
// Then the reply is written: a whole Response (with the session cookie when the login made one), or
// a takeover that gets the connection itself (the MJPEG stream, a WebSocket upgrade). uWebSockets.js
// stays the transport: mount() registers the routes on the app and does only the writing.

/** No route of picamd takes more than a small JSON body. */
export const MAX_REQUEST_BODY = 16 * 1024;

/** The raw connection, for the routes that keep it (stream, WebSocket). */
export interface Connection {
  res: HttpResponse;
  /** Headers every response carries (framing, HSTS); a takeover that writes a response adds them. */
  headers: Readonly<Record<string, string>>;
  /** The WebSocket context, for upgrades. */
  context: us_socket_context_t | undefined;
  /** The connection closed; called at most once. Replaces any earlier handler. */
  onAborted(handler: () => void): void;
}

export interface Takeover {
  takeover(connection: Connection): void;
  /** What HEAD answers; without it HEAD gets 405. */
  head?: Response;
}

export type Reply = Response | Takeover;

export interface Session {
  /** The logged-in user; null when login is off or the route is public. */
  user: string | null;
}

export const OWNER_ONLY_MESSAGE = 'Only an owner of this camera may do this.';

export type Handler = (req: Request, session: Session) => Reply | Promise<Reply>;

export interface RouteOptions {
  /** Answered without a login and past every gate: health, the first-run API; a function is asked per request. */
  public?: boolean | (() => boolean);
  /** Watching the camera (page, stream, snapshot, status): no login while open viewing is on. */
  viewing?: boolean;
  /** Served past the gates, e.g. before the device is set up (the page and its assets); also on a locked device. */
  ungated?: boolean;
  /** A viewer may use it too (the `viewing` routes are theirs already); every other route is the owners'. */
  viewer?: boolean | (() => boolean);
  /** The recorder credential is taken too (viewer rights; see recorderAdmitted). */
  recorder?: boolean;
  /** The route reads a request body. */
  body?: boolean;
  /**
   * The route streams a large body (req.upload) of at most this many bytes instead of reading a
   * capped one. Until the route reads it the socket is paused; a refusal before it closes the connection.
   */
  upload?: number;
}

export interface Route {
  method: string;
  pattern: string;
  handler: Handler;
  options: RouteOptions;
  /** A WebSocket upgrade: the origin check applies whatever the method. */
  upgrade: boolean;
}

/** A device-wide condition checked after the login: a Response refuses the request. */
export type Gate = (req: Request, route: Route) => Response | undefined;

export interface RouterDeps {
  /** Read per request, as users come and go; undefined: no login, every other step still applies. */
  authenticator: () => Authenticator | undefined;
  /** Whether anyone may watch without a login (routes marked `viewing`). */
  openViewing?: () => boolean;
  logger: Logger;
  now: Now;
  /** HTTPS: the session cookie gets Secure, origins must be https:, responses carry HSTS. */
  secure: boolean;
  /** The Host names the device answers to (see deviceHostNames); `*` for any; undefined: no check. */
  hosts?: () => ReadonlyArray<string>;
  /** Reverse proxies whose X-Forwarded-* and Forwarded headers are believed (see forwarded.ts). */
  trustedProxies?: () => TrustedProxies;
  /** A logged-in user's role; without it every user is an owner. An unknown user is a viewer. */
  roleOf?: (user: string) => Role | undefined;
  /** The device is locked (its accounts cannot be read): the answer for every route but the ungated ones. */
  lock?: () => Response | undefined;
  /** Whether a user name and password are the recorder credential's (routes marked `recorder`). */
  recorderMatches?: (user: string, password: string) => boolean;
  /** Where the streams of logged-in users are registered, so they close when their access ends. */
  connections?: UserConnections;
}

/** On every response: no page of another site may frame anything of the camera (clickjacking). */
const FRAME_HEADERS: Record<string, string> = { 'X-Frame-Options': 'DENY', 'Content-Security-Policy': "frame-ancestors 'none'" };
/** Under TLS: browsers keep to https for half a year once they have seen it. */
const HSTS = 'max-age=15552000';

type WebSocketRoute<T> = { pattern: string; behavior: Omit<WebSocketBehavior<T>, 'upgrade'>; upgrade: Handler; options: RouteOptions };

const METHODS = ['get', 'post', 'put', 'patch', 'del'] as const;
type Method = (typeof METHODS)[number];

export function isTakeover(reply: Reply): reply is Takeover {
  return 'takeover' in reply;
}

function isResponse(value: Admitted | Reply): value is Response {
  return 'status' in value;
}

/** f(value) now, or when the promise settles: a request that needs no waiting is answered in its handler. */
function then<T, U>(value: T | Promise<T>, f: (value: T) => U | Promise<U>): U | Promise<U> {
  return value instanceof Promise ? value.then(f) : f(value);
}

const internalError = () => problem(500, 'internal', 'Internal error; see the device log.');

export class Router {
  private readonly routes: Route[] = [];
  private readonly sockets: WebSocketRoute<unknown>[] = [];
  private readonly gates: Gate[] = [];
  private readonly rewrites = new Map<string, (query: URLSearchParams) => string | undefined>();
  private readonly everyResponse: Readonly<Record<string, string>>;

  constructor(private readonly deps: RouterDeps) {
    this.everyResponse = deps.secure ? { ...FRAME_HEADERS, 'Strict-Transport-Security': HSTS } : FRAME_HEADERS;
  }

  get(pattern: string, handler: Handler, options: RouteOptions = {}): this {
    return this.add('get', pattern, handler, options);
  }

  post(pattern: string, handler: Handler, options: RouteOptions = { body: true }): this {
    return this.add('post', pattern, handler, options);
  }

  put(pattern: string, handler: Handler, options: RouteOptions = { body: true }): this {
    return this.add('put', pattern, handler, options);
  }

  patch(pattern: string, handler: Handler, options: RouteOptions = { body: true }): this {
    return this.add('patch', pattern, handler, options);
  }

  del(pattern: string, handler: Handler, options: RouteOptions = {}): this {
    return this.add('del', pattern, handler, options);
  }

  /** A WebSocket: `upgrade` answers with a takeover that upgrades, or a refusal. */
  ws<T>(pattern: string, behavior: Omit<WebSocketBehavior<T>, 'upgrade'>, upgrade: Handler, options: RouteOptions = {}): this {
    this.sockets.push({ pattern, behavior, upgrade, options } as WebSocketRoute<unknown>);
    return this;
  }

  addGate(gate: Gate): this {
    this.gates.push(gate);
    return this;
  }

  /** The registered route for a method and pattern (tests call routes through the whole path). */
  find(method: string, pattern: string): Route | undefined {
    return this.routes.find((r) => r.method === method && r.pattern === pattern);
  }

  /** `pattern` answers as `target` does, with the same login, gates and options (tools' hard-coded URLs). */
  alias(pattern: string, target: string): this {
    for (const route of this.routes.filter((r) => r.pattern === target)) this.routes.push({ ...route, pattern });
    return this;
  }

  /**
   * A request to `pattern` whose query names another route goes to that route instead, with its
   * login, gates and options (mjpg-streamer's `/?action=stream`). `pick` returns the target pattern.
   */
  rewrite(pattern: string, pick: (query: URLSearchParams) => string | undefined): this {
    this.rewrites.set(pattern, pick);
    return this;
  }

  /** The registered WebSocket at a pattern. */
  findSocket(pattern: string): { behavior: Omit<WebSocketBehavior<unknown>, 'upgrade'>; upgrade: Handler } | undefined {
    return this.sockets.find((s) => s.pattern === pattern);
  }

  /** Steps 1 to 6 for one request. `body` is the transport's body reader, when the request has one. */
  handle(route: Route, captured: Request, body?: Promise<BodyResult>, upload?: RequestUpload): Reply | Promise<Reply> {
    if (route.options.upload === undefined) return this.steps(route, captured, body);
    // An answer before the whole body came (a refusal, a busy device): the connection closes after it.
    // It is drained meanwhile: a paused socket would never see its close, and a client reusing the
    // connection would wait.
    return then(this.steps(route, captured, body, upload), (reply) => {
      if (isTakeover(reply) || !upload) return reply;
      void upload.discard();
      return upload.complete ? reply : closing(reply);
    });
  }

  private steps(route: Route, captured: Request, body?: Promise<BodyResult>, upload?: RequestUpload): Reply | Promise<Reply> {
    const { logger } = this.deps;
    const req = this.client(captured);
    if (req.repeated.includes('content-length')) {
      return closing(problem(400, 'bad-request', 'More than one Content-Length header.'));
    }
    const cap = route.options.upload ?? MAX_REQUEST_BODY;
    if (Number(req.headers['content-length'] || 0) > cap) {
      // Answered before the body arrives, and closed: the rest of it is not worth reading.
      return closing(problem(413, 'too-large', `Request body over ${cap} bytes.`));
    }
    if (route.options.upload !== undefined && (req.headers['content-length'] === '' || req.headers['transfer-encoding'] !== '')) {
      return closing(problem(411, 'length-required', 'Send the file with a Content-Length.'));
    }
    const refusedHost = this.deps.hosts ? this.unknownHost(captured, this.deps.hosts()) : undefined;
    if (refusedHost !== undefined) {
      logger.warn(`refused ${req.method.toUpperCase()} ${escapeForLog(req.path)} from ${from(req)}: ${refusedHost.header} ${JSON.stringify(escapeForLog(refusedHost.value, 100))} is not a name of this device`);
      return problem(421, 'misdirected', 'This device does not answer to that host name; use its address or add the name to server.allowedHosts.');
    }
    if (route.upgrade || isStateChanging(req.method)) {
      const scheme = req.scheme ?? (this.deps.secure ? 'https:' : 'http:');
      const reason = crossSiteReason(req.headers.origin, req.headers.host, req.headers['sec-fetch-site'], scheme);
      if (reason) {
        logger.warn(`refused ${req.method.toUpperCase()} ${escapeForLog(req.path)} from ${from(req)}: ${escapeForLog(reason)}`);
        return problem(403, 'cross-origin', `Refused ${reason}: this device is controlled from its own page only.`);
      }
    }
    if (!route.options.ungated) {
      // Before the login: a locked device has no users to check, and must not look unclaimed.
      const locked = this.deps.lock?.();
      if (locked) return locked;
    }
    const authenticator = this.deps.authenticator();
    const isPublic = typeof route.options.public === 'function' ? route.options.public() : route.options.public;
    const open = isPublic || (route.options.viewing && this.deps.openViewing?.());
    const admitted: Admitted | Response | Promise<Admitted | Response> = !authenticator
      ? { user: '' }
      : open
        ? // Open viewing: no login asked, but a logged-in page is still known by its cookie.
          { user: isPublic ? '' : sessionUser(req, { authenticator, now: this.deps.now }) }
        : this.login(req, route, authenticator);
    return then(admitted, (who) => {
      if (isResponse(who)) return who;
      if (who.user && !isPublic && this.roleOf(who.user) !== 'owner' && !viewerMay(route)) {
        return problem(403, 'owner-only', OWNER_ONLY_MESSAGE);
      }
      if (!isPublic && !route.options.ungated) {
        for (const gate of this.gates) {
          const refusal = gate(req, route);
          if (refusal) return refusal;
        }
      }
      const read: BodyResult | Promise<BodyResult> = route.options.body && body ? body : { ok: true, body: EMPTY_BODY };
      return then(read, (result) => {
        if (!result.ok) return closing(problem(413, 'too-large', `Request body over ${MAX_REQUEST_BODY} bytes.`));
        req.body = result.body;
        if (upload) req.upload = upload;
        return then(this.run(route, req, { user: who.user || null }), (reply) => {
          if (isTakeover(reply)) return who.user && !route.upgrade ? this.tracked(reply, who.user) : reply;
          return who.setCookie ? { ...reply, headers: { ...reply.headers, 'Set-Cookie': who.setCookie } } : reply;
        });
      });
    });
  }

  private login(req: Request, route: Route, authenticator: Authenticator): Admitted | Response | Promise<Admitted | Response> {
    const deps = { authenticator, logger: this.deps.logger, now: this.deps.now, secure: this.deps.secure || req.scheme === 'https:' };
    const matches = route.options.recorder ? this.deps.recorderMatches : undefined;
    return (matches && recorderAdmitted(req, deps, matches)) || login(req, deps);
  }

  private roleOf(user: string): Role {
    return this.deps.roleOf ? (this.deps.roleOf(user) ?? 'viewer') : 'owner';
  }

  /**
   * A user's stream, registered with `connections` until it ends, so removing the user (or changing
   * their password) closes it. WebSockets register themselves (their upgrade ends this connection).
   */
  private tracked(reply: Takeover, user: string): Takeover {
    const connections = this.deps.connections;
    if (!connections) return reply;
    return {
      ...reply,
      takeover: (connection) => {
        let open = true;
        const forget = connections.add(user, () => {
          if (!open) return;
          open = false;
          // Runs the route's onAborted, which cleans the stream up as for any client that left.
          connection.res.close();
        });
        const ended = () => {
          open = false;
          forget();
        };
        connection.onAborted(ended);
        reply.takeover({ ...connection, onAborted: (handler) => connection.onAborted(() => (ended(), handler())) });
      },
    };
  }

  /**
   * Step 1b: the Host header, and from a trusted proxy every host it forwards, must be names of the
   * device. Checking only the forwarded one would let a rebound page add its own X-Forwarded-Host
   * behind a proxy that passes it on; checking only Host would let the proxy's word be ignored.
   */
  private unknownHost(captured: Request, names: ReadonlyArray<string>): { header: string; value: string } | undefined {
    if (!hostAllowed(captured.headers.host, names)) return { header: 'Host', value: captured.headers.host };
    const trusted = this.deps.trustedProxies?.() ?? NO_PROXIES;
    if (trusted.size === 0 || !trusted.has(captured.remote)) return undefined;
    const bad = forwardedHosts(captured.headers).find((host) => !hostAllowed(host, names));
    return bad === undefined ? undefined : { header: 'forwarded host', value: bad };
  }

  /** Step 0: the request as a trusted proxy describes its client; as it came from anyone else. */
  private client(req: Request): Request {
    const trusted = this.deps.trustedProxies?.() ?? NO_PROXIES;
    if (trusted.size === 0) return req;
    const view = resolveForwarded(req.remote, req.headers, trusted);
    if (view.client === req.remote && !view.scheme && !view.host) return req;
    return {
      ...req,
      remote: view.client,
      peer: req.remote,
      scheme: view.scheme,
      headers: view.host ? { ...req.headers, host: view.host } : req.headers,
    };
  }

  /** Registers every route on the app, then 405 for other methods on known paths and 404 for the rest. */
  mount(app: TemplatedApp): void {
    const patterns = new Map<string, Route[]>();
    for (const route of this.routes) {
      const list = patterns.get(route.pattern) ?? [];
      list.push(route);
      patterns.set(route.pattern, list);
      app[route.method as Method](route.pattern, (res, req) => this.dispatch(route, res, req, false, undefined));
      if (route.method === 'get') app.head(route.pattern, (res, req) => this.dispatch(route, res, req, true, undefined));
    }
    for (const socket of this.sockets) {
      const route: Route = { method: 'get', pattern: socket.pattern, handler: socket.upgrade, options: socket.options, upgrade: true };
      app.ws(socket.pattern, {
        ...socket.behavior,
        upgrade: (res, req, context) => this.dispatch(route, res, req, false, context),
      });
    }
    for (const [pattern, list] of patterns) {
      const allow = [...new Set(list.flatMap((r) => (r.method === 'get' ? ['GET', 'HEAD'] : [r.method === 'del' ? 'DELETE' : r.method.toUpperCase()])))].join(', ');
      const refuse: Route = {
        method: 'any',
        pattern,
        handler: () => problem(405, 'method-not-allowed', `Use ${allow}.`, { Allow: allow }),
        options: {
          public: list.every((r) => r.options.public === true),
          viewing: list.every((r) => r.options.viewing),
          ungated: list.every((r) => r.options.ungated),
          viewer: list.every((r) => viewerMay(r)),
        },
        upgrade: false,
      };
      app.any(pattern, (res, req) => this.dispatch(refuse, res, req, false, undefined));
    }
    // Behind the login too: without one, every path answers 401 and none can be probed.
    const notFound: Route = {
      method: 'any',
      pattern: '/*',
      handler: (req) => problem(404, 'not-found', `No such resource: ${escapeForLog(req.path)}`),
      options: {},
      upgrade: false,
    };
    app.any('/*', (res, req) => this.dispatch(notFound, res, req, false, undefined));
  }

  /** The headers every response carries; a route's own win (the page's full CSP). */
  private withBaseHeaders(response: Response): Response {
    return { ...response, headers: { ...this.everyResponse, ...response.headers } };
  }

  private add(method: Method, pattern: string, handler: Handler, options: RouteOptions): this {
    this.routes.push({ method, pattern, handler, options, upgrade: false });
    return this;
  }

  private run(route: Route, req: Request, session: Session): Reply | Promise<Reply> {
    const failed = (err: unknown): Reply => {
      this.deps.logger.error(`${req.method.toUpperCase()} ${escapeForLog(req.path)} failed: ${(err as Error)?.stack ?? err}`);
      return internalError();
    };
    try {
      const reply = route.handler(req, session);
      return reply instanceof Promise ? reply.catch(failed) : reply;
    } catch (err) {
      return failed(err);
    }
  }

  /** The transport: capture, run the steps, write the reply (corked when it came later). */
  private dispatch(asked: Route, res: HttpResponse, raw: HttpRequest, head: boolean, context: us_socket_context_t | undefined): void {
    const req = captureRequest(raw, res, paramCount(asked.pattern));
    const target = this.rewrites.get(asked.pattern)?.(req.query);
    const route = (target && this.find(asked.method, target)) || asked;
    let aborted = false;
    let onAborted: (() => void) | undefined;
    const upload = route.options.upload !== undefined && /^\d+$/.test(req.headers['content-length'])
      ? new UploadBody(res, Number(req.headers['content-length']), route.options.upload)
      : undefined;
    res.onAborted(() => {
      aborted = true;
      upload?.aborted();
      onAborted?.();
    });
    const body = route.options.body && hasBody(req) ? collectBody(res, MAX_REQUEST_BODY) : undefined;
    const connection: Connection = { res, context, headers: this.everyResponse, onAborted: (handler) => (onAborted = handler) };
    const deliver = (reply: Reply) => {
      try {
        if (!isTakeover(reply)) writeResponse(res, this.withBaseHeaders(reply), head);
        else if (!head) reply.takeover(connection);
        else writeResponse(res, this.withBaseHeaders(reply.head ?? problem(405, 'method-not-allowed', 'Use GET.', { Allow: 'GET' })), true);
      } catch (err) {
        this.deps.logger.error(`${req.method.toUpperCase()} ${escapeForLog(req.path)}: writing the answer failed: ${(err as Error)?.stack ?? err}`);
      }
    };
    const reply = this.handle(route, req, body, upload);
    if (!(reply instanceof Promise)) {
      deliver(reply);
      return;
    }
    reply.then(
      (late) => {
        if (!aborted) res.cork(() => deliver(late));
      },
      (err: unknown) => {
        this.deps.logger.error(`${req.method.toUpperCase()} ${escapeForLog(req.path)} failed: ${(err as Error)?.stack ?? err}`);
        if (!aborted) res.cork(() => deliver(internalError()));
      },
    );
  }
}

function viewerMay(route: Route): boolean {
  const viewer = route.options.viewer;
  return Boolean(route.options.viewing) || (typeof viewer === 'function' ? viewer() : Boolean(viewer));
}

/** The client for a log line, with the proxy it came through. */
function from(req: Request): string {
  return req.peer ? `${req.remote} (via ${req.peer})` : req.remote;
}

function paramCount(pattern: string): number {
  return pattern.split('/').filter((part) => part.startsWith(':')).length;
}

function hasBody(req: Request): boolean {
  return Number(req.headers['content-length'] || 0) > 0 || req.headers['transfer-encoding'] !== '';
}

/** Upgrades a request to a WebSocket with `data` as its user data; inside a takeover. */
export function upgradeTo<T>(connection: Connection, req: Request, data: T): void {
  connection.res.upgrade(
    data,
    req.headers['sec-websocket-key'],
    req.headers['sec-websocket-protocol'],
    req.headers['sec-websocket-extensions'],
    connection.context!,
  );
}
