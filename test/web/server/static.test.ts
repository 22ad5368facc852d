import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import {
  acceptsGzip,
  contentTypeFor,
  etagMatches,
  gzipEtag,
  loadWebAssets,
  negotiate,
  prepareAsset,
  staticRoutes,
  strongEtag,
} from '../../../src/web/server/static.js';
import { startServer, type TestServer } from '../../fakes/server.js';

test('a strong ETag depends on the content only', () => {
  const a = strongEtag(Buffer.from('hello'));
  assert.match(a, /^"[A-Za-z0-9_-]{22}"$/);
  assert.equal(strongEtag(Buffer.from('hello')), a);
  assert.notEqual(strongEtag(Buffer.from('hello!')), a);
  assert.equal(gzipEtag('"abc"'), '"abc-gz"');
});

test('If-None-Match: weak comparison, lists and *', () => {
  assert.equal(etagMatches('"abc"', '"abc"'), true);
  assert.equal(etagMatches('W/"abc"', '"abc"'), true);
  assert.equal(etagMatches('"x", "abc"', '"abc"'), true);
  assert.equal(etagMatches(' "x" ,W/"abc" ', '"abc"'), true);
  assert.equal(etagMatches('*', '"abc"'), true);
  assert.equal(etagMatches('"abcd"', '"abc"'), false);
  assert.equal(etagMatches('"abc-gz"', '"abc"'), false);
  assert.equal(etagMatches('', '"abc"'), false);
});

test('Accept-Encoding: gzip when listed or covered by * with q above 0', () => {
  assert.equal(acceptsGzip('gzip, deflate, br'), true);
  assert.equal(acceptsGzip('br;q=1.0, GZIP;q=0.5'), true);
  assert.equal(acceptsGzip('x-gzip'), true);
  assert.equal(acceptsGzip('*'), true);
  assert.equal(acceptsGzip('gzip;q=0'), false);
  assert.equal(acceptsGzip('gzip;q=0, *'), false, 'an explicit gzip;q=0 beats *');
  assert.equal(acceptsGzip('*;q=0'), false);
  assert.equal(acceptsGzip('br, deflate'), false);
  assert.equal(acceptsGzip('identity'), false);
  assert.equal(acceptsGzip(''), false);
});

test('content types by extension; unknown files are not served', () => {
  assert.equal(contentTypeFor('index.html'), 'text/html; charset=utf-8');
  assert.equal(contentTypeFor('app.js'), 'text/javascript; charset=utf-8');
  assert.equal(contentTypeFor('style.CSS'), 'text/css; charset=utf-8');
  assert.equal(contentTypeFor('icon.svg'), 'image/svg+xml');
  assert.equal(contentTypeFor('app.js.map'), undefined);
  assert.equal(contentTypeFor('app.d.ts'), undefined);
});

const bigText = Buffer.from('body { color: red; }\n'.repeat(100));

test('text is gzipped when that saves bytes; images and tiny files are not', () => {
  const css = prepareAsset('/style.css', bigText, 'text/css; charset=utf-8');
  assert.ok(css.gzip && css.gzip.length < bigText.length / 5);
  assert.deepEqual(gunzipSync(css.gzip), bigText);
  assert.equal(prepareAsset('/a.js', Buffer.from('x'), 'text/javascript').gzip, undefined, 'gzip of 1 byte is larger');
  assert.equal(prepareAsset('/a.png', bigText, 'image/png').gzip, undefined);
});

test('a gzipped asset keeps its own bytes, not the 16 KiB chunk zlib wrote it into', () => {
  const css = prepareAsset('/style.css', bigText, 'text/css; charset=utf-8');
  // Node's Buffer.from copies a small buffer into its shared 8 KiB pool; zlib's chunk is 16 KiB.
  assert.ok(css.gzip!.buffer.byteLength < 16 * 1024, `the gzip of ${css.gzip!.length} bytes holds ${css.gzip!.buffer.byteLength}`);
});

