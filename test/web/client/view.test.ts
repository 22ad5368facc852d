import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  privacySourceText,
  backoffMs,
  formatDuration,
  isDeviceStatus,
  privacyAgeSeconds,
  snapshotFileName,
  settingsStateText,
  switchLockNote,
  viewOf,
  type DeviceStatus,
} from '../../../src/web/client/view.js';

const NOW = Date.parse('2026-11-26T12:00:00Z');

function status(over: { camera?: Partial<DeviceStatus['camera']>; privacy?: Partial<DeviceStatus['privacy']>; device?: Partial<DeviceStatus['device']> } = {}): DeviceStatus {
  return {
    device: { name: 'Front door', version: '0.1.0', uptimeSeconds: 3_700, ...over.device },
    camera: { state: 'streaming', detail: '', width: 1280, height: 720, framerate: 30, fps: 29.94, ...over.camera },
    stream: { viewers: 2, maxViewers: 16 },
    privacy: { enabled: false, source: 'boot', since: '2026-11-26T11:00:00Z', ...over.privacy },
  };
}

test('streaming: live badge, measured fps, no overlay', () => {
  const v = viewOf(status(), NOW);
  assert.deepEqual(v.badge, { text: 'Live', tone: 'live' });
  assert.equal(v.camera, 'Streaming');
  assert.equal(v.fps, '29.9 fps (of 30)');
  assert.equal(v.resolution, '1280 × 720');
  assert.equal(v.viewers, '2 of 16');
  assert.equal(v.uptime, '1 h 1 min');
  assert.equal(v.overlay, undefined);
  assert.equal(v.privacy.on, false);
  assert.equal(v.privacy.detail, 'The camera is on. Off since start-up.');
});

test('offline shows the reason; starting is its own state', () => {
  const off = viewOf(status({ camera: { state: 'backoff', detail: 'rpicam-vid exited with code 255; restarting in 4 s' } }), NOW);
  assert.deepEqual(off.badge, { text: 'Offline', tone: 'bad' });
  assert.equal(off.camera, 'Offline: rpicam-vid exited with code 255; restarting in 4 s');
  assert.equal(off.fps, '—');
  assert.equal(viewOf(status({ camera: { state: 'stopped', detail: '' } }), NOW).camera, 'Offline');
  const starting = viewOf(status({ camera: { state: 'starting', detail: 'waiting for the first frame' } }), NOW);
  assert.deepEqual(starting.badge, { text: 'Starting', tone: 'busy' });
  const waiting = viewOf(status({ camera: { state: 'waiting', detail: 'waiting for the previous camera process to exit' } }), NOW);
  assert.deepEqual(waiting.badge, { text: 'Starting', tone: 'busy' });
  assert.equal(waiting.camera, 'Starting… (waiting for the previous camera process to exit)');
  assert.deepEqual(waiting.overlay, { title: 'Camera starting…', detail: 'waiting for the previous camera process to exit', tone: 'busy' });
  assert.equal(waiting.fps, '—');
});

test('privacy wins over the camera state and says who set it', () => {
  const v = viewOf(status({ camera: { state: 'paused', detail: 'privacy mode' }, privacy: { enabled: true, source: 'button', since: '2026-11-26T11:55:00Z' } }), NOW);
  assert.deepEqual(v.badge, { text: 'Private', tone: 'private' });
  assert.equal(v.privacy.title, 'On');
  assert.equal(v.privacy.detail, 'The camera is off. Turned on with the button on the device, 5 min ago.');
  assert.equal(v.privacy.locked, false);
  const web = viewOf(status({ privacy: { enabled: true, source: 'api', since: '2026-11-26T11:59:58Z' } }), NOW);
  assert.equal(web.privacy.detail, 'The camera is off. Turned on from the web, just now.');
  const off = viewOf(status({ privacy: { enabled: false, source: 'api', since: '2026-11-26T11:30:00Z' } }), NOW);
  assert.equal(off.privacy.detail, 'The camera is on. Turned off from the web, 30 min ago.');
});

test('a latching switch locks the toggle: by source, by the device flag, or after a 409', () => {
  const bySwitch = viewOf(status({ privacy: { enabled: true, source: 'switch', since: '2026-11-26T11:59:00Z' } }), NOW);
  assert.equal(bySwitch.privacy.locked, true);
  assert.equal(bySwitch.privacy.lockNote, switchLockNote());
  assert.equal(viewOf(status({ privacy: { enabled: true, source: 'boot', heldBySwitch: true } }), NOW).privacy.locked, true);
  const since = '2026-11-26T10:00:00Z';
  const boot = status({ privacy: { enabled: true, source: 'boot', since } });
  assert.equal(viewOf(boot, NOW).privacy.locked, false);
  assert.equal(viewOf(boot, NOW, since).privacy.locked, true, 'refused while this state holds');
  assert.equal(viewOf(status({ privacy: { enabled: true, source: 'api', since: '2026-11-26T11:00:00Z' } }), NOW, since).privacy.locked, false, 'a newer state clears it');
  assert.equal(viewOf(status({ privacy: { enabled: false, source: 'switch' } }), NOW).privacy.locked, false, 'switch off: nothing to lock');
});

