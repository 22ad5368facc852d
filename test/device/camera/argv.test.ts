import assert from 'node:assert/strict';
import { test } from 'node:test';
import { automaticBitrateBps, buildCameraArgv, cameraSettingFlags, codecFlags, intraPeriodFrames } from '../../../src/device/camera/argv.js';
import { h264EncoderFor } from '../../../src/platform/board.js';
import { configSchema } from '../../../src/device/settings/schema.js';

const camera = (over: object = {}) => configSchema.parse({ camera: over }).camera;

const BASE = [
  'rpicam-vid', '-t', '0', '-n', '--codec', 'mjpeg', '--flush', '-o', '-',
  '--width', '1280', '--height', '720', '--framerate', '30', '-q', '80',
];

test('default camera: rpicam-vid MJPEG on stdout at the configured mode, and nothing else', () => {
  assert.deepEqual(buildCameraArgv(camera()), BASE);
  assert.deepEqual(cameraSettingFlags(camera()), []);
});

test('flips, rotation, camera index and extra args are appended in order', () => {
  const argv = buildCameraArgv(
    camera({ command: ['/usr/bin/rpicam-vid', '--verbose', '0'], width: 640, height: 480, framerate: 15, quality: 60,
      hflip: true, vflip: true, rotation: 180, index: 1, extraArgs: ['--denoise', 'cdn_off'] }),
  );
  assert.deepEqual(argv, [
    '/usr/bin/rpicam-vid', '--verbose', '0', '-t', '0', '-n', '--codec', 'mjpeg', '--flush', '-o', '-',
    '--width', '640', '--height', '480', '--framerate', '15', '-q', '60',
    '--hflip', '--vflip', '--rotation', '180', '--camera', '1', '--denoise', 'cdn_off',
  ]);
});

test('rotation 0 and no camera index leave their flags out', () => {
  const argv = buildCameraArgv(camera({ rotation: 0, index: null, hflip: false }));
  for (const flag of ['--rotation', '--camera', '--hflip', '--vflip']) assert.ok(!argv.includes(flag), flag);
});

// One case per setting: the config, and exactly what it adds after the fixed part.
const cases: { name: string; set: object; adds: string[] }[] = [
  { name: 'resolution', set: { width: 1920, height: 1080 }, adds: [] },
  { name: 'camera index 0 is still given', set: { index: 0 }, adds: ['--camera', '0'] },
  { name: 'tuning file', set: { tuningFile: '/usr/share/libcamera/ipa/rpi/vc4/imx219_noir.json' },
    adds: ['--tuning-file', '/usr/share/libcamera/ipa/rpi/vc4/imx219_noir.json'] },
  { name: 'brightness', set: { brightness: -0.25 }, adds: ['--brightness', '-0.25'] },
  { name: 'brightness positive', set: { brightness: 0.5 }, adds: ['--brightness', '0.5'] },
  { name: 'contrast', set: { contrast: 1.5 }, adds: ['--contrast', '1.5'] },
  { name: 'contrast 0', set: { contrast: 0 }, adds: ['--contrast', '0'] },
  { name: 'saturation 0 (black and white)', set: { saturation: 0 }, adds: ['--saturation', '0'] },
  { name: 'sharpness', set: { sharpness: 2.5 }, adds: ['--sharpness', '2.5'] },
  { name: 'denoise', set: { denoise: 'cdn_off' }, adds: ['--denoise', 'cdn_off'] },
  { name: 'hdr sensor (optional value, so joined with =)', set: { hdr: 'sensor' }, adds: ['--hdr=sensor'] },
  { name: 'hdr single-exp', set: { hdr: 'single-exp' }, adds: ['--hdr=single-exp'] },
  { name: 'AWB mode', set: { awbMode: 'daylight' }, adds: ['--awb', 'daylight'] },
  { name: 'AWB gains', set: { awbRedGain: 1.5, awbBlueGain: 1.25 }, adds: ['--awbgains', '1.5,1.25'] },
  { name: 'autofocus mode', set: { autofocusMode: 'continuous' }, adds: ['--autofocus-mode', 'continuous'] },
  { name: 'autofocus range', set: { autofocusRange: 'macro' }, adds: ['--autofocus-range', 'macro'] },
  { name: 'autofocus speed', set: { autofocusSpeed: 'fast' }, adds: ['--autofocus-speed', 'fast'] },
  { name: 'lens position', set: { lensPosition: 2.5 }, adds: ['--lens-position', '2.5'] },
  { name: 'lens position 0 (infinity) is still given', set: { lensPosition: 0 }, adds: ['--lens-position', '0'] },
  { name: 'exposure mode', set: { exposureMode: 'sport' }, adds: ['--exposure', 'sport'] },
  { name: 'EV compensation', set: { ev: -1.5 }, adds: ['--ev', '-1.5'] },
  { name: 'shutter in microseconds', set: { shutterUs: 10000 }, adds: ['--shutter', '10000'] },
  { name: 'analogue gain', set: { analogueGain: 2.5 }, adds: ['--gain', '2.5'] },
  { name: 'metering', set: { meteringMode: 'spot' }, adds: ['--metering', 'spot'] },
  { name: 'flicker 50 Hz', set: { flicker: '50hz' }, adds: ['--flicker-period', '10000us'] },
  { name: 'flicker 60 Hz', set: { flicker: '60hz' }, adds: ['--flicker-period', '8333us'] },
];

