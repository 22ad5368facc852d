/// <reference lib="dom" />
// The Settings view and the first-run form in Chromium, on the real picamd page (dist/main.js with
// the simulated camera), with the settings, users and setup API answered by an in-memory fake of
// the contract (test/fakes/device-api.ts): what the page sends and shows for each answer. The same
// against the real device side: settings.test.ts and first-run.test.ts.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { FakeDeviceApi } from '../../fakes/device-api.js';
import { appConfig, freePort, startApp, type RunningApp } from '../../fakes/app.js';
import { waitFor } from '../../fakes/wait.js';

const CHROMIUM = '/usr/bin/chromium';
const browserMissing = !existsSync(CHROMIUM);
const skip = browserMissing && process.env.CI !== 'true' ? `no Chromium at ${CHROMIUM} (apt-get install chromium); with CI=true this is a failure` : false;
const API = /\/api\/(settings|users|setup)(\/|$)/;

describe('the Settings view and the first-run form in Chromium, against a fake of the API', { skip, timeout: 600_000 }, () => {
  let browser: Browser;
  let app: RunningApp;
  let port = 0;
  const pageErrors: string[] = [];
  const contexts: BrowserContext[] = [];

  before(async () => {
    if (browserMissing) throw new Error(`CI=true and no Chromium at ${CHROMIUM}`);
    const dir = mkdtempSync(join(tmpdir(), 'picamd-settings-view-'));
    port = await freePort();
    app = await startApp(appConfig(port, dir, { server: { deviceName: 'Front door' }, camera: { framerate: 15 } }), { dir, port });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
  });
  // Each test's pages close with it: a page left open keeps playing the live picture and takes
  // Chromium's CPU from every test after it.
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
  });

  async function open(fake: FakeDeviceApi, viewport = { width: 1280, height: 900 }, hash = ''): Promise<Page> {
    const context = await browser.newContext({ viewport });
    contexts.push(context);
    await context.route(API, fake.handle);
    // The status document comes from the real app; its settings part is the fake's, so the page's
    // two sources of the settings state agree as they do on a device.
    const withFakeSettings = (text: string) => {
      const doc = JSON.parse(text) as { type?: string; status?: Record<string, unknown> } & Record<string, unknown>;
      if (doc.type === 'status' && doc.status) doc.status.settings = fake.statusForDocument();
      else doc.settings = fake.statusForDocument();
      return JSON.stringify(doc);
    };
    await context.route(/\/api\/status$/, async (route) => {
      const real = await route.fetch();
      await route.fulfill({ response: real, body: withFakeSettings(await real.text()) });
    });
    await context.routeWebSocket(/\/api\/events$/, (ws) => {
      const server = ws.connectToServer();
      server.onMessage((message) => ws.send(typeof message === 'string' ? withFakeSettings(message) : message));
    });
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`http://127.0.0.1:${port}/${hash}`);
    return page;
  }

  async function openSettings(fake: FakeDeviceApi): Promise<Page> {
    const page = await open(fake);
    await page.waitForFunction(() => document.getElementById('state-text')!.textContent !== 'Connecting');
    await page.click('#settings-open');
    await page.waitForSelector('#settings-groups details.group');
    // Groups start collapsed: open them all, as a person would the ones they need.
    await page.evaluate(() => document.querySelectorAll<HTMLDetailsElement>('details.group').forEach((d) => (d.open = true)));
    return page;
  }

  const field = (page: Page, path: string) => page.locator(`#settings-groups [data-path="${path}"]`);
  const control = (page: Page, path: string) => field(page, path).locator('input, select').first();
  const puts = (fake: FakeDeviceApi) => fake.requests.filter((r) => r.line === 'PUT /api/settings');
  const message = (page: Page) => page.textContent('#settings-message');

  test('groups in order; each control with its range, unit, cost and origin; every control labelled', async () => {
    const fake = new FakeDeviceApi();
    const page = await openSettings(fake);
    assert.equal(await page.getAttribute('#settings-open', 'aria-expanded'), 'true');
    assert.deepEqual(await page.locator('#settings-groups legend').allTextContents(), ['Camera', 'Picture', 'Focus', 'Exposure', 'Device']);
    assert.equal(await field(page, 'camera.framerate').locator('.hint').textContent(), '1–120 fps, whole · restarts the camera · config file');
    assert.equal(await field(page, 'camera.width').locator('.hint').textContent(), '64–4608 px, even · restarts the camera · default');
    assert.equal(await control(page, 'camera.framerate').inputValue(), '15');
    assert.equal(await field(page, 'server.openViewing').count(), 0, 'open viewing only in the Users section');
    const unlabelled = await page.evaluate(() =>
      Array.from(document.querySelectorAll<HTMLInputElement>('#settings input, #settings select')).filter((el) => el.type !== 'file' && !el.labels?.length).map((el) => el.id),
    );
    assert.deepEqual(unlabelled, []);
  });

  test('Apply from the keyboard: the whole tree with If-Match; the origin turns to "set here"', async () => {
    const fake = new FakeDeviceApi();
    const page = await openSettings(fake);
    await control(page, 'camera.quality').focus();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('65');
    await page.keyboard.press('Enter');
    // A camera setting: saved, then the status follows the camera's restart (the fake stays "applying").
    await page.waitForFunction(() => document.getElementById('settings-message')!.textContent === 'Restarting the camera…');
    const [put] = puts(fake);
    assert.equal(put!.headers['if-match'], '"v1"');
    assert.equal(put!.body.camera.quality, 65);
    assert.equal(put!.body.camera.framerate, 15, 'the rest of the tree as it was');
    assert.equal(put!.body.gpio.led, null);
    assert.equal(put!.body.server.openViewing, false);
    assert.equal(await field(page, 'camera.quality').locator('.origin').textContent(), 'set here');
    assert.equal(await page.textContent('#settings-cost'), 'No changes.');
  });

  test('out of range or odd: marked next to the field and focused, nothing sent; Revert', async () => {
    const fake = new FakeDeviceApi();
    const page = await openSettings(fake);
    await control(page, 'camera.width').fill('1281');
    await control(page, 'camera.framerate').fill('500');
    await page.click('#settings-apply');
    assert.equal(await field(page, 'camera.width').locator('.problem').textContent(), 'Must be even');
    assert.equal(await field(page, 'camera.framerate').locator('.problem').textContent(), 'Must be at most 120 fps');
    assert.equal(await control(page, 'camera.framerate').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'set-camera-width');
    assert.deepEqual(puts(fake), []);
    await page.click('#settings-revert');
    assert.equal(await control(page, 'camera.width').inputValue(), '1280');
    assert.equal(await field(page, 'camera.width').locator('.problem').isHidden(), true);
  });

  test("the device's 400: each problem next to its field, the rest above the form", async () => {
    const fake = new FakeDeviceApi();
    const page = await openSettings(fake);
    fake.refuseNextPut = ['camera.framerate: the sensor cannot do 120 fps at 1280x720', 'camera: width and height too large together'];
    await control(page, 'camera.framerate').fill('120');
    await page.click('#settings-apply');
    await page.waitForFunction(() => !document.querySelector<HTMLElement>('[data-path="camera.framerate"] .problem')!.hidden);
    assert.equal(await field(page, 'camera.framerate').locator('.problem').textContent(), 'The sensor cannot do 120 fps at 1280x720');
    assert.equal(await page.textContent('#settings-problems'), 'camera: width and height too large together');
    assert.match((await message(page)) ?? '', /refused/);
  });

  test('412: the values are reloaded and the page says someone else changed them', async () => {
    const fake = new FakeDeviceApi();
    const page = await openSettings(fake);
    fake.changeElsewhere(['camera', 'quality'], 55);
    await control(page, 'camera.quality').fill('70');
    await page.click('#settings-apply');
    await page.waitForFunction(() => /Someone else changed/.test(document.getElementById('settings-message')!.textContent ?? ''));
    assert.equal(await control(page, 'camera.quality').inputValue(), '55');
    assert.equal(await field(page, 'camera.quality').locator('.origin').textContent(), 'set here');
    await page.click('#settings-apply');
    assert.equal(await message(page), 'Nothing to apply: no setting changed.');
    await control(page, 'camera.quality').fill('71');
    await page.click('#settings-apply');
    await page.waitForFunction(() => document.getElementById('settings-message')!.textContent === 'Restarting the camera…');
    assert.equal(puts(fake).at(-1)!.headers['if-match'], '"v2"');
  });

  test('no LED (null) is one switch: its fields start from the defaults and are sent only when it is on', async () => {
    const fake = new FakeDeviceApi();
    const page = await openSettings(fake);
    assert.equal(await page.isChecked('#set-section-gpio-led'), false);
    assert.equal(await control(page, 'gpio.led.pin').isDisabled(), true);
    assert.equal(await control(page, 'gpio.led.pin').inputValue(), '17');
    await page.check('#set-section-gpio-led');
    await control(page, 'gpio.led.pin').fill('22');
    assert.equal(await page.textContent('#settings-cost'), '2 changed · re-opens the GPIO lines');
    await page.click('#settings-apply');
    await page.waitForFunction(() => document.getElementById('settings-message')!.textContent === 'Saved; the GPIO lines were re-opened.');
    assert.deepEqual(puts(fake).at(-1)!.body.gpio, { led: { pin: 22, activeLow: false } });
    await page.uncheck('#set-section-gpio-led');
    assert.equal(await control(page, 'gpio.led.pin').isDisabled(), true);
    await page.click('#settings-apply');
    await waitFor('a second PUT', () => puts(fake).length === 2);
    assert.deepEqual(puts(fake).at(-1)!.body.gpio, { led: null });
  });

  test('"rolled back" beside Apply, the camera\'s error line behind "details"', async () => {
    const fake = new FakeDeviceApi();
    fake.status = { state: 'rolled-back', message: 'ERROR: *** no cameras available ***' };
    const page = await openSettings(fake);
    const shown = await page
      .waitForFunction(() => /^Rolled back: the new settings did not work/.test(document.getElementById('settings-message')!.textContent ?? ''), null, { timeout: 15_000 })
      .then(() => true, () => false);
    assert.ok(shown, `the rolled-back line never showed (it says ${JSON.stringify(await message(page))})`);
    await page.click('.status-details summary');
    assert.equal(await page.textContent('.camera-line'), 'The camera said: ERROR: *** no cameras available ***');
  });

  test('a rollback names the setting, the value tried and the cause; an older one does not pass for the next change', async () => {
    const fake = new FakeDeviceApi();
    const page = await openSettings(fake);
    fake.status = {
      state: 'rolled-back',
      message: 'the camera refused the new settings: ERROR: *** no cameras available ***',
      undone: [{ path: 'camera.width', tried: 4000, now: 1280 }],
      cameraLine: 'ERROR: *** no cameras available ***',
      cause: 'the camera cannot make 4000x3000 pictures',
    } as typeof fake.status;
    await page.waitForFunction(() => document.getElementById('settings-message')!.textContent === 'Rolled back: Width 4000 did not work (the camera cannot make 4000x3000 pictures), so the camera is back on the last good settings.', null, { timeout: 15_000 });
    // The next change: the old rollback, still in documents built before the PUT, is not its outcome.
    const said: string[] = [];
    await page.exposeFunction('said', (text: string) => said.push(text));
    await page.evaluate(() => {
      const el = document.getElementById('settings-message')!;
      new MutationObserver(() => void (window as unknown as { said(t: string): void }).said(el.textContent ?? '')).observe(el, { childList: true, characterData: true, subtree: true });
    });
    const stale = fake.status;
    await control(page, 'camera.quality').fill('60');
    fake.holdStatus = stale;
    await page.click('#settings-apply');
    await page.waitForFunction(() => document.getElementById('settings-message')!.textContent === 'Restarting the camera…');
    await page.waitForTimeout(2_500);
    assert.equal(await message(page), 'Restarting the camera…', `the old rollback was taken for this change (${said.join(' | ')})`);
  });

  test('open viewing: nothing changes before the explicit confirmation, which the request carries', async () => {
    const fake = new FakeDeviceApi();
    const page = await openSettings(fake);
    await page.waitForSelector('#users-list li[data-user="owner"]');
    await page.click('#open-viewing');
    assert.equal(await page.isVisible('#open-confirm'), true);
    assert.equal(await page.isChecked('#open-viewing'), false);
    await page.click('#open-no');
    assert.equal(fake.requests.some((r) => r.line === 'POST /api/users/open-viewing'), false);
    await page.click('#open-viewing');
    await page.evaluate(() => ((document.getElementById('set-camera-width') as unknown as { old: boolean }).old = true));
    await page.click('#open-yes');
    await page.waitForFunction(() => (document.getElementById('open-viewing') as HTMLInputElement).checked);
    assert.deepEqual(fake.requests.find((r) => r.line === 'POST /api/users/open-viewing')!.body, { enabled: true, confirm: 'I understand' });
    // The settings' ETag moved on; the form, holding no edits, reloaded (a new form), so Apply is not refused.
    await page.waitForFunction(() => (document.getElementById('set-camera-width') as unknown as { old?: boolean }).old !== true);
    await control(page, 'camera.quality').fill('62');
    await page.click('#settings-apply');
    await page.waitForFunction(() => document.getElementById('settings-message')!.textContent === 'Restarting the camera…');
    assert.equal(puts(fake).length, 1, 'sent once, not refused as stale');
  });

  test('on a phone (/#settings) the settings are one column', async () => {
    const fake = new FakeDeviceApi();
    const page = await open(fake, { width: 390, height: 844 }, '#settings');
    await page.waitForSelector('#settings-groups details.group');
    const xs = await page.locator('#settings-groups details.group').evaluateAll((els) => els.map((el) => Math.round(el.getBoundingClientRect().x)));
    assert.equal(new Set(xs).size, 1, `one column (${xs.join(', ')})`);
  });

  test('first run: only the setup form; checked before sending; 200 shows the live view', async () => {
    const fake = new FakeDeviceApi();
    fake.claimed = false;
    const page = await open(fake, { width: 390, height: 844 });
    await page.waitForSelector('#setup:not([hidden])');
    assert.equal(await page.isHidden('main'), true);
    assert.equal(await page.isHidden('header.top'), true);
    assert.equal(await page.inputValue('#setup-name'), 'raspberrypi');
    assert.equal(await page.isChecked('#setup-open'), false);
    await page.fill('#setup-user', 'owner');
    await page.fill('#setup-password', 'too short');
    await page.fill('#setup-password2', 'too short');
    await page.keyboard.press('Enter');
    assert.equal(await page.textContent('#setup-password-problem'), 'At least 10 characters (9 so far).');
    assert.equal(fake.requests.some((r) => r.line === 'POST /api/setup'), false);
    await page.fill('#setup-password', 'correct horse');
    await page.fill('#setup-password2', 'correct horse');
    await page.fill('#setup-name', 'Front door');
    await page.check('#setup-open');
    await page.click('#setup-submit');
    await page.waitForFunction(() => document.getElementById('setup')!.hidden && document.getElementById('overlay')!.hidden && document.getElementById('state-text')!.textContent === 'Live', null, { timeout: 20_000 });
    assert.deepEqual(fake.requests.find((r) => r.line === 'POST /api/setup')!.body, { user: 'owner', password: 'correct horse', deviceName: 'Front door', openViewing: true });
  });

  test('first run: a 409 says someone else set it up, and reloads', async () => {
    const fake = new FakeDeviceApi();
    fake.claimed = false;
    const page = await open(fake);
    await page.waitForSelector('#setup:not([hidden])');
    fake.claimed = true;
    await page.fill('#setup-user', 'late');
    await page.fill('#setup-password', 'late password');
    await page.fill('#setup-password2', 'late password');
    const reload = page.waitForEvent('framenavigated', { timeout: 15_000 });
    await page.click('#setup-submit');
    await page.waitForFunction(() => /Someone else set up this camera/.test(document.getElementById('setup-message')!.textContent ?? ''));
    await reload;
    await page.waitForFunction(() => document.getElementById('state-text')!.textContent === 'Live', null, { timeout: 20_000 });
  });

  test('no script errors on the pages', () => {
    assert.deepEqual(pageErrors, []);
  });
});
