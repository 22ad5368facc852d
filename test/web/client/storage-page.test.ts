/// <reference lib="dom" />
// The memory card's note in the page's Status card, in Chromium against the real picamd, whose mount
// table is a stand-in (PICAMD_MOUNTINFO) that the test turns read-only and back: the page says it
// before anyone tries to save.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { appConfig, freePort, startApp, type RunningApp } from '../../fakes/app.js';
import { mountinfoFor } from '../../fakes/mountinfo.js';

const CHROMIUM = '/usr/bin/chromium';
const browserMissing = !existsSync(CHROMIUM);
const skip = browserMissing && process.env.CI !== 'true' ? `no Chromium at ${CHROMIUM} (apt-get install chromium); with CI=true this is a failure` : false;

describe('the memory card\'s note on the page', { skip, timeout: 120_000 }, () => {
  let browser: Browser;
  let app: RunningApp;
  let dir = '';
  let mountinfo = '';

  before(async () => {
    if (browserMissing) throw new Error(`CI=true and no Chromium at ${CHROMIUM}`);
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'picamd-storage-page-')));
    mkdirSync(join(dir, 'state'));
    mountinfo = join(dir, 'mountinfo');
    writeFileSync(mountinfo, mountinfoFor(join(dir, 'state'), 'ro'));
    const port = await freePort();
    app = await startApp(appConfig(port, dir), { dir, port, env: { PICAMD_MOUNTINFO: mountinfo } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('read-only: a red note in the Status card; gone once the card takes writes again', async () => {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${app.port}/`);
    await page.waitForSelector('#storage-note:not([hidden])');
    assert.match((await page.textContent('#storage-note'))!, /^The memory card is read-only: /);
    assert.equal(await page.getAttribute('#storage-note', 'data-tone'), 'bad');
    writeFileSync(mountinfo, mountinfoFor(join(dir, 'state'), 'rw'));
    // The status arrives every 2 s; the device reads its card at most every 5 s.
    // (Hidden, unless the test machine's own disk is low.)
    await page.waitForFunction(() => {
      const note = document.getElementById('storage-note')!;
      return note.hidden || !note.textContent!.includes('read-only');
    }, undefined, { timeout: 30_000 });
    await page.close();
  });
});
