/// <reference lib="dom" />
// The Settings view in Chromium against the real picamd (dist/main.js) with the simulated camera
// and a login, through the HTTP API of the settings store (GET/PUT /api/settings with ETags, the
// schema, reset, export, import, /api/users). Skipped like test/web/client/page.test.ts without Chromium.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { hashPassword } from '../../../src/device/accounts/password.js';
import { appConfig, freePort, projectRoot, startApp, type RunningApp } from '../../fakes/app.js';
import { waitFor } from '../../fakes/wait.js';

/** Basic with every request (without a login the page load goes to /login). */
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const CHROMIUM = '/usr/bin/chromium';
const browserMissing = !existsSync(CHROMIUM);
const skip = browserMissing && process.env.CI !== 'true' ? `no Chromium at ${CHROMIUM} (apt-get install chromium); with CI=true this is a failure` : false;
const ARTIFACTS = join(projectRoot, 'test-results');
const OWNER = { name: 'owner', password: 'correct horse' };

describe('the Settings view in Chromium', { skip, timeout: 240_000 }, () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let app: RunningApp;
  let port = 0;
  let dir = '';
  let password = OWNER.password;
  const pageErrors: string[] = [];
  const origin = () => `http://127.0.0.1:${port}`;
  const auth = () => ({ Authorization: `Basic ${Buffer.from(`${OWNER.name}:${password}`).toString('base64')}`, Origin: origin() });
  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${origin()}${path}`, {
      method,
      headers: { ...auth(), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, etag: res.headers.get('etag') ?? '', body: await res.json().catch(() => undefined) };
  };
  const output = () => `\n--- picamd output ---\n${app.output().split('\n').slice(-40).join('\n')}`;
  const field = (path: string) => page.locator(`#settings-groups [data-path="${path}"]`);
  const control = (path: string) => field(path).locator('input, select').first();
  /** Groups start collapsed: open them all, as a person would the ones they need. */
  const openGroups = () => page.evaluate(() => document.querySelectorAll<HTMLDetailsElement>('details.group').forEach((d) => (d.open = true)));

  /** Set by before(): each test fails with it, so a missing API or browser is named in every failure. */
  let setupError: unknown;
  const ready = () => {
    if (setupError) throw setupError;
  };

  before(async () => {
    try {
      await setUp();
    } catch (err) {
      setupError = err;
    }
  });

  async function setUp(): Promise<void> {
    if (browserMissing) throw new Error(`CI=true and no Chromium at ${CHROMIUM}`);
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'picamd-settings-'));
    port = await freePort();
    const users = [{ name: OWNER.name, passwordHash: await hashPassword(OWNER.password, { ln: 10, r: 8, p: 1 }) }];
    const config = appConfig(port, dir, { server: { deviceName: 'Front door', auth: { users } }, camera: { width: 640, height: 480, framerate: 15 } });
    app = await startApp(config, { dir, port });
    const probe = await api('GET', '/api/settings/schema');
    if (probe.status !== 200) throw new Error(`GET /api/settings/schema answers ${probe.status}: the server side of the settings API is missing`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, extraHTTPHeaders: { Authorization: basic(OWNER.name, OWNER.password) }, acceptDownloads: true });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${origin()}/`);
    await page.waitForFunction(() => document.getElementById('state-text')!.textContent === 'Live', null, { timeout: 20_000 });
  }

  after(async () => {
    await browser?.close();
    await app?.stop();
  });

  test('opens from the header, grouped Camera · Video · Picture · Focus · Exposure · Device · Users; each control with its range, unit and origin', async () => {
    ready();
    await page.click('#settings-open');
    // The Settings view's modules load on the first click.
    await page.waitForFunction(() => document.getElementById('settings-open')!.getAttribute('aria-expanded') === 'true');
    await page.waitForSelector('#settings-groups details.group', { timeout: 10_000 }).catch((err: Error) => {
      throw new Error(`${err.message}${output()}`);
    });
    await openGroups();
    const legends = await page.locator('#settings-groups legend').allTextContents();
    const order = ['Camera', 'Video', 'Picture', 'Focus', 'Exposure', 'Device', 'RTSP / ONVIF'];
    assert.deepEqual(legends, order.filter((g) => legends.includes(g)), 'groups in the page order');
    assert.ok(legends.includes('Camera') && legends.includes('Device'), legends.join(', '));
    assert.equal(await page.locator('#users-heading').textContent(), 'Users');
    // camera.framerate: 15 comes from the config file; 1–120 fps is the schema's range.
    assert.match((await field('camera.framerate').locator('.hint').textContent()) ?? '', /1–120 fps/);
    assert.equal(await field('camera.framerate').locator('.origin').textContent(), 'config file');
    assert.equal(await control('camera.framerate').inputValue(), '15');
    assert.equal(await field('camera.quality').locator('.origin').textContent(), 'default');
    // Every control has a label.
    const unlabelled = await page.evaluate(() =>
      Array.from(document.querySelectorAll<HTMLInputElement>('#settings-groups input, #settings-groups select')).filter((el) => !el.labels?.length).map((el) => el.id),
    );
    assert.deepEqual(unlabelled, []);
    await page.screenshot({ path: join(ARTIFACTS, 'settings.png'), fullPage: true });
  });

  test('Apply from the keyboard saves through PUT with If-Match; the origin becomes "set here"', async () => {
    ready();
    await control('camera.framerate').focus();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('10');
    await page.keyboard.press('Enter');
    // Saved, then the status follows the camera's restart to the first picture.
    await page.waitForFunction(() => document.getElementById('settings-message')!.textContent === 'Live with the new settings.', null, { timeout: 30_000 });
    const now = await api('GET', '/api/settings');
    assert.equal(now.body.values.camera.framerate, 10);
    assert.equal(now.body.origins['camera.framerate'], 'page');
    assert.equal(await field('camera.framerate').locator('.origin').textContent(), 'set here');
    await waitFor('the camera at 10 fps', async () => (await api('GET', '/api/status')).body.camera.framerate === 10, 30_000, 200);
  });

  test('resolution and rotation from the Settings view: the live view changes within seconds, and a reload finds them kept', async () => {
    ready();
    const liveSize = () =>
      page.evaluate(() => {
        const img = document.getElementById('live') as HTMLImageElement;
        return `${img.naturalWidth}x${img.naturalHeight}`;
      });
    // The picture may be between two frames (a new one decoding has no size yet).
    await waitFor('the live view at 640x480', async () => (await liveSize()) === '640x480', 10_000, 50);
    await control('camera.width').fill('320');
    await control('camera.height').fill('240');
    // Options are listed by their text; the form keeps their values as indices.
    const rotationText = () => control('camera.rotation').evaluate((el) => (el as HTMLSelectElement).selectedOptions[0]?.textContent ?? '');
    const option180 = await control('camera.rotation').evaluate((el) => Array.from((el as HTMLSelectElement).options).find((o) => /180/.test(o.text))!.value);
    await control('camera.rotation').selectOption(option180);
    const applied = performance.now();
    await page.click('#settings-apply');
    await page.waitForFunction(() => /^(Restarting the camera…|Live with the new settings\.)$/.test(document.getElementById('settings-message')!.textContent ?? ''), null, { timeout: 10_000 });
    await waitFor('the live view at 320x240', async () => (await liveSize()) === '320x240', 20_000, 50);
    // The figure the issue asks for ("well under 2 s with the simulated camera"), printed, not asserted:
    // a busy machine must not fail the test.
    console.log(`settings: new resolution in the live view ${((performance.now() - applied) / 1000).toFixed(2)} s after Apply`);
    // picamd logs the start before the first frame, but the log reaches this process through a pipe
    // and the picture reaches Chromium through a socket: on a busy machine the line can come later.
    await waitFor('the camera started at 320x240, rotated', () => /--width 320 --height 240 .*--rotation 180/.test(app.output().split('\n').filter((l) => l.includes('camera: started ')).at(-1) ?? ''), 10_000, 50);
    await page.reload();
    await page.waitForFunction(() => document.getElementById('state-text')!.textContent === 'Live', null, { timeout: 20_000 });
    await page.click('#settings-open');
    await page.waitForSelector('#settings-groups details.group', { timeout: 10_000 });
    await openGroups();
    assert.equal(await control('camera.width').inputValue(), '320');
    assert.match(await rotationText(), /180/);
    assert.equal(await field('camera.rotation').locator('.origin').textContent(), 'set here');
  });

  test('a value out of range is marked next to its field before anything is sent', async () => {
    ready();
    const puts: string[] = [];
    const onRequest = (r: { method(): string; url(): string }) => r.method() === 'PUT' && puts.push(r.url());
    page.on('request', onRequest);
    await control('camera.framerate').fill('500');
    await page.click('#settings-apply');
    await page.waitForFunction(() => !document.querySelector<HTMLElement>('[data-path="camera.framerate"] .problem')!.hidden);
    assert.match((await field('camera.framerate').locator('.problem').textContent()) ?? '', /at most 120/);
    assert.equal(await control('camera.framerate').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement?.closest('[data-path]')?.getAttribute('data-path')), 'camera.framerate');
    assert.deepEqual(puts, []);
    page.off('request', onRequest);
    await page.click('#settings-revert');
    assert.equal(await control('camera.framerate').inputValue(), '10');
  });

  test("the device's 400 problems appear next to their fields", async () => {
    ready();
    // The page checks ranges itself; a body changed on the way shows what the device's answer does.
    await page.route('**/api/settings', async (route) => {
      if (route.request().method() !== 'PUT') return route.continue();
      const body = JSON.parse(route.request().postData() ?? '{}');
      body.camera.framerate = 1000;
      return route.continue({ postData: JSON.stringify(body) });
    });
    await control('camera.quality').fill('70');
    await page.click('#settings-apply');
    await page.waitForFunction(() => !document.querySelector<HTMLElement>('[data-path="camera.framerate"] .problem')!.hidden, null, { timeout: 10_000 });
    assert.match((await field('camera.framerate').locator('.problem').textContent()) ?? '', /120/);
    assert.match((await page.locator('#settings-message').textContent()) ?? '', /refused/);
    await page.unroute('**/api/settings');
    assert.equal((await api('GET', '/api/settings')).body.values.camera.quality !== 70, true, 'nothing applied');
  });

  test('412: someone else changed the settings; the page reloads the values and says so', async () => {
    ready();
    const before = await api('GET', '/api/settings');
    const patched = await api('PATCH', '/api/settings', { camera: { quality: 55 } }, { 'If-Match': before.etag });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    await control('camera.quality').fill('60');
    await page.click('#settings-apply');
    await page.waitForFunction(() => /Someone else changed/.test(document.getElementById('settings-message')!.textContent ?? ''), null, { timeout: 10_000 });
    assert.equal(await control('camera.quality').inputValue(), '55');
    assert.equal((await api('GET', '/api/settings')).body.values.camera.quality, 55);
  });

  test('settings still work while private', async () => {
    ready();
    assert.equal((await api('POST', '/api/privacy', { enabled: true })).status, 200);
    try {
      await control('camera.quality').fill('65');
      await page.click('#settings-apply');
      await page.waitForFunction(() => document.getElementById('settings-message')!.textContent === 'Saved; the camera uses it when privacy mode is turned off.', null, { timeout: 10_000 });
      assert.equal((await api('GET', '/api/settings')).body.values.camera.quality, 65);
    } finally {
      await api('POST', '/api/privacy', { enabled: false });
    }
  });

  test('export downloads the settings without password hashes; import applies a file; reset goes back to the config file', async () => {
    ready();
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#settings-export')]);
    assert.match(download.suggestedFilename(), /^picamd-settings-\d{4}-\d{2}-\d{2}\.json$/);
    const exported = await readFile((await download.path())!, 'utf8');
    assert.equal(JSON.parse(exported).format, 1);
    assert.doesNotMatch(exported, /passwordHash|\$scrypt/);

    const file = join(dir, 'import.json');
    await writeFile(file, JSON.stringify({ format: 1, settings: { camera: { quality: 42 } } }));
    await page.setInputFiles('#settings-import', file);
    await page.waitForFunction(() => /Imported/.test(document.getElementById('file-message')!.textContent ?? ''), null, { timeout: 10_000 });
    assert.equal(await control('camera.quality').inputValue(), '42');
    assert.equal((await api('GET', '/api/settings')).body.values.camera.quality, 42);

    await page.click('#settings-reset');
    assert.equal(await page.isVisible('#reset-confirm'), true, 'asks first');
    await page.click('#reset-yes');
    await page.waitForFunction(() => /config file/.test(document.getElementById('file-message')!.textContent ?? ''), null, { timeout: 10_000 });
    const reset = await api('GET', '/api/settings');
    assert.equal(reset.body.origins['camera.quality'], 'default');
    assert.equal(reset.body.values.camera.framerate, 15, 'back to the config file');
    assert.equal(await field('camera.framerate').locator('.origin').textContent(), 'config file');
  });

  test('users: add and remove one, change my own password, open viewing only after a confirmation', async () => {
    ready();
    await page.waitForSelector('#users-list li[data-user="owner"]');
    await page.fill('#adduser-name', 'anna');
    await page.fill('#adduser-password', 'anna password');
    await page.fill('#adduser-password2', 'anna passwort');
    await page.click('#adduser-form button[type="submit"]');
    assert.match((await page.textContent('#adduser-message')) ?? '', /differ/);
    await page.fill('#adduser-password2', 'anna password');
    await page.click('#adduser-form button[type="submit"]');
    await page.waitForSelector('#users-list li[data-user="anna"]');
    const anna = await fetch(`${origin()}/api/status`, { headers: { Authorization: `Basic ${Buffer.from('anna:anna password').toString('base64')}` } });
    assert.equal(anna.status, 200, 'anna can log in');
    await page.click('#users-list li[data-user="anna"] button');
    await page.waitForFunction(() => !document.querySelector('#users-list li[data-user="anna"]'));

    await page.fill('#password-current', 'wrong password');
    await page.fill('#password-new', 'correct horse battery');
    await page.fill('#password-new2', 'correct horse battery');
    await page.click('#password-form button[type="submit"]');
    await page.waitForFunction(() => /wrong/.test(document.getElementById('password-message')!.textContent ?? ''));
    await page.fill('#password-current', OWNER.password);
    await page.click('#password-form button[type="submit"]');
    await page.waitForFunction(() => document.getElementById('password-message')!.textContent === 'Password changed.');
    password = 'correct horse battery';
    // The page's requests carry Basic (see the context): from now on with the new password.
    await context.setExtraHTTPHeaders({ Authorization: basic(OWNER.name, password) });
    assert.equal((await api('GET', '/api/users')).status, 200, 'the new password works');
    // A password change closes the user's streams and WebSockets; the page reconnects with its new
    // cookie and loads its views again, which on a busy machine can land between the next clicks
    // (an open confirmation then disappears). Load the page again with the new password first.
    await page.goto(`${origin()}/#settings`);
    await page.waitForSelector('#users-list li[data-user="owner"]');

    // Seen once in a whole npm test: the confirmation stayed hidden after this click (the cause not
    // found; the page is still settling after the password change). The box stays unticked until
    // the confirmation, so clicking again changes nothing but showing it.
    for (let attempt = 1; ; attempt++) {
      await page.click('#open-viewing');
      try {
        await page.waitForSelector('#open-confirm', { state: 'visible', timeout: 10_000 });
        break;
      } catch (err) {
        if (attempt === 3) throw err;
      }
    }
    assert.equal(await page.isChecked('#open-viewing'), false, 'not before the confirmation');
    assert.equal((await api('GET', '/api/users')).body.openViewing, false);
    await page.click('#open-yes');
    await page.waitForFunction(() => (document.getElementById('open-viewing') as HTMLInputElement).checked);
    assert.equal((await api('GET', '/api/users')).body.openViewing, true);
    assert.equal((await fetch(`${origin()}/api/status`)).status, 200, 'anyone may watch now');
    // Off needs no confirmation; the box unticks at once, the answer follows.
    await page.click('#open-viewing');
    await page.waitForFunction(() => document.getElementById('open-message')!.textContent === 'Watching needs a password again.');
    assert.equal((await api('GET', '/api/users')).body.openViewing, false);
  });

  test('on a phone the settings are one column', async () => {
    ready();
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, extraHTTPHeaders: { Authorization: basic(OWNER.name, password) } });
    try {
      const small = await phone.newPage();
      await small.goto(`${origin()}/#settings`);
      await small.waitForSelector('#settings-groups details.group');
      const boxes = await small.locator('#settings-groups details.group').evaluateAll((els) => els.map((el) => el.getBoundingClientRect().x));
      assert.ok(boxes.length >= 2);
      assert.ok(boxes.every((x) => Math.abs(x - boxes[0]!) < 1), `one column (${boxes.join(', ')})`);
      await small.screenshot({ path: join(ARTIFACTS, 'settings-phone.png'), fullPage: true });
    } finally {
      await phone.close();
    }
  });

  test('no script errors on the page', () => {
    ready();
    assert.deepEqual(pageErrors, []);
  });
});
