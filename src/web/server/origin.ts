import type { Request } from './request.js';

// Whether a request comes from the device's own page. Pure functions of request headers.

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
 * Without Origin, Sec-Fetch-Site still tells a cross-site request from a browser apart. `scheme` is
 * the server's own.
 */
export function crossSiteReason(origin: string, host: string, secFetchSite: string, scheme: 'http:' | 'https:'): string | undefined {
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
  // Scheme, host and port: under TLS a page at http://<device> is another origin, and could be
  // anyone's on the path.
  if (url.protocol !== scheme || !host || url.host !== normalHost(host, url.protocol)) return `a request from another site (${url.origin})`;
  return undefined;
}

/** Whether this is a browser loading a page, which is when a session cookie is worth setting. */
export function isPageLoad(req: Pick<Request, 'method' | 'headers'>): boolean {
  if (req.method !== 'get') return false;
  const dest = req.headers['sec-fetch-dest'];
  if (dest) return dest === 'document';
  return req.headers.accept.includes('text/html');
}
