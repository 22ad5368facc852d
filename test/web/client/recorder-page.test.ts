/// <reference lib="dom" />
// The Recorder login card in Chromium against the real picamd: an owner turns it on and sees the
// user and password the device made, rotates it, and after a damaged recorder.json the card says
// there is no recorder login. Skipped like the other browser tests without Chromium.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { appConfig, freePort, startApp, type RunningApp } from '../../fakes/app.js';

const CHROMIUM = '/usr/bin/chromium';
const browserMissing = !existsSync(CHROMIUM);
const skip = browserMissing && process.env.CI !== 'true' ? `no Chromium at ${CHROMIUM} (apt-get install chromium); with CI=true this is a failure` : false;

const OWNER = { username: 'ann', password: 'a long passphrase' };
const basic = `Basic ${Buffer.from(`${OWNER.username}:${OWNER.password}`).toString('base64')}`;

describe('the Recorder login card in Chromium', { skip, timeout: 180_000 }, () => {
  let browser: Browser;
  let app: RunningApp;
  let dir = '';
  let port = 0;
  const pageErrors: string[] = [];
  const origin = () => `http://127.0.0.1:${port}`;
  let setupError: unknown;
  const ready = () => {
    if (setupError) throw setupError;
  };
  const recorder = async () => (await (await fetch(`${origin()}/api/recorder`, { headers: { Authorization: basic } })).json()) as { state: string; user?: string; password?: string };

  before(async () => {
    try {
      if (browserMissing) throw new Error(`CI=true and no Chromium at ${CHROMIUM}`);
      dir = mkdtempSync(join(tmpdir(), 'picamd-recorder-page-'));
      port = await freePort();
      app = await startApp(appConfig(port, dir, { firstRun: true }), { dir, port });
      const claim = await fetch(`${origin()}/api/setup`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user: OWNER.username, password: OWNER.password }) });
      assert.equal(claim.status, 200);
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      });
    } catch (err) {
      setupError = err;
    }
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
  });

  const openSettings = async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, extraHTTPHeaders: { Authorization: `Basic ${Buffer.from(`${OWNER.username}:${OWNER.password}`).toString('base64')}` } });
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(`${origin()}/`);
    await page.waitForSelector('#settings-open:not([hidden])', { timeout: 20_000 });
    await page.click('#settings-open');
    await page.waitForSelector('#recorder:not([hidden])', { timeout: 20_000 });
    return { page, close: () => context.close() };
  };

  test('off, then on: the card shows the login the device made; Rotate shows the new password', async () => {
    ready();
    const { page, close } = await openSettings();
    try {
      assert.match((await page.textContent('#recorder .form-message')) ?? '', /^Off/);
      await page.click('#recorder button:text("Turn on")');
      await page.waitForFunction(() => (document.getElementById('recorder-password')?.textContent ?? '').length === 20, null, { timeout: 10_000 });
      const on = await recorder();
      assert.equal(on.state, 'on');
      assert.equal(await page.textContent('#recorder-user'), on.user);
      assert.equal(await page.textContent('#recorder-password'), on.password);
      await page.click('#recorder button:text("Rotate password")');
      await page.waitForFunction((old) => { const p = document.getElementById('recorder-password')?.textContent; return p !== old && p?.length === 20; }, on.password, { timeout: 10_000 });
      assert.equal(await page.textContent('#recorder-password'), (await recorder()).password);
    } finally {
      await close();
    }
  });

  test('a damaged recorder.json: the card says there is no recorder login, and shows no password', async () => {
    ready();
    await app.stop();
    writeFileSync(join(dir, 'state', 'recorder.json'), '{"format": 1, "user": "recorder", "password": 12}');
    app = await startApp(appConfig(port, dir, { firstRun: true }), { dir, port });
    const { page, close } = await openSettings();
    try {
      await page.waitForFunction(() => /^No recorder login/.test(document.querySelector('#recorder .form-message')?.textContent ?? ''), null, { timeout: 10_000 });
      assert.equal(await page.isVisible('#recorder-password'), false);
    } finally {
      await close();
    }
  });

  test('no script errors on the page', () => {
    ready();
    assert.deepEqual(pageErrors, []);
  });
});
