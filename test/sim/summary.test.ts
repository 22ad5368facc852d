import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultSimOptions } from '../../src/sim/options.js';
import { simSettingsSummary, wrapWords } from '../../src/sim/summary.js';

test('lists only what differs from rpicam-vid defaults', () => {
  assert.deepEqual(simSettingsSummary(defaultSimOptions()), []);
  assert.deepEqual(simSettingsSummary({ ...defaultSimOptions(), width: 1920, framerate: 60, quality: 90 }), [], 'the mode is on the first line');
  assert.deepEqual(
    simSettingsSummary({
      ...defaultSimOptions(),
      rotation: 180, hflip: true, camera: 1, brightness: 0.1, contrast: 1.25, saturation: 0, sharpness: 2,
      denoise: 'off', hdr: 'sensor', autofocusMode: 'manual', autofocusRange: 'macro', autofocusSpeed: 'fast',
      lensPosition: 2.5, exposure: 'sport', ev: -1, shutterUs: 10000, gain: 4, metering: 'spot',
      flickerPeriodUs: 10000, awb: 'daylight', awbGains: [1.5, 1.2], tuningFile: '/usr/share/libcamera/ipa/rpi/vc4/imx219_noir.json',
    }),
    [
      'rot=180', 'hflip', 'cam=1', 'bright=0.1', 'contrast=1.25', 'sat=0', 'sharp=2', 'denoise=off', 'hdr=sensor',
      'af=manual', 'afrange=macro', 'afspeed=fast', 'lens=2.5', 'exp=sport', 'ev=-1', 'shutter=10000us', 'gain=4',
      'meter=spot', 'flicker=10000us', 'awb=daylight', 'awbgains=1.5,1.2', 'tuning=imx219_noir.json',
    ],
  );
  assert.deepEqual(simSettingsSummary({ ...defaultSimOptions(), lensPosition: 'default' }), ['lens=default']);
});

test('in H.264 mode the encoder settings show, so a change of bit rate or keyframe interval is visible', () => {
  const h264 = { ...defaultSimOptions(), codec: 'h264' as const, intra: 30, profile: 'high', level: '4.1', bitrateBps: 1_935_000 };
  assert.deepEqual(simSettingsSummary(h264), ['intra=30', 'profile=high', 'level=4.1', 'bitrate=1935kbps']);
  assert.deepEqual(simSettingsSummary({ ...h264, codec: 'mjpeg' }), [], 'MJPEG ignores them');
});

test('wraps words into lines, cuts long words and marks what does not fit', () => {
  assert.deepEqual(wrapWords([], 20, 3), []);
  assert.deepEqual(wrapWords(['af=manual', 'lens=2.5', 'ev=-1'], 20, 3), ['af=manual lens=2.5', 'ev=-1']);
  assert.deepEqual(wrapWords(['tuning=a-very-long-file-name.json'], 12, 3), ['tuning=a-...']);
  assert.deepEqual(wrapWords(['aaaaa', 'bbbbbbbbb'], 10, 1), ['aaaaa ...']);
  assert.deepEqual(wrapWords(['aaaa', 'bbbb', 'cccc', 'dddd'], 9, 1), ['aaaa b...']);
  assert.deepEqual(wrapWords(['a', 'b', 'c', 'd'], 5, 2), ['a b c', 'd']);
  assert.deepEqual(wrapWords(['a', 'b'], 10, 0), []);
});
