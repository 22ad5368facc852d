// The live view's DOM: one render() from a plain model (status, link, stream state), writing only
// what changed, so the WebSocket, polling and POST answers all show the same way.

import { t, type MessageKey } from './i18n/translate.js';
import type { Link } from './status-feed.js';
import type { StreamState } from './stream.js';
import { settingsStateText, viewOf, type DeviceStatus, type Tone } from './view.js';

export interface LiveModel {
  status: DeviceStatus | undefined;
  link: Link;
  stream: { state: StreamState; detail: string };
  /** privacy.since of a state the device refused to turn off (409): the switch holds it. */
  refusedSince: string | undefined;
  privacyBusy: boolean;
  nowMs: number;
}

export function findLiveElements(doc: Document) {
  const byId = <T extends HTMLElement = HTMLElement>(id: string) => {
    const el = doc.getElementById(id);
    if (!el) throw new Error(`the page has no #${id}`);
    return el as T;
  };
  return {
    name: byId('device-name'),
    link: byId('link-state'),
    badge: byId('state-badge'),
    badgeText: byId('state-text'),
    frame: byId('frame'),
    img: byId<HTMLImageElement>('live'),
    video: byId<HTMLVideoElement>('live-video'),
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
    sNetworkRow: byId('s-network-row'),
    sNetwork: byId('s-network'),
    sVersion: byId('s-version'),
    toast: byId('toast'),
    side: byId('side'),
    settingsNote: byId('settings-note'),
    storageNote: byId('storage-note'),
  };
}

export type LiveElements = ReturnType<typeof findLiveElements>;

export function text(el: HTMLElement, value: string): void {
  if (el.textContent !== value) el.textContent = value;
}

function tone(el: HTMLElement, value: Tone): void {
  if (el.dataset.tone !== value) el.dataset.tone = value;
}

const LINK_TEXT: Record<Link, MessageKey> = {
  connecting: 'live.link.connecting',
  live: 'live.link.live',
  polling: 'live.link.polling',
  offline: 'live.link.offline',
};

/** The picture's box keeps the camera's aspect ratio before the first frame arrives. */
export function setAspect(ui: LiveElements, width: number, height: number): void {
  if (width > 0 && height > 0) ui.frame.style.setProperty('--arn', String(width / height));
}

export function renderLive(ui: LiveElements, model: LiveModel): void {
  const { status, stream } = model;
  const view = status ? viewOf(status, model.nowMs, model.refusedSince) : undefined;
  const offline = model.link === 'offline';

  if (view) {
    text(ui.name, view.name);
    const title = t('live.pageTitle', { name: view.name });
    if (document.title !== title) document.title = title;
    ui.img.alt = t('live.pictureAltNamed', { name: view.name });
  }
  text(ui.link, t(LINK_TEXT[model.link]));
  ui.side.dataset.stale = String(offline);

  if (offline) {
    tone(ui.badge, 'bad');
    text(ui.badgeText, t('live.badge.unreachable'));
  } else if (view) {
    tone(ui.badge, view.badge.tone);
    text(ui.badgeText, view.badge.text);
  }

  // Over the picture: only what the picture itself cannot say. The device draws "privacy mode",
  // "offline" and "starting" into the stream; the page covers connection trouble.
  let overlay: { title: string; detail: string } | undefined;
  if (stream.state === 'reconnecting') {
    overlay = { title: t('live.overlay.reconnecting'), detail: offline ? t('live.overlay.unreachable') : stream.detail };
  } else if (stream.state === 'full') {
    overlay = { title: t('live.overlay.full'), detail: stream.detail };
  } else if (stream.state === 'connecting') {
    overlay = { title: t('live.link.connecting'), detail: '' };
  }
  ui.overlay.hidden = !overlay;
  if (overlay) {
    text(ui.overlayTitle, overlay.title);
    text(ui.overlayDetail, overlay.detail);
  }
  const live = status?.camera.state === 'streaming' && !status.privacy.enabled;
  ui.chip.hidden = !(stream.state === 'live' && live);

  if (!view) return;
  const settings = settingsStateText(status?.settings);
  ui.settingsNote.hidden = !settings;
  text(ui.settingsNote, settings?.text ?? '');
  if (ui.settingsNote.dataset.tone !== (settings?.tone ?? '')) ui.settingsNote.dataset.tone = settings?.tone ?? '';
  text(ui.caption, `${view.resolution} · ${live ? view.fps : view.camera}`);
  text(ui.sCamera, view.camera);
  text(ui.sResolution, view.resolution);
  text(ui.sFps, view.fps);
  text(ui.sViewers, view.viewers);
  text(ui.sUptime, view.uptime);
  ui.sNetworkRow.hidden = view.network === undefined;
  text(ui.sNetwork, view.network ?? '');
  text(ui.sVersion, view.version);
  ui.storageNote.hidden = !view.storage;
  text(ui.storageNote, view.storage?.text ?? '');
  if (ui.storageNote.dataset.tone !== (view.storage?.tone ?? '')) ui.storageNote.dataset.tone = view.storage?.tone ?? '';

  const p = view.privacy;
  ui.privacyCard.dataset.on = String(p.on);
  ui.toggle.setAttribute('aria-checked', String(p.on));
  ui.toggle.setAttribute('aria-disabled', String(p.locked || model.privacyBusy));
  ui.toggle.setAttribute('aria-busy', String(model.privacyBusy));
  ui.toggle.title = p.locked ? p.lockNote : t(p.on ? 'live.privacy.turnOffTitle' : 'live.privacy.turnOnTitle');
  ui.privacyIcon.setAttribute('href', p.on ? '#i-lock' : '#i-eye');
  text(ui.privacyTitle, p.title);
  text(ui.privacyDetail, p.detail);
  ui.privacyNote.hidden = !p.locked && !p.saveNote;
  text(ui.privacyNote, [p.lockNote, p.saveNote].filter(Boolean).join(' '));
}

export function renderFullscreen(ui: LiveElements, on: boolean): void {
  ui.fullscreen.setAttribute('aria-pressed', String(on));
  ui.fullscreenIcon.setAttribute('href', on ? '#i-shrink' : '#i-expand');
  text(ui.fullscreenLabel, t(on ? 'live.fullscreenExit' : 'live.fullscreen'));
}
