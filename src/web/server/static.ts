import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, constants as zlib } from 'node:zlib';
import type { Response } from './response.js';
import type { Router } from './router.js';

// The web page's files (dist/web): read once at start, gzipped once, answered from memory. A Pi
// Zero then spends no disk reads and no compression per request.

/** Where `npm run build` puts the page: dist/web next to dist/http. */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
};

/** Worth gzipping: text. PNG and ICO are compressed already. */
const COMPRESSIBLE = new Set(['.html', '.css', '.js', '.svg', '.webmanifest']);

/**
 * Every file is revalidated on every load (a 304 is ~150 bytes on a LAN), so a page never mixes the
 * HTML of one firmware version with the script of another after an update.
 */
export const ASSET_CACHE_CONTROL = 'no-cache';

/**
 * The page itself may only run scripts, styles and connections from the device, and may not be
 * framed (a framed privacy toggle could be clickjacked). Frames (and the H.264 video) are shown from blob: URLs.
 */
export const PAGE_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' blob: data:",
  // H.264 mode: the video plays a MediaSource through a blob: URL.
  "media-src 'self' blob:",
  // 'self' covers ws:/wss: to the same host (CSP 3; Safari since 15.4); never another host.
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface StaticAsset {
  /** URL path, e.g. `/app.js`; `/index.html` is also served at `/`. */
  path: string;
  contentType: string;
  body: Buffer;
  /** Present when gzip saves bytes. */
  gzip: Buffer | undefined;
  /** Strong ETag of `body`; the gzip representation's is derived from it. */
  etag: string;
}

/** A strong ETag from the content: same bytes, same tag, across restarts and devices. */
export function strongEtag(body: Uint8Array): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
}

/** The ETag of the gzip representation: strong ETags must differ between encodings. */
export function gzipEtag(etag: string): string {
  return `${etag.slice(0, -1)}-gz"`;
}

/**
 * If-None-Match matches with the weak comparison (RFC 9110 13.1.2): `W/"x"` matches `"x"`, and `*`
 * matches anything.
 */
export function etagMatches(ifNoneMatch: string, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  const wanted = opaque(etag);
  return ifNoneMatch.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || opaque(tag) === wanted;
  });
}

/** Whether Accept-Encoding allows gzip: listed (or `*`) with a q-value above 0. */
export function acceptsGzip(acceptEncoding: string): boolean {
  let gzip: number | undefined;
  let star: number | undefined;
  for (const item of acceptEncoding.toLowerCase().split(',')) {
    const [name = '', ...params] = item.split(';').map((s) => s.trim());
    let q = 1;
    for (const param of params) {
      const m = /^q=([0-9.]+)$/.exec(param);
      if (m) q = Number(m[1]);
    }
    if (name === 'gzip' || name === 'x-gzip') gzip = q;
    else if (name === '*') star = q;
  }
  return (gzip ?? star ?? 0) > 0;
}

export function contentTypeFor(fileName: string): string | undefined {
  return CONTENT_TYPES[extname(fileName).toLowerCase()];
}

/** Hashes and (for text, when it helps) gzips one file. */
export function prepareAsset(path: string, body: Buffer, contentType: string): StaticAsset {
  let gzip: Buffer | undefined;
  if (COMPRESSIBLE.has(extname(path).toLowerCase())) {
    const packed = gzipSync(body, { level: zlib.Z_BEST_COMPRESSION });
    // Not worth a second representation (and a Vary on every cache) for a few bytes. A copy: zlib's
    // result is a view of its 16 KiB output chunk, which would be kept whole for every file (1.5 MB
    // for the page's ~100 files, most of which gzip to a few hundred bytes).
    if (packed.length < body.length * 0.9) gzip = Buffer.from(packed);
  }
  return { path, contentType, body, gzip, etag: strongEtag(body) };
}

/**
 * Reads every servable file of `dir` and its folders (the page's translation tables sit in
 * `i18n/<language>/`). Throws when index.html is missing.
 */
export function loadWebAssets(dir: string = DEFAULT_WEB_ROOT): StaticAsset[] {
  const assets: StaticAsset[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const contentType = contentTypeFor(entry.name);
    if (!contentType) continue; // source maps, declarations and whatever else is not the page
    const file = join(entry.parentPath, entry.name);
    assets.push(prepareAsset(`/${relative(dir, file).split(sep).join('/')}`, readFileSync(file), contentType));
  }
  assets.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (!assets.some((a) => a.path === '/index.html')) {
    throw new Error(`no index.html in ${dir}: run npm run build`);
  }
  return assets;
}

export interface StaticReply {
  status: 200 | 304;
  headers: Array<[string, string]>;
  /** Absent for a 304. */
  body: Buffer | undefined;
}

/** Picks the representation and answers conditional requests; no I/O. */
export function negotiate(asset: StaticAsset, request: { ifNoneMatch: string; acceptEncoding: string }): StaticReply {
  const gzip = asset.gzip !== undefined && acceptsGzip(request.acceptEncoding);
  const etag = gzip ? gzipEtag(asset.etag) : asset.etag;
  const headers: Array<[string, string]> = [
    ['ETag', etag],
    ['Cache-Control', ASSET_CACHE_CONTROL],
  ];
  if (asset.gzip) headers.push(['Vary', 'Accept-Encoding']);
  if (etagMatches(request.ifNoneMatch, etag)) return { status: 304, headers, body: undefined };
  headers.push(['Content-Type', asset.contentType], ['X-Content-Type-Options', 'nosniff']);
  if (gzip) headers.push(['Content-Encoding', 'gzip']);
  if (asset.contentType.startsWith('text/html')) {
    headers.push(['Content-Security-Policy', PAGE_SECURITY_POLICY], ['Referrer-Policy', 'no-referrer']);
  }
  return { status: 200, headers, body: gzip ? asset.gzip : asset.body };
}

/**
 * The login page's files: served to anyone, as the login page must be. They hold nothing of the
 * camera (the same files are in every release); everything else of the page needs the login.
 */
const LOGIN_PAGE_ASSETS = new Set(['/login.html', '/login.js', '/style.css', '/extras.css', '/icon.svg']);

export function isLoginPageAsset(path: string): boolean {
  return LOGIN_PAGE_ASSETS.has(path) || path.startsWith('/i18n/');
}

/**
 * Every asset at its path, with index.html also at `/` and login.html at `/login`; HEAD comes with
 * GET. The page is what a viewer opens, and before set-up it is the first-run screen, so it passes
 * the gates.
 */
export function staticRoutes(assets: ReadonlyArray<StaticAsset>): (router: Router) => void {
  return (router) => {
    for (const asset of assets) {
      const paths = asset.path === '/index.html' ? ['/', asset.path] : asset.path === '/login.html' ? ['/login', asset.path] : [asset.path];
      const options = isLoginPageAsset(asset.path) ? { public: true, ungated: true } : { viewing: true, ungated: true };
      for (const path of paths) {
        router.get(path, (req): Response => {
          const reply = negotiate(asset, { ifNoneMatch: req.headers['if-none-match'], acceptEncoding: req.headers['accept-encoding'] });
          return { status: reply.status, headers: Object.fromEntries(reply.headers), body: reply.body ?? '' };
        }, options);
      }
    }
  };
}
