// picamd behind Debian's nginx, in the configuration docs/integrations.md gives (proxy_pass with
// HTTP/1.1, which uWebSockets.js needs; nothing about buffering): every frame arrives whole at once,
// because the stream says X-Accel-Buffering: no. The same proxy told to ignore that header holds each
// frame's end back until the next frame's bytes come (one frame late), which shows what the header
// does. Frames are a second apart, so "at once" and "a frame late" are far apart even on a busy machine.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { appConfig, freePort, startApp } from '../fakes/app.js';
import { openStampedViewer, type SeenFrame } from '../fakes/stamped-viewer.js';
import { waitFor } from '../fakes/wait.js';

const NGINX = '/usr/sbin/nginx';
const skip = existsSync(NGINX) ? false : process.env.CI === 'true' ? false : `no nginx at ${NGINX} (apt-get install nginx-light)`;

function nginxConfig(prefix: string, port: number, upstream: number): string {
  const temp = (name: string) => `${name}_temp_path ${join(prefix, name)};`;
  return `daemon off;
master_process off;
worker_processes 1;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'error.log')};
events { worker_connections 64; }
http {
  access_log off;
  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://127.0.0.1:${upstream};
      proxy_http_version 1.1;
    }
    location /ignoring/ {
      proxy_pass http://127.0.0.1:${upstream}/;
      proxy_http_version 1.1;
      proxy_ignore_headers X-Accel-Buffering;
    }
  }
}
`;
}

/** Median of capture-to-arrival delays of live frames, in ms (the stamp is wall-clock µs). */
function medianDelayMs(seen: ReadonlyArray<SeenFrame & { arrivedWallMs: number }>): number {
  const delays = seen.filter((f) => f.tUs !== undefined).map((f) => f.arrivedWallMs - f.tUs! / 1000);
  delays.sort((a, b) => a - b);
  return delays[Math.floor(delays.length / 2)]!;
}

test('through nginx each frame arrives whole at once', { skip, timeout: 120_000 }, async (t) => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'picamd-nginx-'));
  const app = await startApp(appConfig(port, dir, { camera: { framerate: 1 } }), { dir, port });
  t.after(() => app.stop());
  const proxyPort = await freePort();
  const prefix = join(dir, 'nginx');
  mkdirSync(prefix, { recursive: true });
  writeFileSync(join(prefix, 'nginx.conf'), nginxConfig(prefix, proxyPort, port));
  const nginx = spawn(NGINX, ['-p', prefix, '-c', join(prefix, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let nginxErrors = '';
  nginx.stderr.on('data', (d) => (nginxErrors += d));
  t.after(() => nginx.kill('SIGTERM'));
  await waitFor('nginx', async () => {
    try {
      return (await fetch(`http://127.0.0.1:${proxyPort}/healthz`)).ok;
    } catch {
      return false;
    }
  }, 15_000).catch((err: Error) => {
    throw new Error(`${err.message}: ${nginxErrors}`);
  });

  const direct = withWallClock(openStampedViewer(proxyPort, { path: '/stream.mjpg' }));
  const ignoring = withWallClock(openStampedViewer(proxyPort, { path: '/ignoring/stream.mjpg' }));
  t.after(() => {
    direct.viewer.client.close();
    ignoring.viewer.client.close();
  });
  await waitFor('5 live frames through both', () => direct.live().length >= 5 && ignoring.live().length >= 5, 60_000, 100);
  assert.equal(direct.viewer.client.error, undefined);
  assert.equal(direct.viewer.client.headers['x-accel-buffering'], undefined, 'nginx consumes the header');
  const atOnce = medianDelayMs(direct.live());
  const late = medianDelayMs(ignoring.live());
  console.log(`nginx: median capture-to-arrival ${atOnce.toFixed(0)} ms with the header, ${late.toFixed(0)} ms when nginx ignores it`);
  assert.ok(atOnce < 500, `through nginx a frame took ${atOnce.toFixed(0)} ms (frames are 1000 ms apart)`);
  assert.ok(late > 700, `without the header nginx holds each frame's end until the next frame (${late.toFixed(0)} ms)`);
});

/** Adds the wall-clock arrival to each frame a stamped viewer sees. */
function withWallClock(viewer: ReturnType<typeof openStampedViewer>) {
  const offset = Date.now() - performance.now();
  return {
    viewer,
    live: () =>
      viewer.seen.filter((f) => f.tUs !== undefined).map((f) => ({ ...f, arrivedWallMs: f.at + offset })),
  };
}
