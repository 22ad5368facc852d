import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCameraArgv, cameraSettingFlags } from '../../src/camera/args.js';
import { configSchema } from '../../src/config/schema.js';

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
