/// <reference lib="dom" />
// The RTSP URL in the page's Status card, in Chromium against the real picamd (RTSP off): hidden
// while the status reports no RTSP server or one that is off, shown with this page's host and
// copyable when it reports one listening (the status is rewritten on its way to the page).

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { appConfig, freePort, startApp, type RunningApp } from '../../fakes/app.js';

const CHROMIUM = '/usr/bin/chromium';
const browserMissing = !existsSync(CHROMIUM);
const skip = browserMissing && process.env.CI !== 'true' ? `no Chromium at ${CHROMIUM} (apt-get install chromium); with CI=true this is a failure` : false;

describe('the RTSP URL on the page', { skip, timeout: 120_000 }, () => {
  let browser: Browser;
  let app: RunningApp;
  let port = 0;

  before(async () => {
    if (browserMissing) throw new Error(`CI=true and no Chromium at ${CHROMIUM}`);
    const dir = mkdtempSync(join(tmpdir(), 'picamd-rtsp-link-'));
    port = await freePort();
    app = await startApp(appConfig(port, dir), { dir, port });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
  });

  /** A page whose status documents carry `rtsp` (undefined: as the device sends them). */
  async function open(rtsp: { port: number; path: string } | undefined) {
    const context = await browser.newContext();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: `http://127.0.0.1:${port}` });
    const page = await context.newPage();
    const rewrite = (text: string) => {
      if (!rtsp) return text;
      // /api/status is the document; /api/events wraps it as {type: 'status', status}.
      const doc = JSON.parse(text) as Record<string, unknown>;
      return JSON.stringify(doc.type === 'status' ? { ...doc, status: { ...(doc.status as object), rtsp } } : { ...doc, rtsp });
    };
    await page.route('**/api/status', async (route) => {
      const res = await route.fetch();
      await route.fulfill({ response: res, body: rewrite(await res.text()) });
    });
    await page.routeWebSocket('**/api/events', (ws) => {
      const server = ws.connectToServer();
      server.onMessage((message) => ws.send(typeof message === 'string' ? rewrite(message) : message));
    });
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => document.getElementById('s-viewers')!.textContent !== '—');
    return page;
  }

  test('the device as it is (RTSP not reported, or off): no row', async () => {
    for (const rtsp of [undefined, { port: 0, path: '/stream' }]) {
      const page = await open(rtsp);
      assert.equal(await page.isHidden('#s-rtsp-row'), true, JSON.stringify(rtsp));
      const status = (await (await fetch(`http://127.0.0.1:${port}/api/status`)).json()) as { rtsp?: { port: number } };
      assert.equal(status.rtsp?.port, 0, 'the test app runs without RTSP (rtsp.port 0)');
      await page.close();
    }
  });

  test('an RTSP server on 8554: the URL with this page\'s host, and a Copy button that puts it on the clipboard', async () => {
    const page = await open({ port: 8554, path: '/stream' });
    await page.waitForSelector('#s-rtsp-row:not([hidden])');
    assert.equal(await page.textContent('#s-rtsp'), 'rtsp://127.0.0.1:8554/stream');
    // http://127.0.0.1 is a secure context to Chromium, so the clipboard API is there.
    await page.click('#s-rtsp-copy');
    await page.waitForFunction(() => document.body.textContent!.includes('RTSP URL copied.'));
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'rtsp://127.0.0.1:8554/stream');
    await page.close();
  });
});
