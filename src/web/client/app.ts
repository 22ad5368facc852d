// The page at the device's address: live picture, privacy toggle, status. Three connections, each
// repairing itself: the MJPEG stream (fetch, so the page sees every frame and every drop), the
// /api/events WebSocket (with /api/status polling while it is down), and one POST per toggle.

import { boundaryOf, MultipartReader } from './multipart.js';
import { backoffMs, isDeviceStatus, snapshotFileName, viewOf, type DeviceStatus, type Tone } from './view.js';

const byId = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const ui = {
  name: byId('device-name'),
  link: byId('link-state'),
  badge: byId('state-badge'),
  badgeText: byId('state-text'),
  frame: byId('frame'),
  img: byId<HTMLImageElement>('live'),
  chip: byId('live-chip'),
  overlay: byId('overlay'),
  overlayTitle: byId('overlay-title'),
  overlayDetail: byId('overlay-detail'),
  caption: byId('caption'),
  snapshot: byId<HTMLButtonElement>('snapshot'),
  fullscreen: byId<HTMLButtonElement>('fullscreen'),
  fullscreenExit: byId<HTMLButtonElement>('fullscreen-exit'),
  fullscreenIcon: byId('fullscreen-icon'),
  fullscreenLabel: byId('fullscreen-label'),
  privacyCard: byId('privacy-card'),
  privacyIcon: byId('privacy-icon'),
  privacyTitle: byId('privacy-title'),
  privacyDetail: byId('privacy-detail'),
  privacyNote: byId('privacy-note'),
  toggle: byId<HTMLButtonElement>('privacy-toggle'),
  sCamera: byId('s-camera'),
  sResolution: byId('s-resolution'),
  sFps: byId('s-fps'),
  sViewers: byId('s-viewers'),
  sUptime: byId('s-uptime'),
  sVersion: byId('s-version'),
  toast: byId('toast'),
  side: byId('side'),
};

// ---------------------------------------------------------------------------------------------
// The live picture

type StreamState = 'connecting' | 'live' | 'reconnecting' | 'full';

/** Every frame is at most this far apart: the device sends a placeholder each second when the camera is off. */
const STALL_MS = 10_000;

class LiveStream {
  state: StreamState = 'connecting';
  /** Why the last attempt failed, for the overlay. */
  detail = '';
  /** When the next attempt starts (performance.now()), while waiting. */
  retryAt = 0;
  private generation = 0;
  private wanted = false;
  private controller: AbortController | undefined;
  private retryTimer: number | undefined;
  private stallTimer: number | undefined;
  private attempt = 0;
  private pending: Uint8Array | undefined;
  private painting = false;
  private shownUrl: string | undefined;
  private sized = false;

  constructor(
    private readonly img: HTMLImageElement,
    private readonly changed: () => void,
  ) {}

  start(): void {
    if (this.wanted) return;
    this.wanted = true;
    void this.connect(++this.generation);
  }

  /** Stops streaming (hidden tab): the device serves one viewer fewer. */
  stop(): void {
    this.wanted = false;
    this.generation++;
    window.clearTimeout(this.retryTimer);
    window.clearTimeout(this.stallTimer);
    this.controller?.abort();
    this.controller = undefined;
  }

  /** The device answers again: try at once instead of waiting out the backoff. */
  retryNow(): void {
    if (!this.wanted || this.controller || this.state === 'full') return;
    window.clearTimeout(this.retryTimer);
    this.attempt = 0;
    void this.connect(++this.generation);
  }

  private set(state: StreamState, detail = ''): void {
    if (state === this.state && detail === this.detail) return;
    this.state = state;
    this.detail = detail;
    this.changed();
  }

