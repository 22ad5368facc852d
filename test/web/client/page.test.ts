/// <reference lib="dom" />
// The page in a real browser against the real picamd (dist/main.js) with the simulated camera.
// Debian's Chromium, driven by playwright-core. Without /usr/bin/chromium the suite is skipped
// locally, and fails under CI=true (.ci/run installs it).

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import { appConfig, freePort, projectRoot, startApp, status, type RunningApp } from '../../fakes/app.js';
import { waitFor } from '../../fakes/wait.js';

const CHROMIUM = '/usr/bin/chromium';
const browserMissing = !existsSync(CHROMIUM);
const skip = browserMissing && process.env.CI !== 'true'
  ? `no Chromium at ${CHROMIUM} (apt-get install chromium); with CI=true this is a failure`
  : false;

const ARTIFACTS = join(projectRoot, 'test-results');
const WIDTH = 1280;
const HEIGHT = 720;
/** What the issue asks of pushed changes; polling (every 2 s) could not meet it, only the WebSocket. */
const PUSH_MS = 1_000;

describe('the page in Chromium', { skip, timeout: 180_000 }, () => {
  let browser: Browser;
  let page: Page;
  let app: RunningApp;
  let config: object;
  let port = 0;
  let dir = '';
  const pageErrors: string[] = [];

  before(async () => {
    if (browserMissing) {
      throw new Error(`CI=true and no Chromium at ${CHROMIUM}: the browser tests must run in CI (.ci/run installs chromium with apt-get)`);
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    // The same directory (state file) and port across the restart test.
    dir = mkdtempSync(join(tmpdir(), 'picamd-page-'));
    port = await freePort();
    config = appConfig(port, dir, { server: { deviceName: 'Front door' }, camera: { width: WIDTH, height: HEIGHT, framerate: 15 } });
    app = await startApp(config, { dir, port });
    const root = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(root.status, 200, 'GET / must serve the page: src/main.ts wires staticRoutes(loadWebAssets()) and the EventHub (docs/web.md)');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // Every launch gets a fresh temporary profile (user-data-dir) from playwright.
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'dark' });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`http://127.0.0.1:${port}/`);
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
  });

  const output = () => `\n--- picamd output ---\n${app.output().split('\n').slice(-40).join('\n')}`;

  /** The picture as the page shows it: size and a hash of every pixel. */
  const picture = () =>
    page.evaluate(() => {
      const img = document.getElementById('live') as HTMLImageElement;
      if (!img.complete || img.naturalWidth === 0) return { width: 0, height: 0, hash: '' };
      const canvas = document.createElement('canvas');
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      let h = 0x811c9dc5;
      for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i]!, 0x01000193);
      return { width: img.naturalWidth, height: img.naturalHeight, hash: (h >>> 0).toString(16) };
    });

  async function showsNewFrames(what: string): Promise<void> {
    const first = await waitFor(`${what}: a picture`, async () => {
      const p = await picture();
      return p.width > 0 ? p : undefined;
    }, 20_000, 100);
    assert.equal(first.width, WIDTH, `${what}: naturalWidth is the camera width`);
    assert.equal(first.height, HEIGHT);
    await waitFor(`${what}: the pixels to change`, async () => (await picture()).hash !== first.hash, 10_000, 100);
  }

  const badge = () => page.locator('#state-text').textContent();
  const waitUntil = (what: string, fn: () => boolean, timeout: number) =>
    page.waitForFunction(fn, null, { timeout, polling: 'raf' }).catch((err: Error) => {
      throw new Error(`page did not show ${what} within ${timeout} ms: ${err.message}${output()}`);
    });
  const live = () => document.getElementById('state-text')!.textContent === 'Live' && document.getElementById('overlay')!.hidden;
  const privateShown = () =>
    document.getElementById('state-text')!.textContent === 'Private' &&
    document.getElementById('privacy-toggle')!.getAttribute('aria-checked') === 'true' &&
    document.getElementById('privacy-title')!.textContent === 'On';
  const notPrivateShown = () =>
    document.getElementById('privacy-toggle')!.getAttribute('aria-checked') === 'false' &&
    document.getElementById('privacy-title')!.textContent === 'Off';
  const pushConnected = () => document.getElementById('link-state')!.textContent === 'Live updates';

  test('shows live frames at the camera size, and the status', async () => {
    await waitUntil('the camera streaming', live, 20_000);
    await showsNewFrames('live view');
    assert.equal(await page.locator('#device-name').textContent(), 'Front door');
    assert.equal(await page.title(), 'Front door · picamd');
    assert.equal(await page.locator('#s-resolution').textContent(), '1280 × 720');
    assert.match((await page.locator('#s-fps').textContent()) ?? '', /^\d+\.\d fps \(of 15\)$/);
    // Viewer counts come with the periodic stats (every 2 s), not as a change.
    await waitUntil('one viewer', () => document.getElementById('s-viewers')!.textContent === '1 of 16', 5_000);
    assert.equal(await page.locator('#live-chip').isVisible(), true);
    // The README picture, once the measured rate has a few seconds of frames behind it (best
    // effort: a busy machine only makes the number in the picture smaller).
    await page
      .waitForFunction(() => parseFloat(document.getElementById('s-fps')!.textContent ?? '') >= 13, null, { timeout: 7_000 })
      .catch(() => {});
    await page.screenshot({ path: join(ARTIFACTS, 'page.png') });

    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, colorScheme: 'dark' });
    const small = await phone.newPage();
    await small.goto(`http://127.0.0.1:${port}/`);
    await small.waitForFunction(() => (document.getElementById('live') as HTMLImageElement).naturalWidth > 0 && document.getElementById('overlay')!.hidden);
    const box = await small.locator('#live').boundingBox();
    assert.ok(box && Math.abs(box.width - 390) < 1, `the picture fills a phone's width (${box?.width})`);
    assert.ok(Math.abs(box.width / box.height - WIDTH / HEIGHT) < 0.02, `and keeps the aspect ratio (${box.width}x${box.height})`);
    await small.screenshot({ path: join(ARTIFACTS, 'page-phone.png'), fullPage: true });
    await phone.close();
  });

  test('snapshot downloads the current JPEG as picamd-<time>.jpg; fullscreen and back', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#snapshot')]);
    assert.match(download.suggestedFilename(), /^picamd-\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}\.jpg$/);
    const jpeg = await readFile((await download.path())!);
    assert.deepEqual([...jpeg.subarray(0, 2)], [0xff, 0xd8], 'a JPEG');
    assert.deepEqual([...jpeg.subarray(-2)], [0xff, 0xd9]);

    await page.click('#fullscreen');
    await waitUntil('fullscreen', () => document.getElementById('fullscreen')!.getAttribute('aria-pressed') === 'true', 5_000);
    const inFullscreen = await page.evaluate(() => document.fullscreenElement?.id ?? (document.getElementById('frame')!.classList.contains('immersive') ? 'immersive' : ''));
    assert.ok(['frame', 'immersive'].includes(inFullscreen), `the picture fills the screen (${inFullscreen})`);
    // The way out is inside the picture: the toolbar is not on screen now.
    await page.click('#fullscreen-exit');
    await waitUntil('fullscreen left', () => document.getElementById('fullscreen')!.getAttribute('aria-pressed') === 'false', 5_000);
  });

  test('the privacy toggle makes the device private, and the page says so within a second', async () => {
    await waitUntil('the WebSocket connected', pushConnected, 10_000);
    await page.click('#privacy-toggle');
    await waitUntil('privacy on', privateShown, PUSH_MS);
    const s = await status(port);
    assert.equal(s.privacy.enabled, true);
    assert.equal(s.privacy.source, 'api');
    assert.match((await page.locator('#privacy-detail').textContent()) ?? '', /Turned on from the web/);
    await waitUntil('the camera paused', () => document.getElementById('s-camera')!.textContent === 'Off (privacy mode)', 5_000);
    await waitUntil('the toggle ready again', () => document.getElementById('privacy-toggle')!.getAttribute('aria-busy') === 'false', 5_000);
    // No camera frames while private: the device's "Privacy mode" picture, the same every second.
    await waitFor('a still picture', async () => {
      const a = await picture();
      await sleep(1_500);
      const b = await picture();
      return a.width === WIDTH && a.hash === b.hash;
    }, 10_000, 0);
    await page.screenshot({ path: join(ARTIFACTS, 'page-private.png') });

    // Off again from the keyboard: the switch is a real button.
    await page.focus('#privacy-toggle');
    await page.keyboard.press('Space');
    await waitUntil('privacy off', notPrivateShown, PUSH_MS);
    assert.equal((await status(port)).privacy.enabled, false);
    await waitUntil('the camera streaming again', live, 20_000);
    await showsNewFrames('after privacy');
  });

  test('a privacy change through the API appears on the open page without a reload', async () => {
    await waitUntil('the WebSocket connected', pushConnected, 10_000);
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
    const post = async (enabled: boolean) => {
      const res = await fetch(`http://127.0.0.1:${port}/api/privacy`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ enabled }),
      });
      assert.equal(res.status, 200, await res.text());
    };
    await post(true);
    await waitUntil('privacy on after the API call', privateShown, PUSH_MS);
    await post(false);
    await waitUntil('privacy off after the API call', notPrivateShown, PUSH_MS);
    assert.equal(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument), true, 'no reload');
    await waitUntil('the camera streaming again', live, 20_000);
  });

  test('after the server dies and comes back on the same port, the picture resumes by itself', async () => {
    await waitUntil('the camera streaming', live, 20_000);
    app.proc.kill('SIGKILL');
    await app.exited;
    await waitUntil('"Reconnecting…" over the picture', () =>
      !document.getElementById('overlay')!.hidden && document.getElementById('overlay-title')!.textContent === 'Reconnecting…', 15_000);
    await waitUntil('the device unreachable', () => document.getElementById('state-text')!.textContent === 'Unreachable', 15_000);
    await page.screenshot({ path: join(ARTIFACTS, 'page-reconnecting.png') });
    app = await startApp(config, { dir, port });
    await waitUntil('the camera streaming after the restart', live, 30_000);
    await showsNewFrames('after the restart');
    await waitUntil('the WebSocket back', pushConnected, 15_000);
    assert.equal(await badge(), 'Live');
  });

  test('no script errors on the page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