for (const { name, set, adds } of cases) {
  test(`setting: ${name}`, () => {
    const cam = camera(set);
    const argv = buildCameraArgv(cam);
    const expectedBase = [...BASE];
    if ('width' in set) expectedBase[expectedBase.indexOf('1280')] = String(set.width);
    if ('height' in set) expectedBase[expectedBase.indexOf('720')] = String(set.height);
    assert.deepEqual(argv, [...expectedBase, ...adds]);
  });
}

test('settings at their rpicam-apps default add no flag', () => {
  const explicitDefaults = {
    tuningFile: null, brightness: 0, contrast: 1, saturation: 1, sharpness: 1, denoise: 'auto', hdr: 'off',
    awbMode: 'auto', awbRedGain: null, awbBlueGain: null, autofocusMode: 'default', autofocusRange: 'normal',
    autofocusSpeed: 'normal', lensPosition: null, exposureMode: 'normal', ev: 0, shutterUs: 0, analogueGain: 0,
    meteringMode: 'centre', flicker: 'off',
  };
  assert.deepEqual(buildCameraArgv(camera(explicitDefaults)), BASE);
});

test('every setting at once: one flag each, in a fixed order, before extraArgs', () => {
  const argv = buildCameraArgv(
    camera({
      hflip: true, vflip: true, rotation: 180, index: 1, tuningFile: '/etc/picamd/tuning.json',
      brightness: 0.1, contrast: 1.2, saturation: 0.8, sharpness: 2, denoise: 'off', hdr: 'auto',
      awbMode: 'cloudy', awbRedGain: 2, awbBlueGain: 1.8, autofocusMode: 'manual', autofocusRange: 'full',
      autofocusSpeed: 'fast', lensPosition: 10, exposureMode: 'long', ev: 0.5, shutterUs: 20000,
      analogueGain: 4, meteringMode: 'average', flicker: '60hz', extraArgs: ['--roi', '0.25,0.25,0.5,0.5'],
    }),
  );
  assert.deepEqual(argv.slice(BASE.length), [
    '--hflip', '--vflip', '--rotation', '180', '--camera', '1', '--tuning-file', '/etc/picamd/tuning.json',
    '--brightness', '0.1', '--contrast', '1.2', '--saturation', '0.8', '--sharpness', '2', '--denoise', 'off',
    '--hdr=auto', '--awb', 'cloudy', '--awbgains', '2,1.8',
    '--autofocus-mode', 'manual', '--autofocus-range', 'full', '--autofocus-speed', 'fast', '--lens-position', '10',
    '--exposure', 'long', '--ev', '0.5', '--shutter', '20000', '--gain', '4', '--metering', 'average',
    '--flicker-period', '8333us',
    '--roi', '0.25,0.25,0.5,0.5',
  ]);
});

