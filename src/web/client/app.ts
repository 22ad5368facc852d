// The page at the device's address. This module only puts the parts together: the live view
// (live-view.ts: stream.ts, status-feed.ts, render.ts) with the browser's fetch, WebSocket and timers.

import { LiveView } from './live-view.js';
import { browserTimers, openWebSocket } from './net.js';
import { findLiveElements } from './render.js';
import { Toast } from './toast.js';

const ui = findLiveElements(document);
const toast = new Toast(ui.toast);
const live = new LiveView(ui, {
  location,
  fetch: (url, init) => fetch(url, init),
  openSocket: openWebSocket,
  timers: browserTimers,
  random: Math.random,
  toast,
});
live.start();
