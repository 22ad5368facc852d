// The page at the device's address. This module only puts the parts together with the browser's
// fetch, WebSocket and timers: the live view (live-view.ts: stream.ts, status-feed.ts, render.ts)
// and the Settings view.

import { DeviceApi } from './api.js';
import { download, LiveView } from './live-view.js';
import { browserTimers, openWebSocket } from './net.js';
import { findLiveElements } from './render.js';
import { findSettingsElements, SettingsView } from './settings-view.js';
import { Toast } from './toast.js';
import { findUsersElements, UsersView } from './users-view.js';

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

live.start();
settings.start();
users.start();