// --- H.264 -------------------------------------------------------------------------------------

const HARDWARE = h264EncoderFor('Raspberry Pi 4 Model B Rev 1.5');
const SOFTWARE = h264EncoderFor('Raspberry Pi 5 Model B Rev 1.0');

test('MJPEG ignores the H.264 settings and the encoder: the argv stays what it always was', () => {
  const cam = camera({ keyframeIntervalMs: 250, h264Profile: 'baseline', h264Level: '4.2', bitrateKbps: 5000 });
  assert.deepEqual(buildCameraArgv(cam), BASE);
  assert.deepEqual(buildCameraArgv(cam, SOFTWARE), BASE);
  assert.deepEqual(codecFlags(cam), [{ key: 'quality', flag: '-q', args: ['-q', '80'] }]);
});

test('H.264 on a Pi with the hardware encoder (Pi 4): inline headers, keyframe period in frames, profile, level, bit rate; no -q', () => {
  assert.deepEqual(buildCameraArgv(camera({ codec: 'h264' }), HARDWARE), [
    'rpicam-vid', '-t', '0', '-n', '--codec', 'h264', '--inline', '--flush', '-o', '-',
    '--width', '1280', '--height', '720', '--framerate', '30',
    '--intra', '30', '--profile', 'high', '--level', '4.1', '--bitrate', '1935000',
  ]);
  // Without a choice, the hardware command line (the one every Pi but the 5 family takes).
  assert.deepEqual(buildCameraArgv(camera({ codec: 'h264' })), buildCameraArgv(camera({ codec: 'h264' }), HARDWARE));
});

test('H.264 on a Pi 5 (libx264 through libav): raw Annex-B to stdout and the low-latency presets', () => {
  const argv = buildCameraArgv(
    camera({ codec: 'h264', width: 1920, height: 1080, framerate: 25, keyframeIntervalMs: 2000, h264Profile: 'main',
      h264Level: '4.2', bitrateKbps: 4000, hflip: true, extraArgs: ['--roi', '0,0,1,1'] }),
    SOFTWARE,
  );
  assert.deepEqual(argv, [
    'rpicam-vid', '-t', '0', '-n', '--codec', 'h264', '--inline', '--flush', '-o', '-',
    '--libav-format', 'h264', '--low-latency',
    '--width', '1920', '--height', '1080', '--framerate', '25',
    '--intra', '50', '--profile', 'main', '--level', '4.2', '--bitrate', '4000000',
    '--hflip', '--roi', '0,0,1,1',
  ]);
  assert.ok(!argv.includes('-q'));
});

test('the keyframe period is round(ms x fps / 1000) frames, at least one', () => {
  assert.equal(intraPeriodFrames(1000, 30), 30);
  assert.equal(intraPeriodFrames(100, 30), 3);
  assert.equal(intraPeriodFrames(100, 1), 1, '0.1 frames is still every frame');
  assert.equal(intraPeriodFrames(100, 4), 1, '0.4 frames rounds to 0, so 1');
  assert.equal(intraPeriodFrames(10_000, 120), 1200);
  assert.equal(intraPeriodFrames(1500, 15), 23, '22.5 rounds up');
});

test('the automatic bit rate: 0.07 bits per pixel per frame, whole kbit/s, within 100-25000 kbit/s', () => {
  assert.equal(automaticBitrateBps(1280, 720, 30), 1_935_000);
  assert.equal(automaticBitrateBps(640, 360, 30), 484_000);
  assert.equal(automaticBitrateBps(1920, 1080, 30), 4_355_000);
  assert.equal(automaticBitrateBps(64, 64, 1), 100_000, 'never below the schema minimum');
  assert.equal(automaticBitrateBps(4608, 2592, 60), 25_000_000, 'never above the schema maximum');
  // A set bit rate replaces the automatic one.
  const flags = codecFlags(camera({ codec: 'h264', bitrateKbps: 100 }));
  assert.deepEqual(flags.find((f) => f.key === 'bitrateKbps')?.args, ['--bitrate', '100000']);
});