  private async connect(generation: number): Promise<void> {
    const controller = new AbortController();
    this.controller = controller;
    let retryAfterMs: number | undefined;
    let failure = 'The connection to the camera was lost.';
    try {
      const res = await fetch('/stream.mjpg', { cache: 'no-store', signal: controller.signal });
      if (res.status === 503) {
        const body = (await res.json().catch(() => undefined)) as { message?: string } | undefined;
        retryAfterMs = (Number(res.headers.get('retry-after')) || 5) * 1000;
        this.set('full', body?.message ?? 'Too many people are watching right now.');
      } else if (res.ok && !res.body) {
        // A browser without streamed fetch bodies: its own MJPEG decoder, without drop detection.
        controller.abort();
        this.wanted = false;
        this.img.src = '/stream.mjpg';
        this.set('live');
        return;
      } else if (!res.ok || !res.body) {
        failure = `The camera answered HTTP ${res.status}.`;
      } else {
        const reader = new MultipartReader(boundaryOf(res.headers.get('content-type')) ?? 'picamd-frame-boundary');
        const body = res.body.getReader();
        this.armStall(controller);
        for (;;) {
          const { done, value } = await body.read();
          if (done || generation !== this.generation) break;
          for (const jpeg of reader.push(value)) {
            this.armStall(controller);
            this.attempt = 0;
            this.show(jpeg);
            if (this.state !== 'live') this.set('live');
          }
        }
      }
    } catch {
      // Refused, reset, or aborted by the stall timer or stop(); all of them mean "try again".
    }
    window.clearTimeout(this.stallTimer);
    controller.abort();
    if (this.controller === controller) this.controller = undefined;
    if (!this.wanted || generation !== this.generation) return;
    const delay = retryAfterMs ?? backoffMs(this.attempt++, Math.random());
    this.retryAt = performance.now() + delay;
    if (retryAfterMs === undefined) this.set('reconnecting', failure);
    this.retryTimer = window.setTimeout(() => void this.connect(generation), delay);
  }

  private armStall(controller: AbortController): void {
    window.clearTimeout(this.stallTimer);
    this.stallTimer = window.setTimeout(() => controller.abort(), STALL_MS);
  }

  /** Latest frame wins: while one decodes, newer ones replace the waiting one, never a queue. */
  private show(jpeg: Uint8Array): void {
    this.pending = jpeg;
    if (!this.painting) this.paint();
  }

  private paint(): void {
    const jpeg = this.pending;
    if (!jpeg) return;
    this.pending = undefined;
    this.painting = true;
    const url = URL.createObjectURL(new Blob([jpeg as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }));
    const done = () => {
      // The previous picture stays on screen until this one is decoded (HTML "pending request").
      if (this.shownUrl) URL.revokeObjectURL(this.shownUrl);
      this.shownUrl = url;
      this.painting = false;
      if (!this.sized && this.img.naturalWidth > 0) {
        this.sized = true;
        setAspect(this.img.naturalWidth, this.img.naturalHeight);
      }
      this.paint();
    };
    this.img.src = url;
    this.img.decode().then(done, done);
  }
}

function setAspect(width: number, height: number): void {
  if (width > 0 && height > 0) ui.frame.style.setProperty('--arn', String(width / height));
}

// ---------------------------------------------------------------------------------------------
// Device status: WebSocket, polling while it is down

type Link = 'connecting' | 'live' | 'polling' | 'offline';

const POLL_MS = 2_000;
/** The device sends stats every 2 s; this long without a message is a dead connection. */
const SILENCE_MS = 7_000;

class StatusFeed {
  link: Link = 'connecting';
  private ws: WebSocket | undefined;
  private attempt = 0;
  private retryTimer: number | undefined;
  private silenceTimer: number | undefined;
  private pollTimer: number | undefined;
  private polling = false;

  constructor(
    private readonly onStatus: (status: DeviceStatus) => void,
    private readonly onLink: (link: Link) => void,
  ) {}

  start(): void {
    this.open();
  }

  /** Try the WebSocket now (the network is back) instead of waiting out the backoff. */
  retryNow(): void {
    if (this.ws) return;
    window.clearTimeout(this.retryTimer);
    this.open();
  }

  private setLink(link: Link): void {
    if (link === this.link) return;
    this.link = link;
    this.onLink(link);
  }

