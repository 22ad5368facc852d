/// <reference lib="dom" />
// Settings → Firmware in Chromium against the real picamd: a signed update (made here with a
// throwaway key that picamd trusts through PICAMD_UPDATE_KEYS) uploaded with its progress, then the
// steps as the root updater moves on (played by the test through the status.json picamd reads; the
// real updater is deploy/test-update.sh's), the result; a bad file and a refused downgrade with
// their reasons; "Go back to <previous>"; the phone layout. Skipped like the other browser tests
// without Chromium.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { appConfig, freePort, startApp, type RunningApp } from '../../fakes/app.js';
import { makeUpdateFile, testSigner } from '../../fakes/update-file.js';
import { waitFor } from '../../fakes/wait.js';

const CHROMIUM = '/usr/bin/chromium';
const browserMissing = !existsSync(CHROMIUM);
const skip = browserMissing && process.env.CI !== 'true' ? `no Chromium at ${CHROMIUM} (apt-get install chromium); with CI=true this is a failure` : false;

const OWNER = { username: 'ann', password: 'a long passphrase' };

describe('Settings → Firmware in Chromium', { skip, timeout: 180_000 }, () => {
  let browser: Browser;
  let app: RunningApp;
  let dir = '';
  let port = 0;
  let inbox = '';
  let statusFile = '';
  const files: Record<string, string> = {};
  const pageErrors: string[] = [];
  let setupError: unknown;
  const ready = () => {
    if (setupError) throw setupError;
  };
  const updaterSays = (state: string, version: string, reason = '') =>
    writeFileSync(statusFile, `${JSON.stringify({ state, version, from: '0.1.0', reason, at: new Date().toISOString() })}\n`);

  before(async () => {
    try {
      if (browserMissing) throw new Error(`CI=true and no Chromium at ${CHROMIUM}`);
      dir = mkdtempSync(join(tmpdir(), 'picamd-firmware-'));
      const signer = testSigner(dir);
      files.good = await makeUpdateFile(dir, signer, { version: '0.2.0', padding: 4_000_000 });
      files.older = await makeUpdateFile(dir, signer, { version: '0.0.5' });
      writeFileSync((files.text = join(dir, 'notes.update')), 'just some text, not an update\n');
      mkdirSync(join(dir, 'opt/releases/0.0.9'), { recursive: true });
      symlinkSync('releases/0.0.9', join(dir, 'opt/previous'));
      statusFile = join(dir, 'updater-status.json');
      inbox = join(dir, 'state', 'update');
      port = await freePort();
      app = await startApp(appConfig(port, dir, { firstRun: true }), {
        dir,
        port,
        env: { PICAMD_UPDATE_KEYS: signer.keysDir, PICAMD_UPDATE_STATUS: statusFile, PICAMD_INSTALL_ROOT: join(dir, 'opt') },
      });
      const claim = await fetch(`http://127.0.0.1:${port}/api/setup`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user: OWNER.username, password: OWNER.password }) });
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
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const openFirmware = async (viewport = { width: 1280, height: 900 }): Promise<{ page: Page; close: () => Promise<void> }> => {
    const context = await browser.newContext({ viewport, extraHTTPHeaders: { Authorization: `Basic ${Buffer.from(`${OWNER.username}:${OWNER.password}`).toString('base64')}` } });
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`http://127.0.0.1:${port}/#settings`);
    await page.waitForSelector('#firmware', { timeout: 20_000 });
    await page.waitForFunction(() => /runs on this camera/.test(document.getElementById('firmware-version')!.textContent ?? ''), null, { timeout: 10_000 });
    return { page, close: () => context.close() };
  };
  const state = (page: Page) => page.getAttribute('#firmware', 'data-state');
  const message = (page: Page) => page.textContent('#firmware-message');
  const stepNow = (page: Page) => page.getAttribute('#firmware-steps li[aria-current="step"]', 'data-step');

  test('shows the running version and the one to go back to', async () => {
    ready();
    const { page, close } = await openFirmware();
    try {
      assert.equal(await page.textContent('#firmware-version'), 'picamd 0.1.0 runs on this camera.');
      assert.equal(await page.textContent('#firmware-back'), 'Go back to 0.0.9');
      assert.equal(await page.isVisible('#firmware-back'), true);
    } finally {
      await close();
    }
  });

  test('a file that is not an update: the reason, nothing handed over', async () => {
    ready();
    const { page, close } = await openFirmware();
    try {
      await page.setInputFiles('#firmware-file', files.text!);
      await page.waitForFunction(() => document.getElementById('firmware')!.dataset.state === 'refused', null, { timeout: 15_000 });
      assert.match((await message(page)) ?? '', /The update was refused: not a picamd update file/);
      assert.equal(existsSync(join(inbox, 'request.update')), false);
    } finally {
      await close();
    }
  });

  test('an older version: refused until "Allow an older version" is ticked', async () => {
    ready();
    const { page, close } = await openFirmware();
    try {
      await page.setInputFiles('#firmware-file', files.older!);
      await page.waitForFunction(() => document.getElementById('firmware')!.dataset.state === 'refused', null, { timeout: 15_000 });
      assert.match((await message(page)) ?? '', /0\.0\.5 is older than the running 0\.1\.0.*Allow an older version/);
      assert.equal(existsSync(join(inbox, 'request.update')), false);
      await page.check('#firmware-downgrade');
      await page.setInputFiles('#firmware-file', files.older!);
      await waitFor('the downgrade handed over', () => existsSync(join(inbox, 'request.update')) && existsSync(join(inbox, 'request.allow-downgrade')), 15_000);
      // The updater refuses it after all (played): the card says why.
      rmSync(join(inbox, 'request.update'));
      rmSync(join(inbox, 'request.allow-downgrade'));
      updaterSays('refused', '', 'played by the test');
      await page.waitForFunction(() => /played by the test/.test(document.getElementById('firmware-message')!.textContent ?? ''), null, { timeout: 15_000 });
    } finally {
      await close();
    }
  });

  test('uploads a signed update with progress, then follows verifying, installing, restarting, checking to the result', async () => {
    ready();
    const { page, close } = await openFirmware();
    try {
      // What the bar showed while the file went up: the browser's upload progress.
      // A string, not a function: the test's TypeScript transform would add helpers the page lacks.
      await page.evaluate(`(() => {
        const seen = (window.seenProgress = []);
        const bar = document.getElementById('firmware-progress');
        const value = Object.getOwnPropertyDescriptor(HTMLProgressElement.prototype, 'value');
        Object.defineProperty(bar, 'value', { get: () => value.get.call(bar), set: (v) => { value.set.call(bar, v); seen.push(v); } });
      })()`);
      // A slow link (Chromium's own throttling), so the upload takes seconds and reports progress.
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 2_000_000 });
      await page.setInputFiles('#firmware-file', files.good!);
      await waitFor('the file handed over', () => existsSync(join(inbox, 'request.update')), 30_000);
      await page.waitForFunction(() => document.getElementById('firmware-message')!.textContent === 'Checking picamd 0.2.0…', null, { timeout: 15_000 });
      assert.equal(await stepNow(page), 'verifying');
      const seen = (await page.evaluate('window.seenProgress')) as number[];
      assert.ok(seen.some((v) => v > 0 && v < 0.6), `the bar moved while receiving: ${seen.join(' ')}`);
      assert.equal(await page.isEnabled('#firmware-file'), false, 'no second upload meanwhile');
      rmSync(join(inbox, 'request.update'));
      const steps: Array<[string, string, RegExp]> = [
        ['installing', 'installing', /Installing picamd 0\.2\.0/],
        ['trial', 'restarting', /Restarting with picamd 0\.2\.0/],
        ['checking', 'checking', /checking that it is healthy/],
      ];
      for (const [updater, step, text] of steps) {
        updaterSays(updater, '0.2.0');
        await page.waitForFunction((s) => document.querySelector('#firmware-steps li[aria-current="step"]')?.getAttribute('data-step') === s, step, { timeout: 15_000 });
        assert.match((await message(page)) ?? '', text);
      }
      updaterSays('committed', '0.2.0');
      await page.waitForFunction(() => document.getElementById('firmware')!.dataset.state === 'committed', null, { timeout: 15_000 });
      assert.equal(await message(page), 'Updated to picamd 0.2.0.');
      assert.equal(await page.isVisible('#firmware-steps'), false);
      assert.equal(await page.isEnabled('#firmware-file'), true);
    } finally {
      await close();
    }
  });

  test('a rollback is shown with its reason; "Go back" asks the updater for the previous version', async () => {
    ready();
    updaterSays('rolled-back', '0.2.0', 'picamd 0.2.0 restarted during its trial');
    const { page, close } = await openFirmware();
    try {
      await page.waitForFunction(() => document.getElementById('firmware')!.dataset.state === 'rolled-back', null, { timeout: 15_000 });
      assert.equal(await message(page), 'The update to 0.2.0 failed and was rolled back: picamd 0.2.0 restarted during its trial');
      await page.click('#firmware-back');
      await page.click('#firmware-back-yes');
      await waitFor('request.rollback', () => existsSync(join(inbox, 'request.rollback')), 15_000).catch(async (err) => assert.fail(`${err}: ${await message(page)}`));
      await page.waitForFunction(() => document.querySelector('#firmware-steps li[aria-current="step"]') !== null, null, { timeout: 15_000 });
      rmSync(join(inbox, 'request.rollback'));
      updaterSays('committed', '0.0.9');
      await page.waitForFunction(() => document.getElementById('firmware-message')!.textContent === 'Updated to picamd 0.0.9.', null, { timeout: 15_000 });
    } finally {
      await close();
    }
  });

  test('the phone layout: the card fits the screen', async () => {
    ready();
    const { page, close } = await openFirmware({ width: 375, height: 740 });
    try {
      const overflow = (await page.evaluate(`(() => {
        const card = document.getElementById('firmware').getBoundingClientRect();
        const wide = [...document.querySelectorAll('#firmware *')].filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1).map((el) => el.id || el.className || el.tagName);
        return { right: card.right, width: document.documentElement.clientWidth, scroll: document.documentElement.scrollWidth, wide };
      })()`)) as { right: number; width: number; scroll: number; wide: string[] };
      assert.ok(overflow.right <= overflow.width + 1, `the card ends at ${overflow.right} px of ${overflow.width}`);
      // (The page as a whole is the settings form's business; this card adds nothing wider than the screen.)
      assert.deepEqual(overflow.wide, [], 'nothing in the card is wider than the screen');
      assert.equal(await page.isVisible('label[for="firmware-file"]'), true);
    } finally {
      await close();
    }
    assert.deepEqual(pageErrors, []);
  });
});