test('negotiate: representation, ETag per encoding, 304, headers', () => {
  const asset = prepareAsset('/style.css', bigText, 'text/css; charset=utf-8');
  const plain = negotiate(asset, { ifNoneMatch: '', acceptEncoding: '' });
  assert.equal(plain.status, 200);
  assert.equal(plain.body, asset.body);
  const h = new Map(plain.headers);
  assert.equal(h.get('ETag'), asset.etag);
  assert.equal(h.get('Cache-Control'), 'no-cache');
  assert.equal(h.get('Vary'), 'Accept-Encoding');
  assert.equal(h.get('Content-Encoding'), undefined);
  assert.equal(h.get('Content-Security-Policy'), undefined, 'only the HTML page carries the CSP');

  const gz = negotiate(asset, { ifNoneMatch: '', acceptEncoding: 'gzip' });
  assert.equal(gz.body, asset.gzip);
  assert.equal(new Map(gz.headers).get('Content-Encoding'), 'gzip');
  assert.equal(new Map(gz.headers).get('ETag'), gzipEtag(asset.etag));

  assert.equal(negotiate(asset, { ifNoneMatch: asset.etag, acceptEncoding: '' }).status, 304);
  const notModified = negotiate(asset, { ifNoneMatch: gzipEtag(asset.etag), acceptEncoding: 'gzip' });
  assert.equal(notModified.status, 304);
  assert.equal(notModified.body, undefined);
  assert.equal(new Map(notModified.headers).get('Content-Type'), undefined);
  // The gzip tag does not validate the identity representation, nor the other way round.
  assert.equal(negotiate(asset, { ifNoneMatch: gzipEtag(asset.etag), acceptEncoding: '' }).status, 200);
  assert.equal(negotiate(asset, { ifNoneMatch: asset.etag, acceptEncoding: 'gzip' }).status, 200);

  const page = negotiate(prepareAsset('/index.html', bigText, 'text/html; charset=utf-8'), { ifNoneMatch: '', acceptEncoding: '' });
  assert.match(new Map(page.headers).get('Content-Security-Policy') ?? '', /frame-ancestors 'none'/);
});

describe('served by the HTTP server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'picamd-web-'));
  const html = Buffer.from(`<!doctype html><title>t</title>${'<p>picamd</p>'.repeat(50)}`);
  writeFileSync(join(dir, 'index.html'), html);
  writeFileSync(join(dir, 'app.js'), 'console.log("picamd");\n'.repeat(40));
  writeFileSync(join(dir, 'app.js.map'), '{}');
  writeFileSync(join(dir, 'notes.txt'), 'not for the web');
  const assets = loadWebAssets(dir);
  let server: TestServer | undefined;
  let port = 0;
  before(async () => {
    server = await startServer({ deps: { routes: [staticRoutes(assets)] } });
    port = server.port;
  });
  after(() => server?.stop());

  /** A raw request: no automatic decompression, so the bytes on the wire are what we check. */
  function raw(method: string, path: string, headers: Record<string, string> = {}) {
    return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  test('only servable files are loaded', () => {
    assert.deepEqual(assets.map((a) => a.path), ['/app.js', '/index.html']);
  });

  test('the page at / and /index.html, plain and gzip', async () => {
    for (const path of ['/', '/index.html']) {
      const plain = await raw('GET', path);
      assert.equal(plain.status, 200);
      assert.equal(plain.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(plain.headers['content-encoding'], undefined);
      assert.deepEqual(plain.body, html);
      const gz = await raw('GET', path, { 'Accept-Encoding': 'gzip, deflate, br' });
      assert.equal(gz.headers['content-encoding'], 'gzip');
      assert.equal(gz.headers.vary, 'Accept-Encoding');
      assert.ok(gz.body.length < html.length / 3, `${gz.body.length} gzip bytes of ${html.length}`);
      assert.deepEqual(gunzipSync(gz.body), html);
    }
  });

  test('conditional GET answers 304 with no body', async () => {
    const first = await raw('GET', '/app.js', { 'Accept-Encoding': 'gzip' });
    const etag = String(first.headers.etag);
    assert.equal(first.headers['cache-control'], 'no-cache');
    const again = await raw('GET', '/app.js', { 'Accept-Encoding': 'gzip', 'If-None-Match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    assert.equal(again.headers.etag, etag);
  });

  test('HEAD has the GET headers and no body; other methods get 405', async () => {
    const head = await raw('HEAD', '/app.js');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(Number(head.headers['content-length']), assets.find((a) => a.path === '/app.js')!.body.length);
    assert.equal(head.body.length, 0);
    const post = await raw('POST', '/');
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    assert.equal((await raw('GET', '/app.js.map')).status, 404);
    assert.equal((await raw('GET', '/notes.txt')).status, 404);
  });
});

test('loadWebAssets serves the files of folders too (the translation tables), at their paths', () => {
  const dir = mkdtempSync(join(tmpdir(), 'picamd-web-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html>');
  mkdirSync(join(dir, 'i18n', 'zh-CN'), { recursive: true });
  writeFileSync(join(dir, 'i18n', 'zh-CN', 'live.js'), 'export const live = {};');
  writeFileSync(join(dir, 'i18n', 'zh-CN', 'live.js.map'), '{}');
  assert.deepEqual(
    loadWebAssets(dir).map((a) => a.path),
    ['/i18n/zh-CN/live.js', '/index.html'],
  );
});

test('loadWebAssets refuses a directory without index.html', () => {
  const dir = mkdtempSync(join(tmpdir(), 'picamd-web-empty-'));
  assert.throws(() => loadWebAssets(dir), /no index\.html/);
});
