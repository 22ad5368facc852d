import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { RequestUpload } from './upload-body.js';

// Every request is captured once into a plain value: what picamd reads of it and nothing else. It
// outlives the uWebSockets.js callback (an HttpRequest is valid only during that call), so a request
// held for a password check or a body needs no copy-on-demand, and routes are plain functions of it
// that tests call without a server.

/** The headers picamd reads; any other header is never looked at. */
export const USED_HEADERS = [
  'host',
  'origin',
  'sec-fetch-site',
  'sec-fetch-dest',
  'accept',
  'accept-encoding',
  'authorization',
  'cookie',
  'if-none-match',
  'if-match',
  'content-type',
  'content-length',
  'transfer-encoding',
  'sec-websocket-key',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  // A reverse proxy's: believed only from server.trustedProxies (forwarded.ts).
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'forwarded',
  'via',
] as const;

export type UsedHeader = (typeof USED_HEADERS)[number];

const used = new Set<string>(USED_HEADERS);

/**
 * Lists whose repeated lines are one list in order (RFC 9110 5.3): a proxy may add its own line, and
 * the last entry is the one that counts, so a repeat must not hide it behind the client's first line.
 */
const LIST_HEADERS = new Set<string>(['x-forwarded-for', 'forwarded', 'via']);

export interface Request {
  /** Lower case, as uWebSockets.js gives it: `get`, `post`, … */
  readonly method: string;
  /** The URL's path, without the query. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** The used headers, '' when absent. When a header came more than once, its first value. */
  readonly headers: Readonly<Record<UsedHeader, string>>;
  /** Headers that came more than once, of those picamd reads (two Content-Lengths are refused). */
  readonly repeated: ReadonlyArray<UsedHeader>;
  /** The route pattern's `:name` parameters, in order. */
  readonly params: ReadonlyArray<string>;
  /**
   * The client's address as text (IPv4, or IPv6 in full form): the TCP peer, or the client a
   * trusted proxy names (the router resolves it; see forwarded.ts).
   */
  readonly remote: string;
  /** The TCP peer, when it is a trusted proxy that named another client in `remote`. */
  readonly peer?: string;
  /** The scheme the client used, when a trusted proxy said so (X-Forwarded-Proto). */
  readonly scheme?: 'http:' | 'https:';
  /** The request body, capped by the router; empty for routes that take none. */
  body: Buffer;
  /** The streamed body of a route with the `upload` option (an update file), set just before the route runs. */
  upload?: RequestUpload;
}

/** The peer's address of a uWebSockets.js response. */
export function remoteAddress(res: HttpResponse): string {
  return Buffer.from(res.getRemoteAddressAsText()).toString();
}

/** Reads a uWebSockets.js request into a Request; call inside its handler. */
export function captureRequest(req: HttpRequest, res: HttpResponse, paramCount = 0): Request {
  const headers = Object.fromEntries(USED_HEADERS.map((name) => [name, ''])) as Record<UsedHeader, string>;
  const seen = new Set<string>();
  const repeated: UsedHeader[] = [];
  req.forEach((key, value) => {
    if (!used.has(key)) return;
    if (seen.has(key)) {
      if (!repeated.includes(key as UsedHeader)) repeated.push(key as UsedHeader);
      if (LIST_HEADERS.has(key)) headers[key as UsedHeader] += `, ${value}`;
      return;
    }
    seen.add(key);
    headers[key as UsedHeader] = value;
  });
  const params: string[] = [];
  for (let i = 0; i < paramCount; i++) params.push(decodeParam(req.getParameter(i) ?? ''));
  return {
    method: req.getMethod(),
    path: req.getUrl(),
    query: new URLSearchParams(req.getQuery() ?? ''),
    headers,
    repeated,
    params,
    remote: remoteAddress(res),
    body: EMPTY_BODY,
  };
}

export const EMPTY_BODY = Buffer.alloc(0);

function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
