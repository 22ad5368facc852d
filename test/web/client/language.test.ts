/// <reference lib="dom" />
// The page in Chromium with the browser set to Simplified Chinese, against the real app: the
// first-run screen, the live view and the Settings view (every setting's title, description,
// choices and units, and a rollback's cause) have no English word left in their visible text
// (proper nouns, technical names, config values and the camera's own error line aside), the
// device's time is shown, and the language switch changes the page to English and is remembered.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { settingsJsonSchema } from '../../../src/device/settings/store.js';
import { fieldsOf } from '../../../src/web/client/settings-form.js';
import { appConfig, freePort, projectRoot, startApp, type RunningApp } from '../../fakes/app.js';

const CHROMIUM = '/usr/bin/chromium';
const browserMissing = !existsSync(CHROMIUM);
const skip = browserMissing && process.env.CI !== 'true' ? `no Chromium at ${CHROMIUM} (apt-get install chromium); with CI=true this is a failure` : false;
const ARTIFACTS = join(projectRoot, 'test-results');

/** Names that stay as they are in a Chinese product UI: the product, formats, protocols, other products. */
const PROPER_NOUNS = new Set(['picamd', 'MJPEG', 'JPEG', 'H.264', 'RTSP', 'HTTP', 'MQTT', 'Wi-Fi', 'MP4', 'English', 'Home', 'Assistant', 'Frigate', 'OctoPrint', 'Mainsail', 'Fluidd', 'go2rtc', 'IP', 'Camera', 'mjpg-streamer']);

/**
 * What a Chinese camera UI keeps as it is in the Settings view: technical names, units, the names of
 * programs and products the descriptions mention.
 */
const TECHNICAL_NAMES = ['GPIO', 'LED', 'BCM', 'HDR', 'ISO', 'ONVIF', 'UDP', 'WS-Discovery', 'Prometheus', 'UniFi', 'Protect', 'Synology', 'Blue', 'Iris', 'Mosquitto', 'Pi', 'Raspberry', 'Module', 'libcamera', 'rpicam-hello', 'list-cameras', 'motion', 'fps', 'kbit', 's', 'Hz', 'mqtt', 'mqtts', 'ID', 'p'];

/** The config's own values (mjpeg, cdn_fast, single-exp), named in descriptions and beside the plain words for a choice. */
const CONFIG_VALUES = fieldsOf(settingsJsonSchema()).flatMap((field) => field.options.flatMap((option) => String(option).match(/[A-Za-z][A-Za-z0-9.\-]*[A-Za-z0-9]|[A-Za-z]/g) ?? []));

/**
 * The English words in the visible text of the page (what innerText gives: hidden elements and
 * closed details left out); `except`: text that is allowed to be English (the camera's own line).
 */
function englishWords(page: Page, allowed: readonly string[] = [...PROPER_NOUNS], except: readonly string[] = []): Promise<string[]> {
  return page.evaluate(
    async ([allowed, except]) => {
      // The names of the network the device is on (its interface, the Wi-Fi's name) are the machine's, not the page's words.
      const status = await fetch('/api/status').then((r) => (r.ok ? r.json() : undefined), () => undefined);
      const network = status?.network as { interface: string; ssid: string | null } | null | undefined;
      if (network) except = [...except, network.interface, ...(network.ssid ? [network.ssid] : [])];
      let text = document.body.innerText;
      // The longest first: "America/Bahia Banderas" before "America/Bahia".
      for (const quoted of [...except].sort((a, b) => b.length - a.length)) text = text.split(quoted).join(' ');
      // Addresses, file names, extensions and paths (/stream.mp4, .update, /usr/share/...), and sizes (1280x720).
      text = text.replace(/(?<![\w.])\.[a-z]+\b/g, ' ').replace(/\b(?:https?|rtsp|mqtts?):\/\/\S+/g, ' ').replace(/\S+\.(?:md|json|txt)\b/g, ' ').replace(/(?<![A-Za-z0-9])\/[\w./<>-]+/g, ' ').replace(/\b\d+x\d+\b/g, ' ');
      const words = text.match(/[A-Za-z][A-Za-z0-9.\-]*[A-Za-z0-9]|[A-Za-z]/g) ?? [];
      return words.filter((word) => !allowed.includes(word.replace(/[.]+$/, '')));
    },
    [allowed, except] as const,
  );
}

