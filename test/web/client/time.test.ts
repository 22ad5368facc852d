// The page's rules for the device's clock, its addresses for other apps, and the device's words in
// the page's language, under Node.

import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { appAddresses } from '../../../src/web/client/connect.js';
import { deviceText } from '../../../src/web/client/i18n/server.js';
import { useLanguage } from '../../../src/web/client/i18n/translate.js';
import { clockWarning, deviceNowMs, type DeviceClock } from '../../../src/web/client/time.js';
import { viewOf, type DeviceStatus } from '../../../src/web/client/view.js';

afterEach(() => useLanguage('en'));

const NOW = Date.parse('2026-12-07T05:00:00Z');
const clock = (over: Partial<DeviceClock> = {}): DeviceClock => ({ now: new Date(NOW).toISOString(), timeZone: 'Europe/Berlin', synchronized: true, firmwareDate: '2026-12-01T10:00:00.000Z', ...over });
const warn = (time: DeviceClock, deviceMs: number, browserMs = NOW) => clockWarning(time, deviceMs, browserMs, (ms) => new Date(ms).toISOString(), (s) => `${s} s`);

test('the device time moves on from the document by the time since it came', () => {
  assert.equal(deviceNowMs(clock(), NOW - 1_500, NOW), NOW + 1_500);
  assert.equal(deviceNowMs(clock({ now: 'garbage' }), NOW, NOW), undefined);
});

test('warnings: before the firmware, then minutes off the browser, then not synchronized; none for a good clock', () => {
  assert.equal(warn(clock(), NOW), undefined);
  // A Pi after a power cut without network time: back at its last shutdown, or 1970.
  const past = Date.parse('1970-01-01T00:01:00Z');
  assert.deepEqual(warn(clock({ synchronized: false }), past), { key: 'time.warn.beforeBuild', params: { time: '1970-01-01T00:01:00.000Z' } });
  assert.equal(warn(clock(), Date.parse('2026-11-30T12:00:00Z'), Date.parse('2026-11-30T12:00:00Z')), undefined, 'within a day of the build: no claim');
  assert.deepEqual(warn(clock(), NOW + 10 * 60_000), { key: 'time.warn.differs', params: { difference: '600 s' } });
  assert.equal(warn(clock(), NOW + 4 * 60_000), undefined, 'a few minutes are tolerated');
  assert.deepEqual(warn(clock({ synchronized: false }), NOW), { key: 'time.warn.unsynchronized', params: {} });
  assert.equal(warn(clock({ synchronized: null }), NOW), undefined, 'unknown is not a warning');
});

test('addresses for other apps: the H.264 stream only in H.264 mode, RTSP only when the device listens', () => {
  const camera = { codec: 'mjpeg' } as DeviceStatus['camera'];
  const ids = (status?: Parameters<typeof appAddresses>[2]) => appAddresses('http://cam.local', 'cam.local', status).map((a) => a.url);
  assert.deepEqual(ids({ camera }), ['http://cam.local/stream.mjpg', 'http://cam.local/snapshot.jpg']);
  assert.deepEqual(ids({ camera: { ...camera, codec: 'h264' }, rtsp: { port: 8554 } }), [
    'http://cam.local/stream.mjpg',
    'http://cam.local/snapshot.jpg',
    'http://cam.local/stream.mp4',
    'rtsp://cam.local:8554/stream',
  ]);
  assert.deepEqual(ids({ camera, rtsp: { port: 0, state: 'off' } }).length, 2, 'RTSP off');
  assert.equal(appAddresses('http://[fe80::1]', 'fe80::1', { camera, rtsp: { port: 554 } })[2]!.url, 'rtsp://[fe80::1]/stream');
});

test('the device’s words: its own in English, the translation of its code in Chinese, its own for a code the tables lack', () => {
  assert.equal(deviceText('privacy', 'Privacy mode is on: the camera is switched off.', 'x'), 'Privacy mode is on: the camera is switched off.');
  useLanguage('zh-CN');
  assert.equal(deviceText('privacy', 'Privacy mode is on: the camera is switched off.', 'x'), '隐私模式已开启：摄像头已关闭。');
  assert.equal(deviceText('something-new', 'Something new.', 'x'), 'Something new.');
  assert.equal(deviceText(undefined, undefined, '后备'), '后备');
});

test('the live view in Chinese: badge, fps, viewers, privacy history', () => {
  useLanguage('zh-CN');
  const status = {
    device: { name: '前门', version: '0.1.0', uptimeSeconds: 3_700 },
    camera: { state: 'streaming', detail: '', width: 1280, height: 720, framerate: 30, fps: 29.94 },
    stream: { viewers: 2, maxViewers: 16 },
    privacy: { enabled: false, source: 'api', since: '2026-12-07T04:55:00Z' },
  } as DeviceStatus;
  const v = viewOf(status, NOW);
  assert.deepEqual(v.badge, { text: '直播中', tone: 'live' });
  assert.equal(v.fps, '29.9 帧/秒（设定 30）');
  assert.equal(v.viewers, '2 / 16');
  assert.equal(v.uptime, '1 小时 1 分钟');
  assert.equal(v.resolution, '1280 × 720');
  assert.equal(v.privacy.detail, '摄像头已开启。5 分钟前通过网页关闭。');
});
