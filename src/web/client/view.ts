// From the /api/status document to what the page shows: plain functions, no DOM, so they are
// tested under Node and the page has one renderer for the WebSocket, polling and POST answers.

import type { CameraState, DeviceStatus, PrivacySource } from '../api/types.js';

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
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** `just now`, `5 min ago`. */
export function formatAgo(seconds: number): string {
  return seconds < 10 ? 'just now' : `${formatDuration(seconds)} ago`;
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

const SOURCE_TEXT: Record<PrivacySource, string> = {
  button: 'with the button on the device',
  switch: 'with the privacy switch on the device',
  api: 'from the web',
  mqtt: 'from home automation (MQTT)',
  boot: 'at start-up',
};

export function privacySourceText(source: string): string {
  return SOURCE_TEXT[source as PrivacySource] ?? `by ${source}`;
}

export const SWITCH_LOCK_NOTE = 'The privacy switch on the device holds privacy on. Turn the switch off to start the camera.';

/** Who set privacy and when, as one sentence. */
export function privacyHistory(enabled: boolean, source: string, ago: string): string {
  const when = ago ? `, ${ago}` : '';
  if (source === 'boot') return enabled ? 'On since start-up (saved setting).' : 'Off since start-up.';
  return `Turned ${enabled ? 'on' : 'off'} ${privacySourceText(source)}${when}.`;
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
    title: p.enabled ? 'On' : 'Off',
    detail: `${p.enabled ? 'The camera is off.' : 'The camera is on.'} ${privacyHistory(p.enabled, p.source, ago)}`,
    locked,
    lockNote: locked ? SWITCH_LOCK_NOTE : '',
  };
}

function cameraLine(status: DeviceStatus): { badge: string; tone: Tone; text: string } {
  const { state, detail } = status.camera;
  if (status.privacy.enabled) return { badge: 'Private', tone: 'private', text: 'Off (privacy mode)' };
  switch (state) {
    case 'streaming':
      return { badge: 'Live', tone: 'live', text: 'Streaming' };
    case 'starting':
      return { badge: 'Starting', tone: 'busy', text: 'Starting…' };
    case 'waiting':
      return { badge: 'Starting', tone: 'busy', text: detail ? `Starting… (${detail})` : 'Starting…' };
    case 'paused':
      return { badge: 'Paused', tone: 'idle', text: 'Paused' };
    case 'backoff':
    case 'stopped':
    default:
      return { badge: 'Offline', tone: 'bad', text: detail ? `Offline: ${detail}` : 'Offline' };
  }
}

export function viewOf(status: DeviceStatus, nowMs: number, refusedSince?: string): View {
  const { camera, stream, device } = status;
  const line = cameraLine(status);
  let overlay: View['overlay'];
  if (status.privacy.enabled) {
    overlay = { title: 'Privacy mode is on', detail: 'The camera is switched off.', tone: 'private' };
  } else if (line.tone === 'bad') {
    overlay = { title: 'Camera offline', detail: camera.detail || 'Waiting for the camera.', tone: 'bad' };
  } else if (camera.state === 'starting' || camera.state === 'waiting') {
    overlay = { title: 'Camera starting…', detail: camera.state === 'waiting' ? camera.detail : '', tone: 'busy' };
  }
  const live = camera.state === 'streaming' && !status.privacy.enabled;
  return {
    name: device.name,
    version: device.version,
    badge: { text: line.badge, tone: line.tone },
    camera: line.text,
    resolution: `${camera.width} × ${camera.height}${codecNote(camera)}`,
    fps: live ? `${camera.fps.toFixed(1)} fps (of ${camera.framerate})` : '—',
    viewers: `${stream.viewers} of ${stream.maxViewers}`,
    uptime: formatDuration(device.uptimeSeconds),
    privacy: privacyView(status, nowMs, refusedSince),
    overlay,
  };
}

/** ` · H.264` in H.264 mode (` · H.264, software` where the board has no H.264 encoder); nothing for MJPEG. */
function codecNote(camera: DeviceStatus['camera']): string {
  if (camera.codec !== 'h264') return '';
  return camera.h264Encoder && !camera.h264Encoder.hardware ? ' · H.264, software' : ' · H.264';
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
      return { text: status.message ? `Applying settings: ${status.message}` : 'Applying settings…', tone: 'busy' };
    case 'rolled-back':
      return { text: `Rolled back: ${status.message || 'the camera did not start with the new settings.'}`, tone: 'bad' };
    case 'fallback':
      return { text: `Running on the config file's settings: ${status.message || 'the saved settings could not be used.'}`, tone: 'bad' };
    default:
      return undefined;
  }
}
