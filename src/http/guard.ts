import type { HttpRequest, HttpResponse, TemplatedApp, us_socket_context_t, WebSocketBehavior } from 'uWebSockets.js';
import type { Authenticator, AuthOutcome } from '../auth/authenticator.js';
import { clientKey, cookieValue, loggableName } from '../auth/headers.js';
import type { Logger } from '../log/logger.js';
import { sendError } from './respond.js';

// The gate every request passes before its route (all but /healthz): a cap on request bodies, a
// same-origin check for anything that changes state, and, when server.auth is set, a login.
//
// Login is HTTP Basic, so <img>, ffmpeg, VLC, Home Assistant and go2rtc work with
// http://user:pass@host/stream.mjpg. A browser that loads the page with Basic credentials also gets
// a session cookie (HttpOnly, SameSite=Strict), which then carries the stream, the API and the
// WebSocket. Checking a password runs scrypt off the event loop; while it runs the request is held
// (headers copied, body buffered up to the cap), then the route runs as if it had been called at once.

export const SESSION_COOKIE = 'picamd_session';
export const REALM = 'picamd';
/** No route of picamd takes more than a small JSON body. */
export const MAX_REQUEST_BODY = 16 * 1024;

type Handler = (res: HttpResponse, req: HttpRequest) => void | Promise<void>;
type UpgradeHandler = (res: HttpResponse, req: HttpRequest, context: us_socket_context_t) => void | Promise<void>;

/** Methods that may change state; these must come from the device's own page (or no page at all). */
export function isStateChanging(method: string): boolean {
  return !['get', 'head', 'options'].includes(method.toLowerCase());
}

/** `host[:port]` as URL would normalise it for this scheme (default port dropped, lower case). */
function normalHost(host: string, protocol: string): string | undefined {
  try {
    return new URL(`${protocol}//${host}`).host;
  } catch {
    return undefined;
  }
}

/**
 * Whether a request that changes state comes from the device's own page, or from no page at all
 * (curl, Home Assistant): undefined when it may proceed, else the reason it may not. Browsers send
 * Origin with every POST and WebSocket; an Origin naming another site, or "null" (sandboxed frames,
 * file: pages), is another site driving the visitor's browser (CSRF, cross-site WebSocket hijacking).
 * Without Origin, Sec-Fetch-Site still tells a cross-site request from a browser apart.
 */
export function crossSiteReason(origin: string, host: string, secFetchSite: string): string | undefined {
  if (!origin) {
    return secFetchSite === 'cross-site' || secFetchSite === 'same-site' ? `a request from another site (Sec-Fetch-Site: ${secFetchSite})` : undefined;
  }
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return `a request from an unknown origin (${origin.slice(0, 100)})`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `a request from an unknown origin (${origin.slice(0, 100)})`;
  if (!host || url.host !== normalHost(host, url.protocol)) return `a request from another site (${url.origin})`;
  return undefined;
}

/** Whether this is a browser loading a page, which is when a session cookie is worth setting. */
export function isPageLoad(req: Pick<HttpRequest, 'getHeader' | 'getMethod'>): boolean {
  if (req.getMethod() !== 'get') return false;
  const dest = req.getHeader('sec-fetch-dest');
  if (dest) return dest === 'document';
  return req.getHeader('accept').includes('text/html');
}

/**
 * A copy of what a handler reads from a request, usable after the handler returns (a uWebSockets.js
 * HttpRequest is valid only during its callback).
 */
export function captureRequest(req: HttpRequest): HttpRequest {
  const headers = new Map<string, string>();
  req.forEach((key, value) => {
    if (!headers.has(key)) headers.set(key, value);
  });
  const url = req.getUrl();
  const method = req.getMethod();
  const caseSensitiveMethod = req.getCaseSensitiveMethod();
  const query = req.getQuery() ?? '';
  const parameters: string[] = [];
  for (let i = 0; i < 8; i++) {
    const value = req.getParameter(i);
    if (value === undefined) break;
    parameters.push(value);
  }
  const search = new URLSearchParams(query);
  const captured = {
    getHeader: (key: string) => headers.get(String(key).toLowerCase()) ?? '',
    getParameter: (index: number | string) => (typeof index === 'number' ? parameters[index] : undefined),
    getUrl: () => url,
    getMethod: () => method,
    getCaseSensitiveMethod: () => caseSensitiveMethod,
    getQuery: (key?: string) => (key === undefined ? query : (search.get(key) ?? undefined)),
    forEach: (cb: (key: string, value: string) => void) => headers.forEach((value, key) => cb(key, value)),
    setYield: () => captured,
  };
  return captured as unknown as HttpRequest;
}

/**
 * The response with some methods replaced. Everything else goes to the real response, bound to it
 * (native methods need their own `this`); bound functions are made once per method.
 */
