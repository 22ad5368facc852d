// The page at the device's address. This module only puts the parts together with the browser's
// fetch, WebSocket and timers: the first-run form while nobody owns the device, else the live view
// (live-view.ts: stream.ts, status-feed.ts, render.ts) and the Settings view. The first-run form and
// the Settings view are loaded when they are needed, so the live view costs what it did before them.
// A viewer's page has no Settings (and no privacy switch unless the owner allows it); a device
// whose accounts cannot be read shows only why, and how to recover.
// Beside the live view: the device's clock (time-view.ts), the one-time welcome and "Connect other
// apps" (connect-view.ts), Log out; the Settings view mounts the Date and time card (time-card.ts).
// Everything speaks the language the translation tables (i18n/) were started in.

import { DeviceApi } from './api.js';
import { startLanguage } from './i18n/page.js';
import { t } from './i18n/translate.js';
import { download, LiveView } from './live-view.js';
import { browserTimers, openWebSocket } from './net.js';
import { findLiveElements } from './render.js';
import { findRtspLinkElements, RtspLink } from './rtsp-link.js';
import type { SettingsView } from './settings-view.js';
import { Toast } from './toast.js';
import { ConnectView, welcomeAfterSetup } from './connect-view.js';
import type { TimeCard } from './time-card.js';
import { findTimeElements, TimeView } from './time-view.js';
import type { DeviceStatus } from './view.js';

/** Where a browser logs in (src/web/server/login.ts sends a page load without a login there too). */
const LOGIN_PAGE = '/login';

/** An absolute URL on the device, without credentials a user:pass@ address may have. */
const pageUrl = (path: string) => new URL(path, location.origin).href;

/** How long the page waits for GET /api/setup before it shows the live view anyway. */
const SETUP_CHECK_MS = 5_000;

const fetchFn = (url: string, init?: RequestInit) => fetch(url, init);
const api = new DeviceApi({ location, fetch: fetchFn });
const ui = findLiveElements(document);
const toast = new Toast(ui.toast);
const settingsButton = document.getElementById('settings-open') as HTMLButtonElement;
const logoutButton = document.getElementById('logout') as HTMLButtonElement;
const loginLink = document.getElementById('login-link') as HTMLAnchorElement;
let lastStatus: DeviceStatus | undefined;
let settingsView: Promise<SettingsView> | undefined;
let timeCard: TimeCard | undefined;
const timeView = new TimeView(findTimeElements(document));
const connectView = new ConnectView(document.getElementById('connect')!, document.getElementById('welcome')!, { origin: location.origin, hostname: location.hostname });
/** The device's password minimum (GET /api/me), once known. */
let passwordMinimum: number | undefined;
const rtspLink = new RtspLink(findRtspLinkElements(document), location.hostname, window.isSecureContext ? (t) => navigator.clipboard.writeText(t) : undefined, (m) => toast.show(m));

const live = new LiveView(ui, {
  location,
  fetch: fetchFn,
  openSocket: openWebSocket,
  timers: browserTimers,
  random: Math.random,
  toast,
  // Nobody owns the device any more (an owner reset on the device): the reloaded page shows the setup form.
  onNotSetUp: () => void api.setup().then((setup) => setup.ok && setup.body?.claimed === false && location.reload()),
  // The session ended (logged out elsewhere, the device restarted): the login page, then back here.
  onLoginRequired: () => location.assign(pageUrl(LOGIN_PAGE)),
  onStatus: (status) => {
    lastStatus = status;
    timeView.showStatus(status);
    connectView.showStatus(status);
    timeCard?.showStatus(status);
    rtspLink.show(status);
    void settingsView?.then((view) => view.showStatus(status));
  },
});

