import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCameraArgv } from '../../src/camera/args.js';
import { configSchema } from '../../src/config/schema.js';

const camera = (over: object = {}) => configSchema.parse({ camera: over }).camera;

test('default camera: rpicam-vid MJPEG on stdout at the configured mode', () => {
  assert.deepEqual(buildCameraArgv(camera()), [
    'rpicam-vid', '-t', '0', '-n', '--codec', 'mjpeg', '--flush', '-o', '-',
    '--width', '1280', '--height', '720', '--framerate', '30', '-q', '80',
  ]);
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