function overlay(res: HttpResponse, overrides: Partial<Record<keyof HttpResponse, unknown>>): HttpResponse {
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(res, {
    get(target, prop) {
      if (Object.hasOwn(overrides, prop)) return overrides[prop as keyof HttpResponse];
      let value = bound.get(prop);
      if (value !== undefined) return value;
      value = Reflect.get(target, prop);
      if (typeof value === 'function') {
        value = value.bind(target);
        bound.set(prop, value);
      }
      return value;
    },
  });
}

/** The response, with a Set-Cookie header added to whatever the route answers. */
function withCookie(res: HttpResponse, cookie: string): HttpResponse {
  let written = false;
  const ensureStatus = (status = '200 OK') => {
    if (written) return;
    written = true;
    res.writeStatus(status);
    res.writeHeader('Set-Cookie', cookie);
  };
  const proxy: HttpResponse = overlay(res, {
    writeStatus: (status: string) => {
      ensureStatus(status);
      return proxy;
    },
    writeHeader: (key: string, value: string) => {
      ensureStatus();
      res.writeHeader(key, value);
      return proxy;
    },
    end: (body?: string, close?: boolean) => {
      ensureStatus();
      res.end(body, close);
      return proxy;
    },
    endWithoutBody: (length?: number, close?: boolean) => {
      ensureStatus();
      res.endWithoutBody(length, close);
      return proxy;
    },
    tryEnd: (body: string, total: number) => {
      ensureStatus();
      return res.tryEnd(body, total);
    },
  });
  return proxy;
}

/** A request held while its password is checked: aborts noted, the body kept for the route. */
class HeldRequest {
  aborted = false;
  overflow = false;
  private onAbortedByRoute: (() => void) | undefined;
  private chunks: Buffer[] = [];
  private size = 0;
  private complete = false;
  private sink: ((chunk: ArrayBuffer, isLast: boolean) => void) | undefined;

  constructor(
    private readonly res: HttpResponse,
    expectBody: boolean,
  ) {
    res.onAborted(() => {
      this.aborted = true;
      this.onAbortedByRoute?.();
    });
    if (expectBody) {
      res.onData((chunk, isLast) => {
        if (this.sink) return this.sink(chunk, isLast);
        this.size += chunk.byteLength;
        if (this.size > MAX_REQUEST_BODY) {
          this.overflow = true;
          this.chunks = [];
          return;
        }
        if (!this.overflow) this.chunks.push(Buffer.from(new Uint8Array(chunk).slice()));
        this.complete = isLast;
      });
    }
  }

  /** The response as the route sees it: its onAborted and onData hook into ours. */
  response(): HttpResponse {
    return overlay(this.res, {
      onAborted: (handler: () => void) => {
        this.onAbortedByRoute = handler;
        return this.res;
      },
      onData: (handler: (chunk: ArrayBuffer, isLast: boolean) => void) => {
        const chunks = this.chunks;
        this.chunks = [];
        chunks.forEach((chunk, i) => {
          const copy = chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength) as ArrayBuffer;
          handler(copy, this.complete && i === chunks.length - 1);
        });
        if (!this.complete) this.sink = handler;
        return this.res;
      },
    });
  }
}

export interface GuardDeps {
  /** Undefined: no login (server.auth is null); the body cap and origin check still apply. */
  authenticator: Authenticator | undefined;
  logger: Logger;
  now: () => number;
  /** HTTPS: the session cookie gets Secure. */
  secure: boolean;
}

export class RequestGuard {
  constructor(private readonly deps: GuardDeps) {}

  /** Wraps a route handler. */
  http(handler: Handler): Handler {
    return (res, req) => this.admit(res, req, false, (r, q) => handler(r, q));
  }

  /** Wraps a WebSocket upgrade handler (or uWebSockets.js's default upgrade when there is none). */
  upgrade(handler: UpgradeHandler | undefined): UpgradeHandler {
    const upgrade = handler ?? defaultUpgrade;
    return (res, req, context) => this.admit(res, req, true, (r, q) => upgrade(r, q, context));
  }

