import type { HttpResponse } from 'uWebSockets.js';

// A whole response as a plain value, and the one function that writes it to uWebSockets.js. Routes
// return these; only the router writes them. Every response of picamd describes a live device, so
// none is cacheable unless a route says otherwise (the page's assets revalidate with ETags).

export interface Response {
  status: number;
  /** Header names as they go on the wire. */
  headers: Record<string, string>;
  body: string | Uint8Array;
  /** Close the connection after this response (refusals a flood should not keep open). */
  close?: boolean;
}

export const NO_STORE = 'no-store';

const reasons: Record<number, string> = {
  200: 'OK',
  204: 'No Content',
  303: 'See Other',
  304: 'Not Modified',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function statusLine(code: number): string {
  return `${code} ${reasons[code] ?? 'Unknown'}`;
}

/** A JSON response. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return {
    status,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': NO_STORE,
      'X-Content-Type-Options': 'nosniff',
      ...headers,
    },
    body: JSON.stringify(body),
  };
}

/** A JSON error: `{ "error": code, "message": text }`, plus any extra fields. */
export function problem(
  status: number,
  error: string,
  message: string,
  headers: Record<string, string> = {},
  extra: Record<string, unknown> = {},
): Response {
  return json(status, { error, message, ...extra }, headers);
}

/** The same response, closing the connection after it. */
export function closing(response: Response): Response {
  return { ...response, close: true };
}

/**
 * Writes a response; inside a uWebSockets.js handler, or inside res.cork after one returned. For
 * HEAD the headers go out with the body's length and no body.
 */
export function writeResponse(res: HttpResponse, response: Response, head = false): void {
  res.writeStatus(statusLine(response.status));
  for (const name in response.headers) res.writeHeader(name, response.headers[name]!);
  if (head || response.status === 304 || response.status === 204) {
    // endWithoutBody(length) aborts the process in uws-pack 20.0.8; the header by hand works.
    if (head) res.writeHeader('Content-Length', String(byteLength(response.body)));
    res.endWithoutBody();
    return;
  }
  res.end(response.body, response.close);
}

function byteLength(body: string | Uint8Array): number {
  return typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
}
