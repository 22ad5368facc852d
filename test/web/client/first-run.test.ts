/// <reference lib="dom" />
// The first-run screen in Chromium against the real picamd: while nobody owns the device (no users,
// open viewing off) the page shows only the setup form; POST /api/setup claims it, logs this
// browser in and shows the live view; a second browser that was too late is told so and reloads.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { appConfig, freePort, projectRoot, startApp, type RunningApp } from '../../fakes/app.js';

const CHROMIUM = '/usr/bin/chromium';
const browserMissing = !existsSync(CHROMIUM);
const skip = browserMissing && process.env.CI !== 'true' ? `no Chromium at ${CHROMIUM} (apt-get install chromium); with CI=true this is a failure` : false;
const ARTIFACTS = join(projectRoot, 'test-results');

describe('the first-run screen in Chromium', { skip, timeout: 180_000 }, () => {
  let browser: Browser;
  let app: RunningApp;
  let port = 0;
  let first: Page;
  let late: Page;
  const pageErrors: string[] = [];
  const origin = () => `http://127.0.0.1:${port}`;
  let setupError: unknown;
  const ready = () => {
    if (setupError) throw setupError;
  };
  const setupShown = () =>
    !document.getElementById('setup')!.hidden && document.querySelector<HTMLElement>('main')!.hidden && document.querySelector<HTMLElement>('header.top')!.hidden;

  before(async () => {
    try {
      if (browserMissing) throw new Error(`CI=true and no Chromium at ${CHROMIUM}`);
      mkdirSync(ARTIFACTS, { recursive: true });
      const dir = mkdtempSync(join(tmpdir(), 'picamd-first-run-'));
      port = await freePort();
      const config = appConfig(port, dir, { camera: { width: 640, height: 480, framerate: 15 }, firstRun: true });
      app = await startApp(config, { dir, port });
      const probe = await fetch(`${origin()}/api/setup`);
      if (probe.status !== 200) throw new Error(`GET /api/setup answers ${probe.status}: the server side of the setup API is missing`);
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      });
      const open = async (viewport: { width: number; height: number }) => {
        const page = await (await browser.newContext({ viewport })).newPage();
        page.on('pageerror', (err) => pageErrors.push(err.message));
        await page.goto(`${origin()}/`);
        return page;
      };
      first = await open({ width: 390, height: 844 });
      late = await open({ width: 1280, height: 800 });
    } catch (err) {
      setupError = err;
    }
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
  });

  test('an unclaimed device shows only the setup form, with its name filled in', async () => {
    ready();
    const state = await (await fetch(`${origin()}/api/setup`)).json();
    assert.equal(state.claimed, false);
    assert.equal((await fetch(`${origin()}/api/status`)).status, 503, 'nothing else answers before the setup');
    for (const page of [first, late]) await page.waitForFunction(setupShown, null, { timeout: 10_000 });
    assert.equal(await first.inputValue('#setup-name'), state.deviceName);
    assert.equal(await first.isChecked('#setup-open'), false, 'open viewing is never the default');
    assert.equal(await first.evaluate(() => document.activeElement?.id), 'setup-user', 'the first field has the focus');
    const unlabelled = await first.evaluate(() => Array.from(document.querySelectorAll<HTMLInputElement>('#setup-form input')).filter((el) => !el.labels?.length).map((el) => el.id));
    assert.deepEqual(unlabelled, []);
  });

  test('a short password and a mistyped one are refused before anything is sent', async () => {
    ready();
    const posts: string[] = [];
    first.on('request', (r) => r.method() === 'POST' && posts.push(r.url()));
    await first.fill('#setup-user', 'owner');
    await first.fill('#setup-password', 'too short');
    await first.fill('#setup-password2', 'too short');
    await first.keyboard.press('Enter');
    await first.waitForFunction(() => !document.getElementById('setup-password-problem')!.hidden);
    assert.match((await first.textContent('#setup-password-problem')) ?? '', /At least 10 characters/);
    await first.fill('#setup-password', 'correct horse');
    await first.fill('#setup-password2', 'correct horsee');
    await first.click('#setup-submit');
    await first.waitForFunction(() => !document.getElementById('setup-password2-problem')!.hidden);
    assert.deepEqual(posts, []);
    await first.screenshot({ path: join(ARTIFACTS, 'first-run-phone.png'), fullPage: true });
  });

  test('setting it up logs this browser in and shows the live view; the device is claimed', async () => {
    ready();
    await first.fill('#setup-password2', 'correct horse');
    await first.fill('#setup-name', 'Front door');
    await first.click('#setup-submit');
    await first.waitForFunction(
      () => document.getElementById('setup')!.hidden && document.getElementById('state-text')!.textContent === 'Live' && document.getElementById('overlay')!.hidden,
      null,
      { timeout: 20_000 },
    );
    assert.equal(await first.textContent('#device-name'), 'Front door');
    assert.equal(await first.isHidden('#settings'), true);
    const state = await (await fetch(`${origin()}/api/setup`)).json();
    assert.equal(state.claimed, true);
    assert.equal(state.openViewing, false);
    assert.equal((await fetch(`${origin()}/api/status`)).status, 401, 'watching needs the password now');
    const authorised = await fetch(`${origin()}/api/status`, { headers: { Authorization: `Basic ${Buffer.from('owner:correct horse').toString('base64')}` } });
    assert.equal(authorised.status, 200);
  });

  test('a browser that was too late is told someone else set it up, and reloads', async () => {
    ready();
    await late.fill('#setup-user', 'intruder');
    await late.fill('#setup-password', 'another password');
    await late.fill('#setup-password2', 'another password');
    const reload = late.waitForEvent('request', { predicate: (r) => r.isNavigationRequest(), timeout: 15_000 });
    await late.click('#setup-submit');
    await late.waitForFunction(() => /Someone else set up this camera/.test(document.getElementById('setup-message')!.textContent ?? ''), null, { timeout: 10_000 });
    await reload;
    const intruder = await fetch(`${origin()}/api/status`, { headers: { Authorization: `Basic ${Buffer.from('intruder:another password').toString('base64')}` } });
    assert.equal(intruder.status, 401, 'the second claim changed nothing');
  });

  test('no script errors on the page', () => {
    ready();
    assert.deepEqual(pageErrors, []);
  });
});