  /**
   * The app as routes see it: every route and WebSocket registered through it is guarded. Give this
   * to route modules instead of the app.
   */
  app(app: TemplatedApp): TemplatedApp {
    const methods = new Set(['get', 'post', 'put', 'del', 'patch', 'head', 'options', 'any', 'connect', 'trace']);
    const guarded: TemplatedApp = new Proxy(app, {
      get: (target, prop) => {
        if (typeof prop === 'string' && methods.has(prop)) {
          return (pattern: string, handler: Handler) => {
            (target[prop as 'get'] as (p: string, h: Handler) => TemplatedApp).call(target, pattern, this.http(handler));
            return guarded;
          };
        }
        if (prop === 'ws') {
          return <T>(pattern: string, behavior: WebSocketBehavior<T>) => {
            target.ws<T>(pattern, { ...behavior, upgrade: this.upgrade(behavior.upgrade) });
            return guarded;
          };
        }
        const value = Reflect.get(target, prop);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    return guarded;
  }

  private admit(res: HttpResponse, req: HttpRequest, isUpgrade: boolean, run: (res: HttpResponse, req: HttpRequest) => unknown): void {
    const { authenticator, logger } = this.deps;
    const method = req.getMethod();
    const declared = Number(req.getHeader('content-length') || 0);
    if (declared > MAX_REQUEST_BODY) {
      // Answer before the body arrives, and close: the rest of it is not worth reading.
      sendError(res, 413, 'too-large', `Request body over ${MAX_REQUEST_BODY} bytes.`, {}, true);
      return;
    }
    if (isUpgrade || isStateChanging(method)) {
      const reason = crossSiteReason(req.getHeader('origin'), req.getHeader('host'), req.getHeader('sec-fetch-site'));
      if (reason) {
        logger.warn(`refused ${method.toUpperCase()} ${req.getUrl()} from ${remoteOf(res)}: ${reason}`);
        sendError(res, 403, 'cross-origin', `Refused ${reason}: this device is controlled from its own page only.`);
        return;
      }
    }
    if (!authenticator) {
      run(res, req);
      return;
    }
    const remote = remoteOf(res);
    const outcome = authenticator.authenticate(
      {
        authorization: req.getHeader('authorization'),
        sessionToken: cookieValue(req.getHeader('cookie'), SESSION_COOKIE),
        client: clientKey(remote),
      },
      this.deps.now(),
    );
    if (!(outcome instanceof Promise)) {
      this.proceed(outcome, res, req, remote, run);
      return;
    }
    const held = new HeldRequest(res, declared > 0 || req.getHeader('transfer-encoding') !== '');
    const captured = captureRequest(req);
    outcome.then(
      (result) => {
        if (held.aborted) return;
        res.cork(() => {
          if (held.overflow) {
            sendError(res, 413, 'too-large', `Request body over ${MAX_REQUEST_BODY} bytes.`, {}, true);
            return;
          }
          if (result.kind === 'ok') logger.info(`${result.user} logged in from ${remote}`);
          this.proceed(result, held.response(), captured, remote, run);
        });
      },
      (err: unknown) => {
        logger.error(`checking a password failed: ${(err as Error)?.stack ?? err}`);
        if (!held.aborted) res.cork(() => sendError(res, 500, 'internal', 'Internal error; see the device log.'));
      },
    );
  }

  private proceed(
    outcome: AuthOutcome,
    res: HttpResponse,
    req: HttpRequest,
    remote: string,
    run: (res: HttpResponse, req: HttpRequest) => unknown,
  ): void {
    const { logger } = this.deps;
    switch (outcome.kind) {
      case 'ok': {
        let response = res;
        if (outcome.via === 'password' && isPageLoad(req)) {
          const token = this.deps.authenticator!.createSession(outcome.user, this.deps.now());
          const cookie = `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict${this.deps.secure ? '; Secure' : ''}`;
          response = withCookie(res, cookie);
        }
        try {
          run(response, req);
        } catch (err) {
          // A route answering after a password check runs outside uWebSockets.js's own handler call.
          logger.error(`${req.getMethod().toUpperCase()} ${req.getUrl()} failed: ${(err as Error)?.stack ?? err}`);
          try {
            sendError(res, 500, 'internal', 'Internal error; see the device log.');
          } catch {
            // Already answered or gone.
          }
        }
        return;
      }
      case 'missing':
        challenge(res, 'This camera needs a user name and password.');
        return;
      case 'denied': {
        const wait = outcome.delayMs > 0 ? `; next try allowed in ${Math.ceil(outcome.delayMs / 1000)} s` : '';
        logger.warn(`failed login as ${loggableName(outcome.user)} from ${remote} (${outcome.failures} in a row${wait})`);
        challenge(res, 'Wrong user name or password.');
        return;
      }
      case 'limited': {
        const seconds = Math.max(1, Math.ceil(outcome.retryAfterMs / 1000));
        logger.debug(`login from ${remote} refused: ${outcome.failures} failures, ${seconds} s to wait`);
        sendError(res, 429, 'too-many-failures', `Too many failed logins from your address; try again in ${seconds} s.`, {
          'Retry-After': String(seconds),
        });
        return;
      }
      case 'busy':
        sendError(res, 503, 'busy', 'Checking other logins; try again in a moment.', { 'Retry-After': '1' });
        return;
    }
  }
}

function challenge(res: HttpResponse, message: string): void {
  sendError(res, 401, 'unauthorized', message, { 'WWW-Authenticate': `Basic realm="${REALM}", charset="UTF-8"` });
}

function remoteOf(res: HttpResponse): string {
  return Buffer.from(res.getRemoteAddressAsText()).toString();
}

function defaultUpgrade(res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void {
  res.upgrade(
    {},
    req.getHeader('sec-websocket-key'),
    req.getHeader('sec-websocket-protocol'),
    req.getHeader('sec-websocket-extensions'),
    context,
  );
}
