import { EMPTY_BODY, USED_HEADERS, type Request, type UsedHeader } from '../../src/web/server/request.js';

/** A Request from plain parts, as the transport would capture it. */
export function makeRequest(parts: Partial<Omit<Request, 'headers' | 'query'>> & { headers?: Partial<Record<UsedHeader, string>>; query?: string }): Request {
  const headers = Object.fromEntries(USED_HEADERS.map((name) => [name, parts.headers?.[name] ?? ''])) as Record<UsedHeader, string>;
  return {
    method: parts.method ?? 'get',
    path: parts.path ?? '/',
    query: new URLSearchParams(parts.query ?? ''),
    headers,
    repeated: parts.repeated ?? [],
    params: parts.params ?? [],
    remote: parts.remote ?? '127.0.0.1',
    body: parts.body ?? EMPTY_BODY,
  };
}
