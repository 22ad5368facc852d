// From the /api/status document to what the page shows: plain functions, no DOM, so they are
// tested under Node and the page has one renderer for the WebSocket, polling and POST answers.

import type { CameraState, DeviceStatus, PrivacySource } from '../api/types.js';
import { currentLanguage, formatNumber, t, type MessageKey } from './i18n/translate.js';
import { networkLine } from './network-line.js';
import { storageNote } from './storage-note.js';

export type { CameraState, DeviceStatus, PrivacySource };

export type Tone = 'live' | 'busy' | 'bad' | 'private' | 'idle';

export interface PrivacyView {
  on: boolean;
  /** "On" or "Off" */
  title: string;
  /** Who set it and when. */
  detail: string;
  /** The toggle cannot turn privacy off: a latching switch on the device holds it on. */
  locked: boolean;
  lockNote: string;
  /** The device could not save the state (a full or read-only card): it holds until a restart. */
  saveNote: string;
}

export interface View {
  name: string;
  version: string;
  badge: { text: string; tone: Tone };
  camera: string;
  resolution: string;
  fps: string;
  viewers: string;
  uptime: string;
  /** The network the device is on; undefined when it does not say. */
  network: string | undefined;
  /** The memory card full, read-only or low; undefined while it is fine. */
  storage: { text: string; tone: 'bad' | 'busy' } | undefined;
  privacy: PrivacyView;
  /** Shown over the picture, or undefined while it is live. */
  overlay: { title: string; detail: string; tone: Tone } | undefined;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;

/** Just enough of a shape check that a stray message cannot break the page. */
export function isDeviceStatus(x: unknown): x is DeviceStatus {
  if (!isObject(x)) return false;
  const { device, camera, stream, privacy } = x;
  return (
    isObject(device) &&
    typeof device.name === 'string' &&
    isObject(camera) &&
    typeof camera.state === 'string' &&
    typeof camera.width === 'number' &&
    typeof camera.height === 'number' &&
    isObject(stream) &&
    isObject(privacy) &&
    typeof privacy.enabled === 'boolean'
  );
}

/** `45 s`, `12 min`, `3 h 12 min`, `4 d 3 h`. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  if (s < 60) return t('common.duration.seconds', { n: s });
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return t('common.duration.minutes', { n: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return t('common.duration.hours', { h: hours, m: minutes % 60 });
  return t('common.duration.days', { d: Math.floor(hours / 24), h: hours % 24 });
}

/** `just now`, `5 min ago`. */
export function formatAgo(seconds: number): string {
  return seconds < 10 ? t('common.justNow') : t('common.ago', { duration: formatDuration(seconds) });
}

/**
 * How long ago privacy changed, in seconds, or undefined when it cannot be told. `since` is on the
 * device's clock, which on a Pi without a network time source can be days off the browser's: the
 * device's own `time` is used when the document has it, and otherwise an age that contradicts the
 * uptime (a change made while running cannot be older than the run) is not shown.
 */
export function privacyAgeSeconds(status: DeviceStatus, nowMs: number): number | undefined {
  const since = Date.parse(status.privacy.since);
  if (Number.isNaN(since)) return undefined;
  const deviceNow = Date.parse(status.device.time ?? '');
  if (!Number.isNaN(deviceNow)) return Math.max(0, (deviceNow - since) / 1000);
  const age = (nowMs - since) / 1000;
  if (status.privacy.source === 'boot') return age >= 0 ? age : undefined;
  return age > -10 && age <= status.device.uptimeSeconds + 10 ? Math.max(0, age) : undefined;
}

const SOURCE_TEXT: Record<PrivacySource, MessageKey> = {
  button: 'live.privacy.source.button',
  switch: 'live.privacy.source.switch',
  api: 'live.privacy.source.api',
  mqtt: 'live.privacy.source.mqtt',
  boot: 'live.privacy.source.boot',
};

export function privacySourceText(source: string): string {
  const key = Object.prototype.hasOwnProperty.call(SOURCE_TEXT, source) ? SOURCE_TEXT[source as PrivacySource] : undefined;
  return key ? t(key) : t('live.privacy.source.other', { source });
}

/** The note under a privacy toggle that a latching switch holds on (a function: in the page's language). */
export function switchLockNote(): string {
  return t('live.privacy.lockNote');
}

/** Who set privacy and when, as one sentence. */
export function privacyHistory(enabled: boolean, source: string, ago: string): string {
  if (source === 'boot') return t(enabled ? 'live.privacy.bootOn' : 'live.privacy.bootOff');
  const params = { source: privacySourceText(source), ago };
  if (ago) return t(enabled ? 'live.privacy.turnedOnAgo' : 'live.privacy.turnedOffAgo', params);
  return t(enabled ? 'live.privacy.turnedOn' : 'live.privacy.turnedOff', params);
}

/**
 * A switch holds privacy on when the device says so, when the switch itself set it, or when the
 * device just refused to turn it off (409) and nothing has changed since.
 */
export function privacyView(status: DeviceStatus, nowMs: number, refusedSince?: string): PrivacyView {
  const p = status.privacy;
  const locked = p.enabled && (p.heldBySwitch === true || p.source === 'switch' || (refusedSince !== undefined && refusedSince === p.since));
  const age = privacyAgeSeconds(status, nowMs);
  const ago = age === undefined ? '' : formatAgo(age);
  return {
    on: p.enabled,
    title: t(p.enabled ? 'live.privacy.on' : 'live.privacy.off'),
    detail: t('live.privacy.detail', { camera: t(p.enabled ? 'live.privacy.cameraOff' : 'live.privacy.cameraOn'), history: privacyHistory(p.enabled, p.source, ago) }),
    locked,
    lockNote: locked ? switchLockNote() : '',
    saveNote: p.notSaved ? (currentLanguage() === 'en' ? p.notSaved.message : t('live.privacy.notSaved', { state: t(p.enabled ? 'live.privacy.on' : 'live.privacy.off') })) : '',
  };
}

function cameraLine(status: DeviceStatus): { badge: string; tone: Tone; text: string } {
  const { state, detail } = status.camera;
  if (status.privacy.enabled) return { badge: t('live.badge.private'), tone: 'private', text: t('live.camera.private') };
  switch (state) {
    case 'streaming':
      return { badge: t('live.badge.live'), tone: 'live', text: t('live.camera.streaming') };
    case 'starting':
      return { badge: t('live.badge.starting'), tone: 'busy', text: t('live.camera.starting') };
    case 'waiting':
      return { badge: t('live.badge.starting'), tone: 'busy', text: detail ? t('live.camera.startingDetail', { detail }) : t('live.camera.starting') };
    case 'paused':
      return { badge: t('live.badge.paused'), tone: 'idle', text: t('live.camera.paused') };
    case 'backoff':
    case 'stopped':
    default:
      return { badge: t('live.badge.offline'), tone: 'bad', text: detail ? t('live.camera.offlineDetail', { detail }) : t('live.camera.offline') };
  }
}

export function viewOf(status: DeviceStatus, nowMs: number, refusedSince?: string): View {
  const { camera, stream, device } = status;
  const line = cameraLine(status);
  let overlay: View['overlay'];
  if (status.privacy.enabled) {
    overlay = { title: t('live.overlay.private'), detail: t('live.overlay.privateDetail'), tone: 'private' };
  } else if (line.tone === 'bad') {
    overlay = { title: t('live.overlay.offline'), detail: camera.detail || t('live.overlay.offlineDetail'), tone: 'bad' };
  } else if (camera.state === 'starting' || camera.state === 'waiting') {
    overlay = { title: t('live.overlay.starting'), detail: camera.state === 'waiting' ? camera.detail : '', tone: 'busy' };
  }
  const live = camera.state === 'streaming' && !status.privacy.enabled;
  return {
    name: device.name,
    version: device.version,
    badge: { text: line.badge, tone: line.tone },
    camera: line.text,
    // Sizes as they are written in camera settings (1280, not 1,280).
    resolution: t('live.resolution', { width: String(camera.width), height: String(camera.height) }) + codecNote(camera),
    fps: live ? t('live.fps', { fps: formatNumber(camera.fps, { minimumFractionDigits: 1, maximumFractionDigits: 1 }), framerate: camera.framerate }) : '—',
    viewers: t('live.viewers', { n: stream.viewers, max: stream.maxViewers }),
    uptime: formatDuration(device.uptimeSeconds),
    network: networkLine(status.network),
    storage: storageNote(status.storage),
    privacy: privacyView(status, nowMs, refusedSince),
    overlay,
  };
}

/** ` · H.264` in H.264 mode (` · H.264, software` where the board has no H.264 encoder); nothing for MJPEG. */
function codecNote(camera: DeviceStatus['camera']): string {
  if (camera.codec !== 'h264') return '';
  return t(camera.h264Encoder && !camera.h264Encoder.hardware ? 'live.codec.h264Software' : 'live.codec.h264');
}

/** `picamd-2026-11-26_17-03-12.jpg` in local time: sorts by name, no characters Windows refuses. */
export function snapshotFileName(at: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return (
    `picamd-${at.getFullYear()}-${p(at.getMonth() + 1)}-${p(at.getDate())}` +
    `_${p(at.getHours())}-${p(at.getMinutes())}-${p(at.getSeconds())}.jpg`
  );
}

/**
 * Delay before reconnect attempt `attempt` (0-based): 0.5 s doubling to 10 s, with ±20% jitter so
 * a room full of pages does not hit a rebooted device in the same millisecond.
 */
export function backoffMs(attempt: number, random: number): number {
  const base = Math.min(10_000, 500 * 2 ** Math.min(attempt, 10));
  return Math.round(base * (0.8 + 0.4 * random));
}

/** What the page says for settings.state; undefined: nothing to say. */
export function settingsStateText(status: DeviceStatus['settings']): { text: string; tone: 'busy' | 'bad' } | undefined {
  if (!status) return undefined;
  switch (status.state) {
    case 'applying':
      return { text: status.message ? t('live.settingsState.applyingDetail', { message: status.message }) : t('live.settingsState.applying'), tone: 'busy' };
    case 'rolled-back':
      // The device's reason is English: another language says it in its words around the camera's own line.
      if (status.cameraLine && currentLanguage() !== 'en') return { text: t('live.settingsState.rolledBackCamera', { line: status.cameraLine }), tone: 'bad' };
      return { text: status.message ? t('live.settingsState.rolledBack', { message: status.message }) : t('live.settingsState.rolledBackDefault'), tone: 'bad' };
    case 'fallback':
      return { text: status.message ? t('live.settingsState.fallback', { message: status.message }) : t('live.settingsState.fallbackDefault'), tone: 'bad' };
    default:
      return undefined;
  }
}
