import type { HttpResponse } from 'uWebSockets.js';

// Small helpers for complete responses. Every response of picamd is uncacheable: it describes a
// live device.

export const NO_STORE = 'no-store';

const reasons: Record<number, string> = {
  200: 'OK',
  204: 'No Content',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function statusLine(code: number): string {
  return `${code} ${reasons[code] ?? 'Unknown'}`;
}

/** Writes a whole JSON response. Call inside a handler or a cork. */
export function sendJson(
  res: HttpResponse,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
  closeConnection = false,
): void {
  res.writeStatus(statusLine(code));
  res.writeHeader('Content-Type', 'application/json; charset=utf-8');
  res.writeHeader('Cache-Control', NO_STORE);
  res.writeHeader('X-Content-Type-Options', 'nosniff');
  for (const [name, value] of Object.entries(headers)) res.writeHeader(name, value);
  res.end(JSON.stringify(body), closeConnection);
}

/** A JSON error body: `{ "error": code, "message": text }`. */
export function sendError(
  res: HttpResponse,
  code: number,
  error: string,
  message: string,
  headers: Record<string, string> = {},
  closeConnection = false,
): void {
  sendJson(res, code, { error, message }, headers, closeConnection);
}
