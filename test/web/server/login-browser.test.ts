/// <reference lib="dom" />
// The login as a browser meets it: the real app with server.auth, Debian's Chromium through
// playwright-core. Skipped when /usr/bin/chromium is missing (the page tests say how to get it).

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { hashPassword } from '../../../src/device/accounts/password.js';
import { SESSION_COOKIE } from '../../../src/web/server/login.js';
import { appConfig, freePort, startApp, type RunningApp } from '../../fakes/app.js';

const CHROMIUM = '/usr/bin/chromium';

describe('logging in from Chromium', { skip: !existsSync(CHROMIUM) && `no Chromium at ${CHROMIUM}`, timeout: 120_000 }, () => {
  let app: RunningApp;
  let browser: Browser;
  let port = 0;
  const origin = () => `http://127.0.0.1:${port}`;
  const contexts: BrowserContext[] = [];

  before(async () => {
    port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'picamd-login-'));
    const users = [{ name: 'admin', passwordHash: await hashPassword('correct horse', { ln: 10, r: 8, p: 1 }) }];
    app = await startApp(appConfig(port, dir, { server: { auth: { users } }, camera: { framerate: 15 } }), { dir, port });
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

  async function context(options: Parameters<Browser['newContext']>[0] = {}): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext(options);
    contexts.push(context);
    return { context, page: await context.newPage() };
  }

  const live = () => document.getElementById('state-text')!.textContent === 'Live' && document.getElementById('overlay')!.hidden;
  const pushConnected = () => document.getElementById('link-state')!.textContent === 'Live updates';
  /** The first frame decoded: "live" can be seen a moment before the <img> has finished decoding it. */
  const pictureShown = (page: Page) => page.waitForFunction(() => (document.getElementById('live') as HTMLImageElement).naturalWidth > 0, null, { timeout: 10_000 });
  const privacyIs = (on: boolean) => document.getElementById('privacy-toggle')!.getAttribute('aria-checked') === String(on);

  let sessionCookie: { name: string; value: string; domain: string; path: string } | undefined;

  test('without credentials the page opens the login page; tools still get a Basic challenge', async () => {
    const { context: ctx, page } = await context();
    const response = await page.goto(`${origin()}/`);
    assert.equal(response?.status(), 200);
    assert.equal(new URL(page.url()).pathname, '/login');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'login-user');
    const tool = await ctx.request.get(`${origin()}/stream.mjpg`, { maxRedirects: 0 });
    assert.equal(tool.status(), 401);
    assert.equal(tool.headers()['www-authenticate'], 'Basic realm="picamd", charset="UTF-8"');
  });

  test('the login page: a wrong password is said on the page; the right one opens the camera; Log out ends the session on the device', async () => {
    const { context: ctx, page } = await context();
    await page.goto(`${origin()}/login`);
    await page.fill('#login-user', 'admin');
    await page.fill('#login-password', 'wrong horse');
    await page.click('#login-submit');
    await page.waitForFunction(() => document.getElementById('login-message')!.textContent === 'Wrong user name or password.', null, { timeout: 10_000 });
    assert.equal(new URL(page.url()).pathname, '/login');
    await page.fill('#login-password', 'correct horse');
    await page.click('#login-submit');
    await page.waitForURL(`${origin()}/`, { timeout: 10_000 });
    await page.waitForFunction(live, null, { timeout: 20_000 });
    const cookie = (await ctx.cookies()).find((c) => c.name === SESSION_COOKIE);
    assert.ok(cookie, 'the login page made a session');
    assert.equal(cookie.httpOnly, true);
    const withCookie = { headers: { Cookie: `${SESSION_COOKIE}=${cookie.value}` } };
    assert.equal((await fetch(`${origin()}/api/status`, withCookie)).status, 200);

    await page.waitForFunction(() => !document.getElementById('logout')!.hidden, null, { timeout: 10_000 });
    await page.click('#logout');
    await page.waitForURL(`${origin()}/login`, { timeout: 10_000 });
    assert.equal((await ctx.cookies()).some((c) => c.name === SESSION_COOKIE), false, 'the browser dropped the cookie');
    // The same cookie value, kept by someone: the device no longer knows it.
    assert.equal((await fetch(`${origin()}/api/status`, withCookie)).status, 401);
    // And back to the page: the login page again, not the camera.
    await page.goto(`${origin()}/`);
    assert.equal(new URL(page.url()).pathname, '/login');
  });

  test('with the password: the page is live, gets a session cookie, and the privacy toggle works', async () => {
    // A browser that sends Basic with the page load itself (one that was challenged before, a kiosk).
    const { context: ctx, page } = await context({ extraHTTPHeaders: { Authorization: `Basic ${Buffer.from('admin:correct horse').toString('base64')}` } });
    const response = await page.goto(`${origin()}/`);
    assert.equal(response?.status(), 200);
    await page.waitForFunction(live, null, { timeout: 20_000 });
    await page.waitForFunction(pushConnected, null, { timeout: 10_000 });
    await pictureShown(page);
    const cookie = (await ctx.cookies()).find((c) => c.name === SESSION_COOKIE);
    assert.ok(cookie, 'session cookie set');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(cookie.expires, -1, 'a browser-session cookie');
    sessionCookie = { name: cookie.name, value: cookie.value, domain: cookie.domain, path: cookie.path };
    await page.click('#privacy-toggle');
    await page.waitForFunction(privacyIs, true, { timeout: 10_000 });
    await page.click('#privacy-toggle');
    await page.waitForFunction(privacyIs, false, { timeout: 10_000 });
    await page.waitForFunction(live, null, { timeout: 20_000 });
  });

  test('the session cookie alone carries the page, the stream, the API and the WebSocket', async () => {
    assert.ok(sessionCookie);
    const { context: ctx, page } = await context();
    await ctx.addCookies([sessionCookie]);
    const response = await page.goto(`${origin()}/`);
    assert.equal(response?.status(), 200);
    await page.waitForFunction(live, null, { timeout: 20_000 });
    await page.waitForFunction(pushConnected, null, { timeout: 10_000 });
    const status = await page.evaluate(async () => (await fetch('/api/status')).status);
    assert.equal(status, 200);
  });

  test('opened as http://user:pass@host/, the login page logs in with them and the page goes live: no request URL carries the credentials', async () => {
    const { context: ctx, page } = await context();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    // The page's own requests (its HTML and CSS are loaded by the browser, credentials and all).
    const requests: string[] = [];
    page.on('request', (r) => ['fetch', 'xhr'].includes(r.resourceType()) && requests.push(r.url()));
    page.on('websocket', (ws) => requests.push(ws.url()));
    const response = await page.goto(`http://admin:correct%20horse@127.0.0.1:${port}/`);
    assert.equal(response?.status(), 200);
    // Chromium sends credentials of the address only when challenged; the page load is sent to the
    // login page, whose address keeps them (relative URLs resolve against document.URL), and which
    // logs in with them.
    await page.waitForURL(`${origin()}/`, { timeout: 10_000 });
    await page.waitForFunction(live, null, { timeout: 20_000 });
    await page.waitForFunction(pushConnected, null, { timeout: 10_000 });
    await pictureShown(page);
    // The login applies through the session cookie the page load got: the toggle works too.
    assert.ok((await ctx.cookies()).some((c) => c.name === SESSION_COOKIE));
    await page.click('#privacy-toggle');
    await page.waitForFunction(privacyIs, true, { timeout: 10_000 });
    await page.click('#privacy-toggle');
    await page.waitForFunction(privacyIs, false, { timeout: 10_000 });
    assert.ok(requests.some((url) => url.endsWith('/stream.mjpg')) && requests.some((url) => url.endsWith('/api/events')), requests.join(' '));
    assert.deepEqual(requests.filter((url) => url.includes('@')), [], 'no request with user:pass@');
    assert.deepEqual(errors.filter((e) => /credentials/i.test(e)), []);
  });

  test('a page of another origin cannot turn privacy on, even in a browser that is logged in', async () => {
    const { context: ctx, page } = await context({ httpCredentials: { username: 'admin', password: 'correct horse' } });
    await ctx.addCookies([sessionCookie!]);
    // localhost and 127.0.0.1 are different origins: the "other site" is the same picamd by name.
    await page.goto(`http://localhost:${port}/healthz`);
    const sent = await page.evaluate(async (target) => {
      try {
        await fetch(target, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'Content-Type': 'text/plain' }, body: '{"enabled":true}' });
        return 'sent';
      } catch (err) {
        return String(err);
      }
    }, `${origin()}/api/privacy`);
    assert.equal(sent, 'sent');
    const state = await (await fetch(`${origin()}/api/status`, { headers: { Authorization: `Basic ${Buffer.from('admin:correct horse').toString('base64')}` } })).json();
    assert.equal(state.privacy.enabled, false, 'privacy unchanged');
    assert.match(app.output(), /refused POST \/api\/privacy from 127\.0\.0\.1: a request from another site \(http:\/\/localhost:\d+\)/);
  });
});
