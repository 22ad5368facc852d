// The page at the device's address. This module only puts the parts together with the browser's
// fetch, WebSocket and timers: the first-run form while nobody owns the device, else the live view
// (live-view.ts: stream.ts, status-feed.ts, render.ts) and the Settings view. The first-run form and
// the Settings view are loaded when they are needed, so the live view costs what it did before them.

import { DeviceApi } from './api.js';
import { download, LiveView } from './live-view.js';
import { browserTimers, openWebSocket } from './net.js';
import { findLiveElements } from './render.js';
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
    void settingsView?.then((view) => view.showStatus(status.settings));
  },
});

async function loadSettingsView(): Promise<SettingsView> {
  const [settings, users] = await Promise.all([import('./settings-view.js'), import('./users-view.js')]);
  const view = new settings.SettingsView(settings.findSettingsElements(document), api, download);
  const usersView = new users.UsersView(users.findUsersElements(document), api);
  view.onOpen = () => void usersView.load();
  usersView.onOpenViewingChanged = () => void view.refreshIfUnchanged();
  view.start();
  usersView.start();
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

function startPage(): void {
  live.start();
  settingsButton.addEventListener('click', toggleSettings);
  if (location.hash === '#settings') toggleSettings();
}

async function main(): Promise<void> {
  const timeout = new Promise<undefined>((resolve) => window.setTimeout(resolve, SETUP_CHECK_MS));
  const setup = await Promise.race([api.setup(), timeout]);
  // A device without the setup API (404), or one that does not answer, shows the live view, which repairs itself.
  if (setup?.ok && setup.body?.claimed === false) {
    const { findSetupElements, SetupView } = await import('./setup-view.js');
    new SetupView(findSetupElements(document), api, startPage, () => location.reload()).show(setup.body.deviceName ?? '');
  } else {
    startPage();
  }
}

void main();
