/// <reference lib="dom" />
// Tuning with the picture in view (issue 25), in Chromium against the real picamd with the simulated
// camera, on a desktop (1280x860) and a phone (390x844): the live picture stays on screen with the
// settings scrolled to Brightness; the first screen shows every group's name and the filter;
// filtering "bright" leaves Brightness; a slider previews on the picture and applies once on
// release; a change the camera refuses rolls back and the status beside Apply never says "Saved";
// no touch target is under 44 px. Skipped like page.test.ts without Chromium.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { hashPassword } from '../../../src/device/accounts/password.js';
import { appConfig, freePort, projectRoot, startApp, type RunningApp } from '../../fakes/app.js';
import { waitFor } from '../../fakes/wait.js';

const CHROMIUM = '/usr/bin/chromium';
const browserMissing = !existsSync(CHROMIUM);
const skip = browserMissing && process.env.CI !== 'true' ? `no Chromium at ${CHROMIUM} (apt-get install chromium); with CI=true this is a failure` : false;
const ARTIFACTS = join(projectRoot, 'test-results');
const OWNER = { name: 'owner', password: 'correct horse' };
const VIEWPORTS = [
  { name: 'desktop', viewport: { width: 1280, height: 860 }, isMobile: false },
  { name: 'phone', viewport: { width: 390, height: 844 }, isMobile: true },
] as const;

