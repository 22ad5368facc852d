/// <reference lib="dom" />
// The network line in the page's Status card, in Chromium against the real picamd, whose /proc and
// /sys are a stand-in (PICAMD_NET_ROOT: a default route on `lo`, made Wi-Fi by its /sys entries, so
// the address is the test machine's loopback) and whose iwgetid is a stand-in first on its PATH.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { appConfig, freePort, startApp, type RunningApp } from '../../fakes/app.js';
import { IPV6_ROUTES_NONE, ROUTE_HEADER, routeLine, WIRELESS_WLAN0, writeIwgetid, writeNetRoot } from '../../fakes/net-root.js';

const CHROMIUM = '/usr/bin/chromium';
const browserMissing = !existsSync(CHROMIUM);
const skip = browserMissing && process.env.CI !== 'true' ? `no Chromium at ${CHROMIUM} (apt-get install chromium); with CI=true this is a failure` : false;

describe('the network line on the page', { skip, timeout: 120_000 }, () => {
  let browser: Browser;
  let app: RunningApp;
  let dir = '';

  before(async () => {
    if (browserMissing) throw new Error(`CI=true and no Chromium at ${CHROMIUM}`);
    dir = mkdtempSync(join(tmpdir(), 'picamd-network-page-'));
    const root = await writeNetRoot(join(dir, 'net'), {
      route: ROUTE_HEADER + routeLine('lo', '00000000', '0100007F', 0x0003, 600, '00000000'),
      ipv6Route: IPV6_ROUTES_NONE,
      wireless: WIRELESS_WLAN0.replace('wlan0', '   lo'),
      interfaces: { lo: { wifi: true, type: 1 } },
    });
    await writeIwgetid(join(dir, 'bin'), { ssid: 'Home', iface: 'lo' });
    const port = await freePort();
    app = await startApp(appConfig(port, dir), { dir, port, env: { PICAMD_NET_ROOT: root, PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}` } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('Wi-Fi, its name, the signal with its word and the address, in English and in Chinese', async () => {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${app.port}/`);
    await page.waitForSelector('#s-network-row:not([hidden])');
    // The name comes with a later status push, once iwgetid has answered.
    await page.waitForFunction(() => document.getElementById('s-network')!.textContent!.startsWith('Wi-Fi "Home"'), undefined, { timeout: 20_000 });
    assert.equal(await page.textContent('#s-network'), 'Wi-Fi "Home" · \u221252 dBm (good) · 127.0.0.1 on lo');
    assert.equal(await page.textContent('#s-network-row dt'), 'Network');
    await page.close();

    const zh = await browser.newPage({ locale: 'zh-CN' });
    await zh.goto(`http://127.0.0.1:${app.port}/`);
    await zh.waitForFunction(() => document.getElementById('s-network')!.textContent!.startsWith('Wi-Fi“Home”'), undefined, { timeout: 20_000 });
    assert.equal(await zh.textContent('#s-network'), 'Wi-Fi“Home” · \u221252 dBm（良好） · 127.0.0.1（lo）');
    assert.equal(await zh.textContent('#s-network-row dt'), '网络');
    await zh.close();
  });
});
