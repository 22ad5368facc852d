// picamd behind Debian's nginx: every frame arrives whole at once, because the stream says
// X-Accel-Buffering: no. Measured in the minimal configuration (proxy_pass with HTTP/1.1, which
// uWebSockets.js needs; nothing about buffering: no forwarding headers, so picamd sends the
// fixed-length stream) and in the one docs/integrations.md gives (X-Forwarded-For: the chunked
// stream). The same proxy told to ignore that header holds each frame's end back until the next
// frame's bytes come (one frame late), which shows what the header does. Frames are a second apart,
// so "at once" and "a frame late" are far apart even on a busy machine.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { appConfig, freePort, startApp } from '../fakes/app.js';
import { NGINX, skipWithout, startNginx } from '../fakes/proxies.js';
import { medianDelayMs, withWallClock } from '../fakes/stamped-delay.js';
import { openStampedViewer } from '../fakes/stamped-viewer.js';
import { waitFor } from '../fakes/wait.js';

const skip = skipWithout(NGINX, 'nginx-light');

test('through nginx each frame arrives whole at once', { skip, timeout: 120_000 }, async (t) => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'picamd-nginx-'));
  const app = await startApp(appConfig(port, dir, { camera: { framerate: 1 } }), { dir, port });
  t.after(() => app.stop());
  const proxyPort = await freePort();
  const nginx = await startNginx(
    dir,
    proxyPort,
    `location / {
      proxy_pass http://127.0.0.1:${port};
      proxy_http_version 1.1;
    }
    location /recommended/ {
      proxy_pass http://127.0.0.1:${port}/;
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host "";
      proxy_set_header Forwarded "";
    }
    location /ignoring/ {
      proxy_pass http://127.0.0.1:${port}/;
      proxy_http_version 1.1;
      proxy_ignore_headers X-Accel-Buffering;
    }`,
  );
  t.after(() => nginx.stop());

  const minimal = withWallClock(openStampedViewer(proxyPort, { path: '/stream.mjpg' }));
  const recommended = withWallClock(openStampedViewer(proxyPort, { path: '/recommended/stream.mjpg', allowChunked: true }));
  const ignoring = withWallClock(openStampedViewer(proxyPort, { path: '/ignoring/stream.mjpg' }));
  const all = [minimal, recommended, ignoring];
  t.after(() => {
    for (const v of all) v.viewer.client.close();
  });
  await waitFor('5 live frames through each', () => all.every((v) => v.live().length >= 5), 60_000, 100);
  for (const v of all) assert.equal(v.viewer.client.error, undefined);
  assert.equal(minimal.viewer.client.headers['x-accel-buffering'], undefined, 'nginx consumes the header');
  const [atOnce, chunked, late] = all.map((v) => medianDelayMs(v.live())) as [number, number, number];
  console.log(
    `nginx: median capture-to-arrival ${atOnce.toFixed(0)} ms with the header, ${chunked.toFixed(0)} ms in the documented ` +
      `configuration (chunked), ${late.toFixed(0)} ms when nginx ignores the header`,
  );
  assert.ok(atOnce < 500, `through nginx a frame took ${atOnce.toFixed(0)} ms (frames are 1000 ms apart)`);
  assert.ok(chunked < 500, `through nginx as documented a frame took ${chunked.toFixed(0)} ms`);
  assert.ok(late > 700, `without the header nginx holds each frame's end until the next frame (${late.toFixed(0)} ms)`);
});