async function loadSettingsView(): Promise<SettingsView> {
  const [settings, users, time] = await Promise.all([import('./settings-view.js'), import('./users-view.js'), import('./time-card.js')]);
  const view = new settings.SettingsView(settings.findSettingsElements(document), api, download);
  const usersView = new users.UsersView(users.findUsersElements(document), api);
  if (passwordMinimum !== undefined) usersView.setPasswordMinimum(passwordMinimum);
  const card = new time.TimeCard(document.getElementById('time-card')!, api);
  card.showStatus(lastStatus);
  timeCard = card;
  view.onOpen = () => {
    void usersView.load();
    void card.load();
  };
  usersView.onOpenViewingChanged = () => void view.refreshIfUnchanged();
  view.start();
  usersView.start();
  void import('./firmware-view.js').then((firmware) => firmware.mountFirmware(document, api, location));
  void import('./recorder-view.js').then((recorder) => recorder.mountRecorderView(document, api));
  view.showStatus(lastStatus);
  return view;
}

function toggleSettings(): void {
  settingsView ??= loadSettingsView();
  settingsView.then(
    (view) => view.toggle(),
    () => {
      settingsView = undefined;
      toast.show(t('live.settingsLoadFailed'));
    },
  );
}

/** Hides what the logged-in user may not do; the device refuses it anyway (403). */
async function applyRole(): Promise<{ viewer: boolean }> {
  const me = await api.me();
  if (!me.ok) {
    if (me.status === 401) location.assign(pageUrl(LOGIN_PAGE));
    return { viewer: false };
  }
  passwordMinimum = me.body.passwordMinimum;
  const viewer = me.body.role === 'viewer';
  settingsButton.hidden = viewer;
  ui.toggle.hidden = !me.body.mayTogglePrivacy;
  // Logged in: Log out. Watching without a login (open viewing): Log in, for the owner's settings.
  logoutButton.hidden = me.body.name === null;
  loginLink.hidden = me.body.name !== null || me.body.role !== null;
  if (me.body.name !== null) logoutButton.title = `${t('login.loggedInAs', { name: me.body.name })}. ${t('login.logOutTitle')}`;
  return { viewer };
}

/** Ends this browser's session on the device, then the login page. */
async function logOut(): Promise<void> {
  logoutButton.disabled = true;
  const result = await api.logOut();
  logoutButton.disabled = false;
  if (!result.ok && result.status === 0) {
    toast.show(t('login.logOutFailed'));
    return;
  }
  location.assign(pageUrl(LOGIN_PAGE));
}

function startPage(): void {
  live.start();
  timeView.start();
  connectView.start();
  settingsButton.addEventListener('click', toggleSettings);
  logoutButton.addEventListener('click', () => void logOut());
  void applyRole().then(({ viewer }) => {
    if (location.hash === '#settings' && !viewer) toggleSettings();
  });
}

/** The accounts file cannot be read: nothing works until the owner reset, and the page says so. */
function showLocked(message: string): void {
  for (const el of [document.querySelector<HTMLElement>('header.top'), document.querySelector<HTMLElement>('main'), document.getElementById('settings')]) {
    if (el) el.hidden = true;
  }
  document.getElementById('locked-message')!.textContent = message;
  document.getElementById('locked')!.hidden = false;
  document.title = t('live.locked.title');
}

async function main(): Promise<void> {
  // First: everything renders in the chosen language (nothing has rendered before this).
  await startLanguage();
  const timeout = new Promise<undefined>((resolve) => window.setTimeout(resolve, SETUP_CHECK_MS));
  const setup = await Promise.race([api.setup(), timeout]);
  // A device without the setup API (404), or one that does not answer, shows the live view, which repairs itself.
  if (setup && !setup.ok && setup.error === 'accounts-unreadable') {
    showLocked(setup.message);
  } else if (setup?.ok && setup.body?.claimed === false) {
    const { findSetupElements, SetupView } = await import('./setup-view.js');
    new SetupView(findSetupElements(document), api, () => (welcomeAfterSetup(), startPage()), () => location.reload()).show(setup.body.deviceName ?? '', setup.body.passwordMinimum);
  } else {
    startPage();
  }
}

void main();
