/// <reference lib="dom" />
// The page in Chromium against the real picamd for a viewer (no Settings, no privacy switch unless
// the owner allows it) and on a locked device (a damaged accounts file: the page says what happened
// and how to recover). Skipped like the other browser tests without Chromium.
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
const VIEWER = { username: 'vic', password: 'vics long password' };
const basic = (c: { username: string; password: string }) => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;

describe('owner, viewer and a locked device in Chromium', { skip, timeout: 180_000 }, () => {
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
  const post = (path: string, body: unknown, auth?: { username: string; password: string }) =>
    fetch(`${origin()}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(auth ? { Authorization: basic(auth) } : {}) },
      body: JSON.stringify(body),
    });

  before(async () => {
    try {
      if (browserMissing) throw new Error(`CI=true and no Chromium at ${CHROMIUM}`);
      dir = mkdtempSync(join(tmpdir(), 'picamd-roles-'));
      port = await freePort();
      app = await startApp(appConfig(port, dir, { firstRun: true }), { dir, port });
      assert.equal((await post('/api/setup', { user: OWNER.username, password: OWNER.password })).status, 200);
      assert.equal((await post('/api/users', { name: VIEWER.username, password: VIEWER.password, role: 'viewer' }, OWNER)).status, 200);
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

  const open = async (credentials?: { username: string; password: string }) => {
    // Basic with every request, as a browser that was challenged once sends it (without it the page load goes to /login).
    const auth = credentials ? { extraHTTPHeaders: { Authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}` } } : {};
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...auth });
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${origin()}/`);
    return { page, close: () => context.close() };
  };

  test('a viewer sees the picture and the status, but no Settings and no privacy switch', async () => {
    ready();
    const { page, close } = await open(VIEWER);
    try {
      await page.waitForFunction(() => document.getElementById('state-text')!.textContent === 'Live', null, { timeout: 20_000 });
      await page.waitForFunction(() => document.getElementById('settings-open')!.hidden && document.getElementById('privacy-toggle')!.hidden, null, { timeout: 10_000 });
      assert.equal(await page.isVisible('#s-camera'), true);
    } finally {
      await close();
    }
  });

  test('an owner sees Settings and the privacy switch; with privacy.viewersToggle a viewer gets the switch', async () => {
    ready();
    const owner = await open(OWNER);
    try {
      await owner.page.waitForFunction(() => document.getElementById('state-text')!.textContent === 'Live', null, { timeout: 20_000 });
      assert.equal(await owner.page.isVisible('#settings-open'), true);
      assert.equal(await owner.page.isVisible('#privacy-toggle'), true);
    } finally {
      await owner.close();
    }
    const patch = await fetch(`${origin()}/api/settings`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json', Authorization: basic(OWNER) },
      body: JSON.stringify({ privacy: { viewersToggle: true } }),
    });
    assert.equal(patch.status, 200);
    const viewer = await open(VIEWER);
    try {
      await viewer.page.waitForFunction(() => document.getElementById('state-text')!.textContent === 'Live', null, { timeout: 20_000 });
      await viewer.page.waitForFunction(() => !document.getElementById('privacy-toggle')!.hidden, null, { timeout: 10_000 });
      assert.equal(await viewer.page.isVisible('#settings-open'), false);
    } finally {
      await viewer.close();
    }
  });

  test('a damaged accounts file: the page says the camera is locked and how to recover, nothing else', async () => {
    ready();
    await app.stop();
    writeFileSync(join(dir, 'state', 'accounts.json'), '{"format": 1, "users": [');
    app = await startApp(appConfig(port, dir, { firstRun: true }), { dir, port });
    const { page, close } = await open();
    try {
      await page.waitForSelector('#locked:not([hidden])', { timeout: 10_000 });
      const message = (await page.textContent('#locked-message')) ?? '';
      assert.match(message, /accounts\.json/);
      assert.match(message, /reset-owner/);
      assert.match(message, /privacy button/);
      assert.equal(await page.isVisible('main'), false);
      assert.equal(await page.isVisible('#setup'), false, 'never the first-run form');
    } finally {
      await close();
    }
  });

  test('no script errors on the pages', () => {
    ready();
    assert.deepEqual(pageErrors, []);
  });
});