describe('tuning with the picture in view, in Chromium', { skip, timeout: 240_000 }, () => {
  let browser: Browser;
  let app: RunningApp;
  let port = 0;
  const pageErrors: string[] = [];
  const origin = () => `http://127.0.0.1:${port}`;
  /** Basic with every request (without a login the page load goes to /login). */
  const auth = { Authorization: `Basic ${Buffer.from(`${OWNER.name}:${OWNER.password}`).toString('base64')}` };
  const api = async (method: string, path: string) => (await fetch(`${origin()}${path}`, { method, headers: { ...auth, Origin: origin() } })).json();
  const lastCameraArgs = () => app.output().split('\n').filter((l) => l.includes('camera: started ')).at(-1) ?? '';

  before(async () => {
    if (browserMissing) throw new Error(`CI=true and no Chromium at ${CHROMIUM}`);
    mkdirSync(ARTIFACTS, { recursive: true });
    const dir = mkdtempSync(join(tmpdir(), 'picamd-tuning-'));
    port = await freePort();
    const users = [{ name: OWNER.name, passwordHash: await hashPassword(OWNER.password, { ln: 10, r: 8, p: 1 }) }];
    app = await startApp(appConfig(port, dir, { server: { deviceName: 'Front door', auth: { users } }, camera: { width: 640, height: 480, framerate: 15 } }), { dir, port });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
  });

  async function openSettings(kind: (typeof VIEWPORTS)[number]): Promise<Page> {
    const context = await browser.newContext({ viewport: kind.viewport, isMobile: kind.isMobile, hasTouch: kind.isMobile, extraHTTPHeaders: { Authorization: auth.Authorization } });
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(`${kind.name}: ${err.message}`));
    await page.goto(`${origin()}/`);
    await page.waitForFunction(() => document.getElementById('state-text')!.textContent === 'Live', null, { timeout: 20_000 });
    await page.click('#settings-open');
    await page.waitForSelector('#settings-groups details.group', { timeout: 10_000 });
    return page;
  }

  /** How much of an element's box is inside the viewport, 0 to 1. */
  const inView = (page: Page, selector: string) =>
    page.evaluate((sel) => {
      const r = document.querySelector(sel)!.getBoundingClientRect();
      const visible = Math.max(0, Math.min(r.bottom, innerHeight) - Math.max(r.top, 0)) * Math.max(0, Math.min(r.right, innerWidth) - Math.max(r.left, 0));
      return r.width * r.height > 0 ? visible / (r.width * r.height) : 0;
    }, selector);

  /** Visible touch targets under 44 px tall: a checkbox counts by its label, which takes the tap too. */
  const smallTargets = (page: Page) =>
    page.evaluate(() => {
      const small: string[] = [];
      const targets = document.querySelectorAll<HTMLElement>('button, a[href], input:not(.file), select, summary, label.btn, [role="switch"]');
      for (const el of Array.from(targets)) {
        if (!el.checkVisibility?.() || el.closest('[hidden]')) continue;
        let box = el.getBoundingClientRect();
        if (el instanceof HTMLInputElement && (el.type === 'checkbox' || el.type === 'radio') && el.labels?.[0]) box = el.labels[0].getBoundingClientRect();
        if (box.width === 0 || box.height === 0) continue;
        if (box.height < 43.5) small.push(`${el.tagName.toLowerCase()}#${el.id || el.textContent?.trim().slice(0, 20)} ${box.height.toFixed(1)} px`);
      }
      return small;
    });

  for (const kind of VIEWPORTS) {
    test(`${kind.name}: the first screen shows every group and the filter; scrolled to Brightness the picture stays in view; "bright" leaves Brightness`, async () => {
      const page = await openSettings(kind);
      try {
        const groups = await page.locator('#settings-groups details.group').evaluateAll((els) => els.map((el) => el.getAttribute('data-group')));
        assert.deepEqual(groups, ['Camera', 'Video', 'Picture', 'Focus', 'Exposure', 'Device', 'RTSP / ONVIF']);
        // Every group's name on the first screen: the jump list, under the picture on a phone.
        for (const name of groups) {
          const link = page.locator('.jump-link', { hasText: name! });
          assert.ok((await link.count()) === 1, `a jump link for ${name}`);
          const box = (await link.boundingBox())!;
          assert.ok(box.y >= 0 && box.y + box.height <= kind.viewport.height, `${name} on the first screen (y ${box.y.toFixed(0)})`);
        }
        assert.ok((await inView(page, '#settings-filter')) > 0.99, 'the filter box on the first screen');
        assert.ok((await inView(page, '#frame')) > 0.5, 'and the picture');
        await page.screenshot({ path: join(ARTIFACTS, `settings-${kind.name}-first.png`) });

        // Jump to Picture, scroll to Brightness: the picture is still on screen, not covering it.
        await page.click('.jump-link:has-text("Picture")');
        const brightness = page.locator('#set-camera-brightness');
        await brightness.scrollIntoViewIfNeeded();
        assert.ok((await inView(page, '#set-camera-brightness')) > 0.99, 'Brightness on screen');
        assert.ok((await inView(page, '#frame')) > 0.5, `the live picture on screen (${(await inView(page, '#frame')).toFixed(2)} of it)`);
        const covered = await brightness.evaluate((el) => {
          const r = el.getBoundingClientRect();
          return document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) !== el;
        });
        assert.equal(covered, false, 'the picture does not cover Brightness');
        await page.screenshot({ path: join(ARTIFACTS, `settings-${kind.name}-brightness.png`) });

        await page.fill('#settings-filter', 'bright');
        const shown = await page.locator('#settings-groups [data-path]').evaluateAll((els) => els.filter((el) => (el as HTMLElement).checkVisibility()).map((el) => el.getAttribute('data-path')));
        assert.ok(shown.includes('camera.brightness'), `Brightness left (${shown.join(', ')})`);
        assert.ok(shown.length <= 3, `and little else (${shown.join(', ')})`);
        await page.fill('#settings-filter', '');

        // Touch targets, with every group open and the settings closed again.
        await page.evaluate(() => document.querySelectorAll('details').forEach((d) => ((d as HTMLDetailsElement).open = true)));
        assert.deepEqual(await smallTargets(page), [], 'no touch target under 44 px in the settings');
        await page.click('#settings-open');
        assert.deepEqual(await smallTargets(page), [], 'nor in the live view');
        // The Settings button keeps its word on a phone too.
        assert.equal(await page.locator('#settings-open span').isVisible(), true);
      } finally {
        await page.context().close();
      }
    });
  }

  test('a slider previews on the picture while it moves and applies once, on release', async () => {
    const page = await openSettings(VIEWPORTS[0]);
    try {
      const patches: string[] = [];
      page.on('request', (r) => r.method() === 'PATCH' && patches.push(r.postData() ?? ''));
      await page.click('.jump-link:has-text("Picture")');
      const slider = page.locator('#set-camera-brightness-slider');
      await slider.focus();
      for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowRight');
      assert.equal(await page.inputValue('#set-camera-brightness'), '0.2');
      assert.match(await page.locator('#live').evaluate((el) => (el as HTMLElement).style.filter), /^brightness\(1\.3\)$/);
      assert.match((await page.locator('.preview-chip').textContent()) ?? '', /Preview: Brightness 0\.2/);
      assert.match((await page.textContent('#settings-cost')) ?? '', /restarts the camera/);
      await page.waitForFunction(() => document.getElementById('settings-message')!.textContent === 'Live with the new settings.', null, { timeout: 30_000 });
      assert.deepEqual(patches, ['{"camera":{"brightness":0.2}}'], 'one change for four steps');
      await waitFor('the camera restarted with --brightness 0.2', () => lastCameraArgs().includes('--brightness 0.2'), 10_000);
      assert.equal(await page.locator('.preview-chip').isHidden(), true, 'the preview ends with the real picture');
      assert.equal(await page.locator('#live').evaluate((el) => (el as HTMLElement).style.filter), '');
    } finally {
      await page.context().close();
    }
  });

  test('a change the camera refuses: restarting, then rolled back naming the setting and the cause; never "Saved"', async () => {
    const page = await openSettings(VIEWPORTS[1]);
    try {
      await page.evaluate(() => {
        const seen: string[] = ((window as unknown as { said: string[] }).said = []);
        const el = document.getElementById('settings-message')!;
        new MutationObserver(() => seen.push(el.textContent ?? '')).observe(el, { childList: true, characterData: true, subtree: true });
      });
      await page.fill('#settings-filter', 'tuning');
      await page.fill('#set-camera-tuningFile', '/nonexistent/x.json');
      assert.match((await page.textContent('#settings-cost')) ?? '', /1 changed · restarts the camera/);
      await page.click('#settings-apply');
      await page.waitForFunction(() => /^Rolled back/.test(document.getElementById('settings-message')!.textContent ?? ''), null, { timeout: 30_000 });
      const said = await page.evaluate(() => (window as unknown as { said: string[] }).said);
      assert.ok(said.some((s) => s === 'Restarting the camera…'), said.join(' | '));
      assert.ok(!said.some((s) => /Saved/.test(s)), `never "Saved" (${said.join(' | ')})`);
      const message = (await page.textContent('#settings-message')) ?? '';
      assert.match(message, /Tuning file \/nonexistent\/x\.json/);
      assert.match(message, /the tuning file \/nonexistent\/x\.json does not exist/);
      await page.click('.status-details summary');
      assert.match((await page.textContent('.camera-line')) ?? '', /ERROR/);
      await page.screenshot({ path: join(ARTIFACTS, 'settings-rolled-back-phone.png') });
      assert.equal((await api('GET', '/api/settings')).values.camera.tuningFile, null, 'the device went back');
    } finally {
      await page.context().close();
    }
  });

  test('no script errors on the pages', () => {
    assert.deepEqual(pageErrors, []);
  });
});
