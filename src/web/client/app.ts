// The page at the device's address. This module only puts the parts together with the browser's
// fetch, WebSocket and timers: the first-run form while nobody owns the device, else the live view
// (live-view.ts: stream.ts, status-feed.ts, render.ts) and the Settings view. The first-run form and
// the Settings view are loaded when they are needed, so the live view costs what it did before them.
// A viewer's page has no Settings (and no privacy switch unless the owner allows it); a device
// whose accounts cannot be read shows only why, and how to recover.

import { DeviceApi } from './api.js';
import { download, LiveView } from './live-view.js';
import { browserTimers, openWebSocket } from './net.js';
import { findLiveElements } from './render.js';
import { findRtspLinkElements, RtspLink } from './rtsp-link.js';
import type { SettingsView } from './settings-view.js';
import { Toast } from './toast.js';
import type { DeviceStatus } from './view.js';

/** How long the page waits for GET /api/setup before it shows the live view anyway. */
const SETUP_CHECK_MS = 5_000;

const fetchFn = (url: string, init?: RequestInit) => fetch(url, init);
const api = new DeviceApi({ location, fetch: fetchFn });
const ui = findLiveElements(document);
const toast = new Toast(ui.toast);
const settingsButton = document.getElementById('settings-open') as HTMLButtonElement;
let lastStatus: DeviceStatus | undefined;
let settingsView: Promise<SettingsView> | undefined;
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
  onStatus: (status) => {
    lastStatus = status;
    rtspLink.show(status);
    void settingsView?.then((view) => view.showStatus(status.settings));
  },
});

async function loadSettingsView(): Promise<SettingsView> {
  const [settings, users] = await Promise.all([import('./settings-view.js'), import('./users-view.js')]);
  const view = new settings.SettingsView(settings.findSettingsElements(document), api, download);
  const usersView = new users.UsersView(users.findUsersElements(document), api);
  if (passwordMinimum !== undefined) usersView.setPasswordMinimum(passwordMinimum);
  view.onOpen = () => void usersView.load();
  usersView.onOpenViewingChanged = () => void view.refreshIfUnchanged();
  view.start();
  usersView.start();
  void import('./recorder-view.js').then((recorder) => recorder.mountRecorderView(document, api));
  view.showStatus(lastStatus?.settings);
  return view;
}

function toggleSettings(): void {
  settingsView ??= loadSettingsView();
  settingsView.then(
    (view) => view.toggle(),
    () => {
      settingsView = undefined;
      toast.show('The settings could not be loaded; try again.');
    },
  );
}

/** Hides what the logged-in user may not do; the device refuses it anyway (403). */
async function applyRole(): Promise<{ viewer: boolean }> {
  const me = await api.me();
  if (!me.ok) return { viewer: false };
  passwordMinimum = me.body.passwordMinimum;
  const viewer = me.body.role === 'viewer';
  settingsButton.hidden = viewer;
  ui.toggle.hidden = !me.body.mayTogglePrivacy;
  return { viewer };
}

function startPage(): void {
  live.start();
  settingsButton.addEventListener('click', toggleSettings);
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
  document.title = 'Locked · picamd';
}

async function main(): Promise<void> {
  const timeout = new Promise<undefined>((resolve) => window.setTimeout(resolve, SETUP_CHECK_MS));
  const setup = await Promise.race([api.setup(), timeout]);
  // A device without the setup API (404), or one that does not answer, shows the live view, which repairs itself.
  if (setup && !setup.ok && setup.error === 'accounts-unreadable') {
    showLocked(setup.message);
  } else if (setup?.ok && setup.body?.claimed === false) {
    const { findSetupElements, SetupView } = await import('./setup-view.js');
    new SetupView(findSetupElements(document), api, startPage, () => location.reload()).show(setup.body.deviceName ?? '', setup.body.passwordMinimum);
  } else {
    startPage();
  }
}

void main();
