/// <reference lib="dom" />
// The page in H.264 mode, in Debian's Chromium against the real picamd with the simulated camera
// encoding H.264 (Debian's ffmpeg/libx264): the video plays through Media Source Extensions and holds
// the live edge, and switching the codec from the Settings view keeps the page live.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import { appConfig, freePort, startApp, status, type RunningApp } from '../../fakes/app.js';
import { waitFor } from '../../fakes/wait.js';

const CHROMIUM = '/usr/bin/chromium';
const missing = !existsSync(CHROMIUM) || !existsSync('/usr/bin/ffmpeg');
const skip = missing && process.env.CI !== 'true' ? 'needs Debian\'s chromium and ffmpeg; with CI=true this is a failure' : false;

describe('the page in H.264 mode, in Chromium', { skip, timeout: 240_000 }, () => {
  let browser: Browser;
  let page: Page;
  let app: RunningApp;
  const pageErrors: string[] = [];

  before(async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'picamd-h264-page-'));
    app = await startApp(appConfig(port, dir, { camera: { codec: 'h264', width: 640, height: 360, framerate: 25 } }), { dir, port });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--autoplay-policy=no-user-gesture-required'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      // A 503 while the camera starts is Chromium logging a response the page handles (it retries);
      // anything else on the console is the page's own.
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) pageErrors.push(`console: ${msg.text()}`);
    });
    await page.goto(`http://127.0.0.1:${port}/`);
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
  });

  const output = () => `\n--- picamd output ---\n${app.output().split('\n').slice(-30).join('\n')}`;
  const video = () =>
    page.evaluate(() => {
      const v = document.getElementById('live-video') as HTMLVideoElement;
      const b = v.buffered;
      return {
        shown: !v.hidden,
        time: v.currentTime,
        end: b.length > 0 ? b.end(b.length - 1) : 0,
        width: v.videoWidth,
        paused: v.paused,
        imgShown: !(document.getElementById('live') as HTMLImageElement).hidden,
      };
    });

  /** The video plays for `seconds`: its time advances, and it stays within a second of the newest picture. */
  async function playsLive(seconds: number): Promise<void> {
    await waitFor('the video playing', async () => {
      const v = await video();
      return v.shown && v.width > 0 && v.time > 0 && !v.paused;
    }, 30_000, 100).catch((err: Error) => assert.fail(`${err.message}${output()}`));
    const first = await video();
    let last = first;
    for (let i = 0; i < seconds; i++) {
      await sleep(1_000);
      const v = await video();
      assert.ok(v.end - v.time < 1, `${(v.end - v.time).toFixed(2)} s behind the newest picture at ${i + 1} s`);
      assert.ok(v.time >= last.time, 'the video time never goes back');
      last = v;
    }
    const advanced = last.time - first.time;
    // Not a timing check: that the video played most of the wall-clock time, not that it is exact.
    assert.ok(advanced > seconds * 0.5, `the video advanced ${advanced.toFixed(2)} s in ${seconds} s`);
  }

  test('the video plays for 10 s within a second of the live edge, without script errors', async () => {
    await playsLive(10);
    const v = await video();
    assert.equal(v.width, 640);
    assert.equal(v.imgShown, false, 'the MJPEG picture is hidden in H.264 mode');
    assert.deepEqual(pageErrors, []);
  });

  test('switching the codec from the Settings view keeps the page live, both ways', async () => {
    const field = (path: string) => page.locator(`#settings-groups [data-path="${path}"]`);
    const control = (path: string) => field(path).locator('input, select').first();
    const choose = async (codec: string) => {
      await page.click('#settings-open');
      await page.waitForSelector('#settings-groups [data-path="camera.codec"]', { state: 'attached', timeout: 20_000 });
      await page.evaluate(() => document.querySelectorAll<HTMLDetailsElement>('details.group').forEach((d) => (d.open = true)));
      const value = await control('camera.codec').evaluate((el, c) => Array.from((el as HTMLSelectElement).options).find((o) => o.text.toLowerCase().includes(c))!.value, codec);
      await control('camera.codec').selectOption(value);
      await page.click('#settings-apply');
      await page.waitForFunction(() => /^(Restarting the camera…|Live with the new settings\.)$/.test(document.getElementById('settings-message')!.textContent ?? ''), null, { timeout: 10_000 });
      await page.click('#settings-open');
    };
    const picture = () =>
      page.evaluate(() => {
        const img = document.getElementById('live') as HTMLImageElement;
        return { shown: !img.hidden, width: img.naturalWidth, src: img.src };
      });

    await choose('mjpeg');
    await waitFor('the camera in MJPEG mode', async () => (await status(app.port)).camera.codec === 'mjpeg', 20_000);
    const firstSrc = await waitFor('an MJPEG picture', async () => {
      const p = await picture();
      return p.shown && p.width === 640 ? p.src : undefined;
    }, 30_000, 100);
    await waitFor('MJPEG pictures changing', async () => (await picture()).src !== firstSrc, 20_000, 100);

    await choose('h264');
    await waitFor('the camera in H.264 mode', async () => (await status(app.port)).camera.codec === 'h264', 20_000);
    await playsLive(3);
    assert.deepEqual(pageErrors, []);
  });

  test('across privacy the video shows the privacy picture, never "Reconnecting", and is live again after', async () => {
    await playsLive(2);
    const setPrivacy = (enabled: boolean) =>
      fetch(`http://127.0.0.1:${app.port}/api/privacy`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ enabled }) });
    // The picture in the video element: how much of it is the placeholder's dark background, and
    // whether anything bright (its title) is there.
    const frame = () =>
      page.evaluate(() => {
        const v = document.getElementById('live-video') as HTMLVideoElement;
        const canvas = document.createElement('canvas');
        canvas.width = v.videoWidth;
        canvas.height = v.videoHeight;
        const ctx = canvas.getContext('2d')!;
        ctx.drawImage(v, 0, 0);
        const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        let dark = 0;
        let bright = 0;
        for (let i = 0; i < data.length; i += 4) {
          const max = Math.max(data[i]!, data[i + 1]!, data[i + 2]!);
          if (max < 45) dark++;
          if (data[i]! > 200 && data[i + 1]! > 200 && data[i + 2]! > 200) bright++;
        }
        const overlay = document.getElementById('overlay')!;
        return { dark: dark / (data.length / 4), bright, overlay: overlay.hidden ? '' : overlay.textContent!.trim(), shown: !v.hidden };
      });
    assert.equal((await setPrivacy(true)).status, 200);
    const seen: { dark: number; bright: number; overlay: string; shown: boolean }[] = [];
    const until = Date.now() + 8_000;
    while (Date.now() < until) {
      seen.push(await frame());
      await sleep(250);
    }
    assert.ok(seen.every((f) => f.overlay === '' && f.shown), `the page covered the video: ${JSON.stringify(seen.find((f) => f.overlay !== '' || !f.shown))}`);
    // The placeholder: mostly its dark background, with its title in bright text.
    const last = seen.at(-1)!;
    assert.ok(last.dark > 0.8 && last.bright > 100, `the video shows the privacy picture: ${JSON.stringify(last)}`);
    assert.equal((await setPrivacy(false)).status, 200);
    await waitFor('the camera streaming', async () => (await status(app.port)).camera.state === 'streaming', 30_000);
    await playsLive(3);
    assert.ok((await frame()).dark < 0.8, 'the camera\'s picture again');
    assert.deepEqual(pageErrors, []);
  });
});