describe('the page in Simplified Chinese', { skip, timeout: 180_000 }, () => {
  let browser: Browser;
  let app: RunningApp;
  let port = 0;
  let page: Page;
  const pageErrors: string[] = [];
  const origin = () => `http://127.0.0.1:${port}`;
  let setupError: unknown;
  const ready = () => {
    if (setupError) throw setupError;
  };

  before(async () => {
    try {
      if (browserMissing) throw new Error(`CI=true and no Chromium at ${CHROMIUM}`);
      mkdirSync(ARTIFACTS, { recursive: true });
      const dir = mkdtempSync(join(tmpdir(), 'picamd-language-'));
      port = await freePort();
      // A sensor without 1280x720, so that a change to it rolls back (the Settings test below).
      app = await startApp(appConfig(port, dir, { camera: { width: 640, height: 480, framerate: 15 }, firstRun: true }), { dir, port, env: { PICAMD_SIM_SENSOR: '320x240@30,640x480@30' } });
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      });
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'zh-CN' });
      page = await context.newPage();
      page.on('pageerror', (err) => pageErrors.push(err.message));
      await page.goto(`${origin()}/`);
    } catch (err) {
      setupError = err;
    }
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
  });

  test('the first-run screen: in Chinese, no English word left', async () => {
    ready();
    await page.waitForSelector('#setup:not([hidden])', { timeout: 10_000 });
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
    assert.equal(await page.textContent('#setup-heading'), '设置这台摄像头');
    // A mistake said before sending, in Chinese too.
    await page.fill('#setup-user', '管理员');
    await page.fill('#setup-password', 'short');
    await page.click('#setup-submit');
    await page.waitForSelector('#setup-password-problem:not([hidden])');
    assert.match((await page.textContent('#setup-password-problem')) ?? '', /至少 \d+ 个字符/);
    assert.deepEqual(await englishWords(page), []);
    await page.screenshot({ path: join(ARTIFACTS, 'page-zh-setup.png') });
  });

  test('the live view after the first run: in Chinese with the welcome and the device time, no English word left', async () => {
    ready();
    await page.fill('#setup-password', '正确的马电池订书钉很长');
    await page.fill('#setup-password2', '正确的马电池订书钉很长');
    await page.fill('#setup-name', '前门');
    await page.click('#setup-submit');
    await page.waitForFunction(() => document.getElementById('setup')!.hidden && document.getElementById('state-text')!.textContent === '直播中', null, { timeout: 30_000 });
    await page.waitForFunction(() => (document.getElementById('live') as HTMLImageElement).naturalWidth > 0, null, { timeout: 10_000 });
    await page.waitForFunction(() => document.getElementById('s-time')!.textContent !== '—', null, { timeout: 10_000 });
    assert.equal(await page.isVisible('#welcome'), true, 'the one-time welcome');
    assert.equal(await page.isVisible('#connect'), true, '"Connect other apps"');
    assert.match((await page.textContent('#s-time')) ?? '', /\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}:\d{2}/, 'the device time, written the Chinese way');
    // The clock over the picture (drawn by the page), switched on.
    await page.click('#clock-toggle');
    await page.waitForSelector('#clock-overlay:not([hidden])');
    assert.deepEqual(await englishWords(page), []);
    await page.screenshot({ path: join(ARTIFACTS, 'page-zh-live.png') });
    // The recipes, opened: proper nouns only.
    await page.click('#connect summary');
    assert.deepEqual(await englishWords(page), []);
  });

  test('the Settings view: every setting, its choices and a rollback in Chinese, no English word left', async () => {
    ready();
    await page.click('#settings-open');
    await page.waitForSelector('#settings-groups details.group');
    // Every group, every "more" opened: all titles, descriptions, hints and choices are visible text.
    await page.evaluate(() => document.querySelectorAll<HTMLDetailsElement>('#settings-groups details').forEach((d) => (d.open = true)));
    assert.equal(await page.textContent('label[for="set-camera-brightness"]'), '亮度');
    assert.equal(await page.textContent('#file-heading'), '设置文件');
    const allowed = [...PROPER_NOUNS, ...TECHNICAL_NAMES, ...CONFIG_VALUES];
    // The time zones' own names (Europe/Berlin), as the device lists them.
    const zones = await page.locator('#time-zone option').allTextContents();
    assert.deepEqual(await englishWords(page, allowed, zones), []);
    // The choices of a select are not in innerText: their words, checked apart (the raw value stays beside).
    const options = await page.locator('#settings-groups select option').allTextContents();
    assert.ok(options.some((o) => o.startsWith('白炽灯')), 'white balance choices in Chinese');
    const optionWords = options.flatMap((o) => o.replace(/ · .*$/, '').match(/[A-Za-z][A-Za-z0-9.\-]*[A-Za-z0-9]|[A-Za-z]/g) ?? []);
    assert.deepEqual(optionWords.filter((w) => !allowed.includes(w)), []);
    await page.screenshot({ path: join(ARTIFACTS, 'page-zh-settings.png') });

    // A size the camera cannot make: rolled back, the cause in Chinese, the camera's own line in English behind "details".
    await page.fill('#set-camera-width', '1280');
    await page.fill('#set-camera-height', '720');
    await page.click('#settings-apply');
    await page.waitForFunction(() => (document.getElementById('settings-message')!.textContent ?? '').startsWith('已回滚'), null, { timeout: 30_000 });
    assert.match((await page.textContent('#settings-message')) ?? '', /摄像头无法输出 1280x720 的画面/);
    await page.click('.status-details summary');
    const cameraLine = (await page.textContent('.camera-line')) ?? '';
    assert.match(cameraLine, /ERROR/);
    // The device's name is the owner's (the host name when none is set), not the page's words.
    const deviceName = (await page.textContent('#device-name')) ?? '';
    assert.deepEqual(await englishWords(page, allowed, [...zones, deviceName, cameraLine.replace(/^[^:：]*[:：]\s*/, '')]), []);
    await page.screenshot({ path: join(ARTIFACTS, 'page-zh-settings-rollback.png') });
    await page.click('#settings-open');
  });

  test('the welcome goes for good; the switch changes the page to English and is remembered', async () => {
    ready();
    await page.click('#welcome button');
    assert.equal(await page.isHidden('#welcome'), true);
    await Promise.all([page.waitForEvent('framenavigated'), page.selectOption('#language', 'en')]);
    await page.waitForFunction(() => document.getElementById('state-text')!.textContent === 'Live', null, { timeout: 30_000 });
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    assert.equal(await page.textContent('#settings-open span'), 'Settings');
    assert.equal(await page.isHidden('#welcome'), true, 'once');
    await page.reload();
    await page.waitForFunction(() => document.getElementById('state-text')!.textContent === 'Live', null, { timeout: 30_000 });
    assert.equal(await page.inputValue('#language'), 'en', 'remembered over the browser language');
  });

  test('no script errors', () => {
    ready();
    assert.deepEqual(pageErrors, []);
  });
});