  private open(): void {
    this.retryTimer = undefined;
    let ws: WebSocket;
    try {
      ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/events`);
    } catch {
      this.lost();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.stopPolling();
      this.setLink('live');
      this.armSilence();
    };
    ws.onmessage = (event) => {
      this.armSilence();
      let message: unknown;
      try {
        message = JSON.parse(String(event.data));
      } catch {
        return;
      }
      const m = message as { type?: unknown; status?: unknown };
      if (m.type === 'status' && isDeviceStatus(m.status)) this.onStatus(m.status);
    };
    ws.onclose = () => {
      if (this.ws === ws) this.drop();
    };
  }

  private armSilence(): void {
    window.clearTimeout(this.silenceTimer);
    this.silenceTimer = window.setTimeout(() => this.drop(), SILENCE_MS);
  }

  /** Gives up on the socket at once: a close handshake with a vanished device can take minutes. */
  private drop(): void {
    const ws = this.ws;
    this.ws = undefined;
    window.clearTimeout(this.silenceTimer);
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      ws.close();
    }
    this.lost();
  }

  private lost(): void {
    if (this.link === 'live' || this.link === 'connecting') this.setLink('polling');
    this.startPolling();
    window.clearTimeout(this.retryTimer);
    this.retryTimer = window.setTimeout(() => this.open(), backoffMs(this.attempt++, Math.random()));
  }

  private startPolling(): void {
    if (this.polling) return;
    this.polling = true;
    void this.poll();
  }

  private stopPolling(): void {
    this.polling = false;
    window.clearTimeout(this.pollTimer);
  }

  private async poll(): Promise<void> {
    if (!this.polling) return;
    const controller = new AbortController();
    const timeout = window.setTimeout(() => controller.abort(), 4_000);
    try {
      const res = await fetch('/api/status', { cache: 'no-store', signal: controller.signal });
      const status: unknown = await res.json();
      if (!this.polling) return;
      if (res.ok && isDeviceStatus(status)) {
        this.onStatus(status);
        this.setLink('polling');
        // The device is back: the WebSocket need not wait for its backoff.
        if (!this.ws) this.retryNow();
      }
    } catch {
      if (this.polling) this.setLink('offline');
    } finally {
      window.clearTimeout(timeout);
    }
    if (this.polling) this.pollTimer = window.setTimeout(() => void this.poll(), POLL_MS);
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering

let status: DeviceStatus | undefined;
/** privacy.since of a state the device refused to turn off (409): the switch holds it. */
let refusedSince: string | undefined;
let privacyBusy = false;

const stream = new LiveStream(ui.img, () => render());
const feed = new StatusFeed(
  (next) => {
    const first = !status;
    status = next;
    if (first) setAspect(next.camera.width, next.camera.height);
    render();
  },
  (link) => {
    if (link === 'live' || link === 'polling') stream.retryNow();
    render();
  },
);

function text(el: HTMLElement, value: string): void {
  if (el.textContent !== value) el.textContent = value;
}

function tone(el: HTMLElement, value: Tone): void {
  if (el.dataset.tone !== value) el.dataset.tone = value;
}

const LINK_TEXT: Record<Link, string> = {
  connecting: 'Connecting…',
  live: 'Live updates',
  polling: 'Updating every 2 s',
  offline: 'Device not reachable, retrying…',
};

function render(): void {
  const view = status ? viewOf(status, Date.now(), refusedSince) : undefined;
  const offline = feed.link === 'offline';

  if (view) {
    text(ui.name, view.name);
    const title = `${view.name} · picamd`;
    if (document.title !== title) document.title = title;
    ui.img.alt = `Live view from ${view.name}`;
  }
  text(ui.link, LINK_TEXT[feed.link]);
  ui.side.dataset.stale = String(offline);

  if (offline) {
    tone(ui.badge, 'bad');
    text(ui.badgeText, 'Unreachable');
  } else if (view) {
    tone(ui.badge, view.badge.tone);
    text(ui.badgeText, view.badge.text);
  }

  // Over the picture: only what the picture itself cannot say. The device draws "privacy mode",
  // "offline" and "starting" into the stream; the page covers connection trouble.
  let overlay: { title: string; detail: string } | undefined;
  if (stream.state === 'reconnecting') {
    overlay = { title: 'Reconnecting…', detail: offline ? 'The device does not answer. It may be restarting or out of Wi-Fi range.' : stream.detail };
  } else if (stream.state === 'full') {
    overlay = { title: 'No free viewer slot', detail: stream.detail };
  } else if (stream.state === 'connecting') {
    overlay = { title: 'Connecting…', detail: '' };
  }
  ui.overlay.hidden = !overlay;
  if (overlay) {
    text(ui.overlayTitle, overlay.title);
    text(ui.overlayDetail, overlay.detail);
  }
  ui.chip.hidden = !(stream.state === 'live' && status?.camera.state === 'streaming' && !status.privacy.enabled);

  if (!view) return;
  const live = status?.camera.state === 'streaming' && !status.privacy.enabled;
  text(ui.caption, `${view.resolution} · ${live ? view.fps : view.camera}`);
  text(ui.sCamera, view.camera);
  text(ui.sResolution, view.resolution);
  text(ui.sFps, view.fps);
  text(ui.sViewers, view.viewers);
  text(ui.sUptime, view.uptime);
  text(ui.sVersion, view.version);

  const p = view.privacy;
  ui.privacyCard.dataset.on = String(p.on);
  ui.toggle.setAttribute('aria-checked', String(p.on));
  ui.toggle.setAttribute('aria-disabled', String(p.locked || privacyBusy));
  ui.toggle.setAttribute('aria-busy', String(privacyBusy));
  ui.toggle.title = p.locked ? p.lockNote : p.on ? 'Turn privacy mode off: the camera starts again' : 'Turn privacy mode on: the camera stops';
  ui.privacyIcon.setAttribute('href', p.on ? '#i-lock' : '#i-eye');
  text(ui.privacyTitle, p.title);
  text(ui.privacyDetail, p.detail);
  ui.privacyNote.hidden = !p.locked;
  text(ui.privacyNote, p.lockNote);
}

// ---------------------------------------------------------------------------------------------
// Actions

let toastTimer: number | undefined;
function toast(message: string): void {
  ui.toast.textContent = message;
  ui.toast.hidden = false;
  window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => (ui.toast.hidden = true), 5_000);
}

interface PrivacyAnswer {
  privacy?: DeviceStatus['privacy'];
  message?: string;
}

async function togglePrivacy(): Promise<void> {
  if (!status || privacyBusy) return;
  const view = viewOf(status, Date.now(), refusedSince);
  if (view.privacy.locked) {
    toast(view.privacy.lockNote);
    return;
  }
  const enabled = !status.privacy.enabled;
  privacyBusy = true;
  render();
  try {
    const res = await fetch('/api/privacy', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ enabled }),
    });
    const answer = (await res.json().catch(() => ({}))) as PrivacyAnswer;
    if (answer.privacy && status) status = { ...status, privacy: answer.privacy };
    if (res.status === 409) {
      refusedSince = answer.privacy?.since ?? status?.privacy.since;
      toast(answer.message ? capitalise(answer.message) : 'The privacy switch on the device holds privacy on.');
    } else if (!res.ok) {
      toast(answer.message ?? `The device refused (HTTP ${res.status}).`);
    }
  } catch {
    toast('The device did not answer; privacy mode is unchanged.');
  } finally {
    privacyBusy = false;
    render();
  }
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1) + (/[.!?]$/.test(s) ? '' : '.');
}

async function snapshot(): Promise<void> {
  ui.snapshot.disabled = true;
  try {
    const res = await fetch('/snapshot.jpg', { cache: 'no-store' });
    if (!res.ok) {
      const answer = (await res.json().catch(() => ({}))) as { message?: string };
      toast(answer.message ?? `No snapshot (HTTP ${res.status}).`);
      return;
    }
    const url = URL.createObjectURL(await res.blob());
    const link = document.createElement('a');
    link.href = url;
    link.download = snapshotFileName(new Date());
    document.body.append(link);
    link.click();
    link.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 30_000);
  } catch {
    toast('The device did not answer; no snapshot.');
  } finally {
    ui.snapshot.disabled = false;
  }
}

function isFullscreen(): boolean {
  return document.fullscreenElement === ui.frame || ui.frame.classList.contains('immersive');
}

function toggleFullscreen(): void {
  if (document.fullscreenElement) {
    void document.exitFullscreen();
  } else if (ui.frame.classList.contains('immersive')) {
    ui.frame.classList.remove('immersive');
  } else if (document.fullscreenEnabled && ui.frame.requestFullscreen) {
    ui.frame.requestFullscreen().catch(() => ui.frame.classList.add('immersive'));
  } else {
    ui.frame.classList.add('immersive');
  }
  window.setTimeout(renderFullscreen, 50);
}

function renderFullscreen(): void {
  const on = isFullscreen();
  ui.fullscreen.setAttribute('aria-pressed', String(on));
  ui.fullscreenIcon.setAttribute('href', on ? '#i-shrink' : '#i-expand');
  text(ui.fullscreenLabel, on ? 'Exit fullscreen' : 'Fullscreen');
}

// ---------------------------------------------------------------------------------------------
// Start

ui.toggle.addEventListener('click', () => void togglePrivacy());
ui.snapshot.addEventListener('click', () => void snapshot());
ui.fullscreen.addEventListener('click', toggleFullscreen);
ui.fullscreenExit.addEventListener('click', toggleFullscreen);
ui.frame.addEventListener('dblclick', (event) => {
  if (!(event.target instanceof Element && event.target.closest('button'))) toggleFullscreen();
});
document.addEventListener('fullscreenchange', renderFullscreen);
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && ui.frame.classList.contains('immersive')) {
    ui.frame.classList.remove('immersive');
    renderFullscreen();
  }
});

// A hidden tab watches nothing: one viewer fewer for a Pi Zero to serve.
document.addEventListener('visibilitychange', () => {
  if (document.hidden) stream.stop();
  else stream.start();
});
window.addEventListener('online', () => {
  feed.retryNow();
  stream.retryNow();
});

// Relative times ("2 min ago") move on between messages.
window.setInterval(render, 15_000);

feed.start();
if (!document.hidden) stream.start();
render();
