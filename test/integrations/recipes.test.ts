// The recipes of docs/integrations.md with the real clients Debian has (curl, ffmpeg), and Home
// Assistant's MJPEG camera logic (homeassistant/components/mjpeg/camera.py) reproduced: its still
// URL with Basic auth, and its way of cutting the first JPEG out of the stream.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import jpeg from 'jpeg-js';
import { hashPassword } from '../../src/device/accounts/password.js';
import { appConfig, freePort, startApp, type RunningApp } from '../fakes/app.js';
import { runTool } from '../fakes/tool.js';
import { waitFor } from '../fakes/wait.js';

const CI = process.env.CI === 'true';
const have = (tool: string) => existsSync(`/usr/bin/${tool}`);
const missing = (tool: string) => (have(tool) ? false : CI ? false : `${tool} is not installed (apt-get install ${tool})`);
const PASSWORD = 'a long passphrase';
const CURL_LIMIT = { timeoutMs: 60_000 };

async function start(t: import('node:test').TestContext): Promise<RunningApp> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'picamd-recipes-'));
  const users = [{ name: 'admin', passwordHash: await hashPassword(PASSWORD, { ln: 10, r: 8, p: 1 }) }];
  const app = await startApp(appConfig(port, dir, { server: { auth: { users } } }), { dir, port });
  t.after(() => app.stop());
  const auth = { Authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}` };
  await waitFor('a live frame', async () => (await fetch(`http://127.0.0.1:${port}/snapshot.jpg`, { headers: auth })).ok, 20_000);
  return app;
}

describe('recipes with real clients', () => {
  test('curl: the snapshot with -u, and the stream with the login in the URL', { skip: missing('curl') }, async (t) => {
    const app = await start(t);
    const shot = await runTool('curl', ['-fsS', '-u', `admin:${PASSWORD}`, `http://127.0.0.1:${app.port}/snapshot.jpg`], CURL_LIMIT);
    assert.equal(shot.code, 0, shot.stderr);
    assert.equal(jpeg.decode(shot.stdout).width, 320);
    const refused = await runTool('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${app.port}/snapshot.jpg`], CURL_LIMIT);
    assert.equal(refused.stdout.toString(), '401');
    // mjpg-streamer's URL as OctoPrint's timelapse fetches it: credentials in the URL.
    const octo = await runTool('curl', ['-fsS', `http://admin:${encodeURIComponent(PASSWORD)}@127.0.0.1:${app.port}/?action=snapshot`], CURL_LIMIT);
    assert.equal(octo.code, 0, octo.stderr);
    assert.deepEqual([...octo.stdout.subarray(0, 2)], [0xff, 0xd8]);
  });

  test('ffmpeg reads the stream (and the printer front ends\' alias) as MJPEG at the camera\'s size', { skip: missing('ffmpeg') }, async (t) => {
    const app = await start(t);
    for (const path of ['/stream.mjpg', '/?action=stream']) {
      const url = `http://admin:${encodeURIComponent(PASSWORD)}@127.0.0.1:${app.port}${path}`;
      const result = await runTool('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', url, '-frames:v', '30', '-f', 'null', '-'], {
        timeoutMs: 90_000,
      });
      assert.equal(result.code, 0, `${path}: ${result.stderr}`);
      const probe = await runTool('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0', url], {
        timeoutMs: 60_000,
      });
      assert.equal(probe.stdout.toString().trim(), 'mjpeg,320,240', `${path}: ${probe.stderr}`);
    }
  });

  test("Home Assistant's MJPEG camera: the still URL with Basic auth, and the first frame cut from the stream", async (t) => {
    const app = await start(t);
    const auth = { Authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}` };
    // still_image_url: one GET with aiohttp.BasicAuth, the body is the image.
    const still = Buffer.from(await (await fetch(`http://127.0.0.1:${app.port}/snapshot.jpg`, { headers: auth })).arrayBuffer());
    assert.equal(jpeg.decode(still).height, 240);
    // Without a still URL: read the stream in chunks of up to 102400 bytes, then take the bytes from
    // the first FF D8 to the first FF D9, as extract_image_from_mjpeg does.
    const response = await fetch(`http://127.0.0.1:${app.port}/stream.mjpg`, { headers: auth });
    const reader = response.body!.getReader();
    let data = Buffer.alloc(0);
    let image: Buffer | undefined;
    try {
      while (!image) {
        const { value, done } = await reader.read();
        if (done) break;
        data = Buffer.concat([data, Buffer.from(value)]);
        const end = data.indexOf(Buffer.from([0xff, 0xd9]));
        if (end === -1) continue;
        const begin = data.indexOf(Buffer.from([0xff, 0xd8]));
        if (begin === -1) continue;
        image = data.subarray(begin, end + 2);
      }
    } finally {
      await reader.cancel();
    }
    assert.ok(image, 'a frame');
    const decoded = jpeg.decode(image);
    assert.equal(decoded.width, 320, 'the naive cut gives a whole picture: no FF D9 inside our frames before their end');
  });
});
