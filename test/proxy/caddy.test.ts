// picamd behind Debian's Caddy 2.6 in its default reverse_proxy configuration: every frame arrives
// whole at once. Caddy, like Go's own ReverseProxy, flushes each write to the client at once only for
// a response without Content-Length; it recognises a stream by that. picamd streams a request that
// came through a proxy (it carries X-Forwarded-For, which Caddy adds) without a length, chunked. The
// same Caddy told to drop X-Forwarded-For gets the fixed-length stream a direct client gets, and holds
// each frame's end back until the next frame's bytes come (one frame late), which shows what the rule
// does. Frames are a second apart, so "at once" and "a frame late" are far apart even on a busy machine.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { appConfig, freePort, startApp } from '../fakes/app.js';
import { CADDY, skipWithout, startCaddy } from '../fakes/proxies.js';
import { medianDelayMs, withWallClock } from '../fakes/stamped-delay.js';
import { openStampedViewer } from '../fakes/stamped-viewer.js';
import { waitFor } from '../fakes/wait.js';

const skip = skipWithout(CADDY, 'caddy');

/**
 * Frames of about 4 KB: Go's HTTP server passes a large write straight through but keeps a small one
 * in its 4 KB connection buffer until more comes, so with these (or the privacy placeholder, or a
 * frame whose last read from picamd happens to be short) the end of each frame waits for the next.
 */
const SMALL_FRAMES = { width: 160, height: 120 };

test('through Caddy each frame arrives whole at once', { skip, timeout: 120_000 }, async (t) => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'picamd-caddy-'));
  const app = await startApp(appConfig(port, dir, { camera: { framerate: 1, ...SMALL_FRAMES } }), { dir, port });
  t.after(() => app.stop());
  const proxyPort = await freePort();
  const latePort = await freePort();
  const caddy = await startCaddy(
    dir,
    proxyPort,
    `http://:${proxyPort} {
	bind 127.0.0.1
	reverse_proxy 127.0.0.1:${port}
}
http://:${latePort} {
	bind 127.0.0.1
	reverse_proxy 127.0.0.1:${port} {
		header_up -X-Forwarded-For
	}
}`,
  );
  t.after(() => caddy.stop());

  const direct = withWallClock(openStampedViewer(port));
  const proxied = withWallClock(openStampedViewer(proxyPort, { allowChunked: true }));
  const late = withWallClock(openStampedViewer(latePort, { allowChunked: true }));
  t.after(() => {
    for (const v of [direct, proxied, late]) v.viewer.client.close();
  });
  await waitFor('5 live frames through each', () => [direct, proxied, late].every((v) => v.live().length >= 5), 60_000, 100);
  for (const v of [direct, proxied, late]) assert.equal(v.viewer.client.error, undefined);
  const figures = { direct: medianDelayMs(direct.live()), caddy: medianDelayMs(proxied.live()), late: medianDelayMs(late.live()) };
  console.log(
    `caddy: median capture-to-arrival ${figures.direct.toFixed(0)} ms direct, ${figures.caddy.toFixed(0)} ms through Caddy, ` +
      `${figures.late.toFixed(0)} ms through Caddy without X-Forwarded-For (fixed length)`,
  );
  assert.equal(proxied.viewer.client.headers['content-length'], undefined, 'the proxied stream declares no length');
  assert.ok(figures.caddy < 500, `through Caddy a frame took ${figures.caddy.toFixed(0)} ms (frames are 1000 ms apart)`);
  assert.ok(figures.late > 800, `with a declared length Caddy holds each frame's end until the next frame (${figures.late.toFixed(0)} ms)`);

  // The privacy placeholder, once a second, small: each one as the direct viewer sees it, not with the next.
  const toggledAt = performance.now();
  const privacy = await fetch(`http://127.0.0.1:${port}/api/privacy`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"enabled": true}' });
  assert.equal(privacy.status, 200);
  const placeholders = (v: typeof direct) => v.viewer.seen.filter((f) => f.tUs === undefined && f.at > toggledAt);
  await waitFor('4 placeholders through each', () => [direct, proxied, late].every((v) => placeholders(v).length >= 4), 60_000, 100);
  const behind = (v: typeof direct) => {
    const mine = placeholders(v);
    const reference = placeholders(direct);
    const delays = mine.slice(0, 4).map((f, i) => f.at - reference[i]!.at).sort((a, b) => a - b);
    return delays[2]!;
  };
  const [placeholderCaddy, placeholderLate] = [behind(proxied), behind(late)];
  console.log(`caddy: privacy placeholders ${placeholderCaddy.toFixed(0)} ms behind the direct viewer, ${placeholderLate.toFixed(0)} ms with a declared length`);
  assert.ok(placeholderCaddy < 500, `a placeholder through Caddy came ${placeholderCaddy.toFixed(0)} ms after the direct one`);
  assert.ok(placeholderLate > 800, `with a declared length the placeholder waits for the next (${placeholderLate.toFixed(0)} ms)`);
});
