// The page at the device's address. This module only puts the parts together with the browser's
// fetch, WebSocket and timers: the first-run form while nobody owns the device, else the live view
// (live-view.ts: stream.ts, status-feed.ts, render.ts) and the Settings view.

import { DeviceApi } from './api.js';
import { download, LiveView } from './live-view.js';
import { browserTimers, openWebSocket } from './net.js';
import { findLiveElements } from './render.js';
import { findSettingsElements, SettingsView } from './settings-view.js';
import { findSetupElements, SetupView } from './setup-view.js';
import { Toast } from './toast.js';
import { findUsersElements, UsersView } from './users-view.js';

/** How long the page waits for GET /api/setup before it shows the live view anyway. */
const SETUP_CHECK_MS = 5_000;

const fetchFn = (url: string, init?: RequestInit) => fetch(url, init);
const api = new DeviceApi({ location, fetch: fetchFn });
const ui = findLiveElements(document);
const settings = new SettingsView(findSettingsElements(document), api, download);
const users = new UsersView(findUsersElements(document), api);
settings.onOpen = () => void users.load();
const live = new LiveView(ui, {
  location,
  fetch: fetchFn,
  openSocket: openWebSocket,
  timers: browserTimers,
  random: Math.random,
  toast: new Toast(ui.toast),
  onStatus: (status) => settings.showStatus(status.settings),
});

function startPage(): void {
  live.start();
  settings.start();
  users.start();
}

async function main(): Promise<void> {
  const timeout = new Promise<undefined>((resolve) => window.setTimeout(resolve, SETUP_CHECK_MS));
  const setup = await Promise.race([api.setup(), timeout]);
  // A device without the setup API (404), or one that does not answer, shows the live view, which repairs itself.
  if (setup?.ok && setup.body?.claimed === false) {
    new SetupView(findSetupElements(document), api, startPage, () => location.reload()).show(setup.body.deviceName ?? '');
  } else {
    startPage();
  }
}

void main();
