/// <reference lib="dom" />
// axe-core (a dev dependency) in Chromium against the real picamd: no WCAG 2.1 A/AA violation in
// the first-run, live, settings and users views, in light and in dark (prefers-color-scheme
// emulated). Skipped like page.test.ts without Chromium.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { appConfig, freePort, startApp, type RunningApp } from '../../fakes/app.js';

const CHROMIUM = '/usr/bin/chromium';
const browserMissing = !existsSync(CHROMIUM);
const skip = browserMissing && process.env.CI !== 'true' ? `no Chromium at ${CHROMIUM} (apt-get install chromium); with CI=true this is a failure` : false;
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const OWNER = { user: 'owner', password: 'correct horse' };
const SCHEMES = ['light', 'dark'] as const;

interface Violation {
  id: string;
  help: string;
  nodes: Array<{ target: string[]; failureSummary?: string }>;
}

/** axe's WCAG 2.0/2.1 A and AA rules over the page, or one part of it; the violations as lines. */
async function violations(page: Page, include?: string): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async (selector) => {
    const axe = (window as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: Violation[] }> } }).axe;
    const result = await axe.run(selector ? { include: [selector] } : document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] });
    return result.violations;
  }, include);
  return found.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.help}) at ${n.target.join(' ')}: ${(n.failureSummary ?? '').split('\n').slice(1, 3).join(' ').trim()}`));
}

describe('accessibility (axe-core, WCAG 2.1 AA) in Chromium, light and dark', { skip, timeout: 240_000 }, () => {
  let browser: Browser;
  let app: RunningApp;
  let port = 0;
  const origin = () => `http://127.0.0.1:${port}`;

  before(async () => {
    if (browserMissing) throw new Error(`CI=true and no Chromium at ${CHROMIUM}`);
    const dir = mkdtempSync(join(tmpdir(), 'picamd-a11y-'));
    port = await freePort();
    app = await startApp(appConfig(port, dir, { server: { deviceName: 'Front door' }, camera: { width: 640, height: 480, framerate: 15 }, firstRun: true }), { dir, port });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
  });

  /** A page in one colour scheme; the page's CSP would refuse axe's script, so it is bypassed here. */
  async function open(scheme: (typeof SCHEMES)[number], login: boolean): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 860 },
      colorScheme: scheme,
      reducedMotion: 'reduce',
      bypassCSP: true,
      // Basic with every request (without a login the page load goes to /login).
      ...(login ? { extraHTTPHeaders: { Authorization: `Basic ${Buffer.from(`${OWNER.user}:${OWNER.password}`).toString('base64')}` } } : {}),
    });
    const page = await context.newPage();
    await page.goto(`${origin()}/`);
    return page;
  }

  for (const scheme of SCHEMES) {
    test(`first-run view, ${scheme}`, async () => {
      const page = await open(scheme, false);
      try {
        await page.waitForSelector('#setup:not([hidden])', { timeout: 20_000 });
        assert.deepEqual(await violations(page), []);
      } finally {
        await page.context().close();
      }
    });
  }

  test('the owner claims the device', async () => {
    const res = await fetch(`${origin()}/api/setup`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: origin() },
      body: JSON.stringify({ user: OWNER.user, password: OWNER.password, deviceName: 'Front door', openViewing: false }),
    });
    assert.equal(res.status, 200, await res.text());
  });

  for (const scheme of SCHEMES) {
    test(`live, settings and users views, ${scheme}`, async () => {
      const page = await open(scheme, true);
      try {
        await page.waitForFunction(() => document.getElementById('state-text')!.textContent === 'Live', null, { timeout: 20_000 });
        assert.deepEqual(await violations(page), [], 'live view');
        await page.click('#settings-open');
        await page.waitForSelector('#settings-groups details.group', { timeout: 10_000 });
        // Every group open, so every control is checked; a change, so the Apply bar says its cost.
        await page.evaluate(() => document.querySelectorAll<HTMLDetailsElement>('details.group').forEach((d) => (d.open = true)));
        await page.fill('#set-camera-quality', '70');
        assert.deepEqual(await violations(page, '#settings-form'), [], 'settings view');
        await page.waitForSelector('#users-list li[data-user="owner"]', { timeout: 10_000 });
        assert.deepEqual(await violations(page, '#users'), [], 'users view');
        assert.deepEqual(await violations(page), [], 'the whole page with the settings open');
      } finally {
        await page.context().close();
      }
    });
  }
});