test('a privacy state the device could not save is said under the toggle, in the device\'s words', () => {
  const message = 'Not saved: the memory card is full. Privacy is on now, but a restart will not remember it.';
  const v = viewOf(status({ privacy: { enabled: true, source: 'button', notSaved: { error: 'storage-full', message } } }), NOW);
  assert.equal(v.privacy.on, true);
  assert.equal(v.privacy.locked, false);
  assert.equal(v.privacy.saveNote, message);
  assert.equal(viewOf(status({ privacy: { enabled: true, source: 'button' } }), NOW).privacy.saveNote, '', 'saved: no note');
});

test('privacy age: the device clock when reported; an age that contradicts the uptime is not shown', () => {
  const since = '2026-11-26T11:58:00Z';
  // Device clock two days behind the browser's (a Pi without network time).
  const deviceBehind = status({ privacy: { enabled: true, source: 'button', since: '2026-11-24T11:58:00Z' }, device: { time: '2026-11-24T12:00:00Z' } });
  assert.equal(privacyAgeSeconds(deviceBehind, NOW), 120);
  const noDeviceTime = status({ privacy: { enabled: true, source: 'button', since: '2026-11-24T11:58:00Z' } });
  assert.equal(privacyAgeSeconds(noDeviceTime, NOW), undefined);
  assert.equal(viewOf(noDeviceTime, NOW).privacy.detail, 'The camera is off. Turned on with the button on the device.');
  assert.equal(privacyAgeSeconds(status({ privacy: { enabled: true, source: 'button', since } }), NOW), 120);
  assert.equal(privacyAgeSeconds(status({ privacy: { enabled: true, source: 'api', since: '2026-11-26T12:05:00Z' } }), NOW), undefined, 'in the future');
  assert.equal(privacyAgeSeconds(status({ privacy: { since: 'garbage' } }), NOW), undefined);
});

test('durations', () => {
  assert.equal(formatDuration(0), '0 s');
  assert.equal(formatDuration(59.9), '59 s');
  assert.equal(formatDuration(60), '1 min');
  assert.equal(formatDuration(3_599), '59 min');
  assert.equal(formatDuration(3_600), '1 h 0 min');
  assert.equal(formatDuration(86_400 * 4 + 3_600 * 3 + 59), '4 d 3 h');
  assert.equal(formatDuration(-5), '0 s');
});

test('isDeviceStatus accepts the document and rejects other messages', () => {
  assert.equal(isDeviceStatus(status()), true);
  assert.equal(isDeviceStatus(null), false);
  assert.equal(isDeviceStatus({ error: 'x' }), false);
  assert.equal(isDeviceStatus({ ...status(), privacy: {} }), false);
  assert.equal(isDeviceStatus({ ...status(), camera: { state: 'streaming' } }), false);
});

test('snapshot names: picamd-<local time>.jpg, no colons', () => {
  assert.equal(snapshotFileName(new Date(2026, 0, 2, 3, 4, 5)), 'picamd-2026-01-02_03-04-05.jpg');
  assert.equal(snapshotFileName(new Date(2026, 10, 26, 17, 30, 59)), 'picamd-2026-11-26_17-30-59.jpg');
});

test('reconnect backoff: 0.5 s doubling to 10 s, jitter within ±20%', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 50].map((n) => backoffMs(n, 0.5)), [500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000]);
  assert.equal(backoffMs(0, 0), 400);
  assert.equal(backoffMs(0, 1), 600);
  assert.equal(backoffMs(9, 0.999999), 12_000);
});

test("settings.state from the status document: applying, and rolled back with the camera's error line", () => {
  assert.equal(settingsStateText({ state: 'ok', message: '' }), undefined);
  assert.equal(settingsStateText(undefined), undefined);
  assert.deepEqual(settingsStateText({ state: 'applying', message: '' }), { text: 'Applying settings…', tone: 'busy' });
  assert.deepEqual(settingsStateText({ state: 'rolled-back', message: 'ERROR: *** no cameras available ***' }), {
    text: 'Rolled back: ERROR: *** no cameras available ***',
    tone: 'bad',
  });
  assert.equal(settingsStateText({ state: 'fallback', message: 'settings.json: camera.width: must be at most 4608' })?.tone, 'bad');
});

test('H.264 mode is named beside the size, and a board without an H.264 encoder says it encodes in software', () => {
  assert.equal(viewOf(status({ camera: { codec: 'mjpeg' } }), NOW).resolution, '1280 × 720');
  assert.equal(viewOf(status({ camera: { codec: 'h264', h264Encoder: { hardware: true, note: '' } } }), NOW).resolution, '1280 × 720 · H.264');
  assert.equal(
    viewOf(status({ camera: { codec: 'h264', h264Encoder: { hardware: false, note: 'Raspberry Pi 5 Model B Rev 1.0 has no H.264 hardware encoder' } } }), NOW).resolution,
    '1280 × 720 · H.264, software',
  );
});

test('every privacy source the device reports has words on the page, MQTT included', () => {
  // The page's PrivacySource is the API's (src/web/api/types.d.ts), checked against the device's.
  for (const [source, words] of [
    ['button', 'with the button on the device'],
    ['switch', 'with the privacy switch on the device'],
    ['api', 'from the web'],
    ['mqtt', 'from home automation (MQTT)'],
    ['boot', 'at start-up'],
  ] as const) {
    assert.equal(privacySourceText(source), words);
  }
});
