// The camera section of the config schema: ranges, cross-field rules and the page meta.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { validateConfig } from '../../../src/device/settings/load.js';
import { configSchema } from '../../../src/device/settings/schema.js';

const problems = (camera: object) => validateConfig({ camera }).problems;

/** The camera object's fields (the section is wrapped in a prefault). */
const cameraShape = (configSchema.shape.camera as unknown as { unwrap(): z.ZodObject }).unwrap().shape;

const SETTABLE = [
  'width', 'height', 'framerate', 'rotation', 'hflip', 'vflip', 'index', 'tuningFile',
  'codec', 'quality', 'keyframeIntervalMs', 'h264Profile', 'h264Level', 'bitrateKbps', 'brightness', 'contrast', 'saturation', 'sharpness', 'denoise', 'hdr', 'awbMode', 'awbRedGain', 'awbBlueGain',
  'autofocusMode', 'autofocusRange', 'autofocusSpeed', 'lensPosition',
  'exposureMode', 'ev', 'shutterUs', 'analogueGain', 'meteringMode', 'flicker',
];

test('every camera setting carries page meta that restarts the camera; the administrator-only keys do not', () => {
  const groups = new Map<string, string[]>();
  for (const [key, schema] of Object.entries(cameraShape)) {
    const meta = z.globalRegistry.get(schema as z.ZodType) as Record<string, unknown> | undefined;
    if (!SETTABLE.includes(key)) {
      assert.equal(meta?.group, undefined, `${key} must not be settable from the page`);
      continue;
    }
    assert.ok(meta, `${key} has no meta`);
    assert.equal(meta.applies, 'camera', key);
    assert.equal(typeof meta.title, 'string', key);
    assert.ok(typeof meta.description === 'string' && meta.description.length > 10, key);
    groups.set(meta.group as string, [...(groups.get(meta.group as string) ?? []), key]);
  }
  assert.deepEqual([...groups.values()].flat().sort(), [...SETTABLE].sort());
  assert.deepEqual(groups.get('Focus'), ['autofocusMode', 'autofocusRange', 'autofocusSpeed', 'lensPosition']);
  assert.deepEqual(groups.get('Exposure'), ['exposureMode', 'ev', 'shutterUs', 'analogueGain', 'meteringMode', 'flicker']);
  assert.deepEqual(groups.get('Camera'), ['width', 'height', 'framerate', 'rotation', 'hflip', 'vflip', 'index', 'tuningFile']);
  assert.deepEqual(groups.get('Video'), ['codec', 'quality', 'keyframeIntervalMs', 'h264Profile', 'h264Level', 'bitrateKbps']);
});

test('the JSON Schema of the camera section has the ranges, enums, defaults and meta', () => {
  const schema = z.toJSONSchema(configSchema, { io: 'input' }) as unknown as {
    properties: { camera: { properties: Record<string, Record<string, unknown>> } };
  };
  const props = schema.properties.camera.properties;
  assert.deepEqual(
    { min: props.width!.minimum, max: props.width!.maximum, step: props.width!.multipleOf, unit: props.width!.unit },
    { min: 64, max: 4608, step: 2, unit: 'px' },
  );
  assert.deepEqual(props.autofocusMode!.enum, ['default', 'manual', 'auto', 'continuous']);
  assert.deepEqual(props.flicker!.enum, ['off', '50hz', '60hz']);
  assert.equal(props.lensPosition!.unit, 'dioptres');
  assert.equal(props.shutterUs!.unit, 'µs');
  assert.equal(props.brightness!.minimum, -1);
  assert.equal(props.brightness!.default, 0);
  assert.equal(props.ev!.maximum, 8);
  assert.equal(props.hdr!.group, 'Picture');
  assert.deepEqual(props.codec!.enum, ['mjpeg', 'h264']);
  assert.equal(props.codec!.default, 'mjpeg');
  assert.deepEqual(
    { min: props.keyframeIntervalMs!.minimum, max: props.keyframeIntervalMs!.maximum, unit: props.keyframeIntervalMs!.unit, def: props.keyframeIntervalMs!.default },
    { min: 100, max: 10_000, unit: 'ms', def: 1000 },
  );
  assert.deepEqual(props.h264Profile!.enum, ['baseline', 'main', 'high']);
  assert.deepEqual(props.h264Level!.enum, ['4', '4.1', '4.2']);
  // null (automatic) or a number of kbit/s.
  const bitrate = props.bitrateKbps!.anyOf as Record<string, unknown>[];
  assert.deepEqual(bitrate.map((b) => b.type), ['integer', 'null']);
  assert.deepEqual({ min: bitrate[0]!.minimum, max: bitrate[0]!.maximum }, { min: 100, max: 25_000 });
  assert.equal(props.bitrateKbps!.unit, 'kbit/s');
  assert.equal(props.bitrateKbps!.default, null);
});

test('each codec setting says in which mode it matters', () => {
  const description = (key: string) => (z.globalRegistry.get(cameraShape[key] as z.ZodType) as { description: string }).description;
  assert.match(description('quality'), /^MJPEG only:/);
  for (const key of ['keyframeIntervalMs', 'h264Profile', 'h264Level', 'bitrateKbps']) assert.match(description(key), /^H\.264 only:/, key);
  assert.doesNotMatch(description('codec'), /only:/);
});

test('H.264 settings: ranges and keywords refused one line each', () => {
  assert.deepEqual(problems({ codec: 'h265' }), ['camera.codec: must be one of "mjpeg", "h264"']);
  assert.deepEqual(problems({ keyframeIntervalMs: 99, bitrateKbps: 25_001 }), [
    'camera.keyframeIntervalMs: must be at least 100',
    'camera.bitrateKbps: must be at most 25000',
  ]);
  assert.deepEqual(problems({ keyframeIntervalMs: 10_001, bitrateKbps: 99 }), [
    'camera.keyframeIntervalMs: must be at most 10000',
    'camera.bitrateKbps: must be at least 100',
  ]);
  assert.deepEqual(problems({ keyframeIntervalMs: 500.5 }), ['camera.keyframeIntervalMs: must be a whole number']);
  assert.deepEqual(problems({ h264Profile: 'high10' }), ['camera.h264Profile: must be one of "baseline", "main", "high"']);
  // A number is not a level: rpicam-vid matches the exact words "4", "4.1", "4.2".
  assert.deepEqual(problems({ h264Level: 4.1 }), ['camera.h264Level: must be one of "4", "4.1", "4.2"']);
  assert.deepEqual(problems({ codec: 'h264', bitrateKbps: 100, keyframeIntervalMs: 100, h264Profile: 'baseline', h264Level: '4' }), []);
});

test('H.264 mode: the size and rate must fit level 4.2; MJPEG keeps the whole range', () => {
  assert.deepEqual(problems({ codec: 'h264', width: 1920, height: 1080, framerate: 60 }), []);
  assert.deepEqual(problems({ codec: 'h264', width: 1080, height: 1920, framerate: 30 }), []);
  assert.deepEqual(problems({ codec: 'h264', width: 2304, height: 1296 }), [
    'camera.width: 2304x1296 is too large for H.264 level 4.2 (at most 8192 macroblocks of 16x16, e.g. 1920x1080); use MJPEG or a smaller size',
  ]);
  assert.deepEqual(problems({ codec: 'h264', width: 1920, height: 1080, framerate: 65 }), [
    'camera.framerate: 1920x1080 at 65 fps is too much for H.264 level 4.2 (at most 522240 macroblocks a second, e.g. 1920x1080 at 64 fps)',
  ]);
  assert.deepEqual(problems({ codec: 'mjpeg', width: 2304, height: 1296, framerate: 65 }), []);
});

test('defaults are rpicam-apps defaults (or picamd\'s own for the mode)', () => {
  const camera = configSchema.parse({}).camera;
  assert.deepEqual(
    { ...camera, command: undefined, extraArgs: undefined, maxFrameBytes: undefined, stallTimeoutMs: undefined,
      startTimeoutMs: undefined, stopGraceMs: undefined, backoff: undefined },
    {
      command: undefined, width: 1280, height: 720, framerate: 30, rotation: 0, hflip: false, vflip: false, index: null,
      tuningFile: null, codec: 'mjpeg', quality: 80, keyframeIntervalMs: 1000, h264Profile: 'high', h264Level: '4.1',
      bitrateKbps: null, brightness: 0, contrast: 1, saturation: 1, sharpness: 1, denoise: 'auto', hdr: 'off',
      awbMode: 'auto', awbRedGain: null, awbBlueGain: null, autofocusMode: 'default', autofocusRange: 'normal',
      autofocusSpeed: 'normal', lensPosition: null, exposureMode: 'normal', ev: 0, shutterUs: 0, analogueGain: 0,
      meteringMode: 'centre', flicker: 'off', extraArgs: undefined, maxFrameBytes: undefined, stallTimeoutMs: undefined,
      startTimeoutMs: undefined, stopGraceMs: undefined, backoff: undefined,
    },
  );
});

test('out-of-range values are refused, one path: message line each', () => {
  assert.deepEqual(problems({ width: 4610, height: 3458 }), ['camera.width: must be at most 4608', 'camera.height: must be at most 3456']);
  assert.deepEqual(problems({ width: 1281, height: 62 }), ['camera.width: must be even', 'camera.height: must be at least 64']);
  assert.deepEqual(problems({ framerate: 121, quality: 0 }), ['camera.framerate: must be at most 120', 'camera.quality: must be at least 1']);
  assert.deepEqual(problems({ brightness: 1.5, contrast: -1, saturation: 16, sharpness: 16 }), [
    'camera.brightness: must be at most 1',
    'camera.contrast: must be at least 0',
    'camera.saturation: must be at most 15.99',
    'camera.sharpness: must be at most 15.99',
  ]);
  assert.deepEqual(problems({ ev: -9, shutterUs: 1_000_001, lensPosition: 33 }), [
    'camera.lensPosition: must be at most 32',
    'camera.ev: must be at least -8',
    'camera.shutterUs: must be at most 1000000',
  ]);
  assert.deepEqual(problems({ shutterUs: 10.5 }), ['camera.shutterUs: must be a whole number']);
  assert.deepEqual(problems({ analogueGain: 0.5 }), ['camera.analogueGain: must be 0 (automatic) or at least 1']);
  assert.deepEqual(problems({ analogueGain: 65 }), ['camera.analogueGain: must be at most 64']);
  assert.deepEqual(problems({ awbRedGain: 0, awbBlueGain: 33 }), [
    'camera.awbRedGain: must be at least 0.01',
    'camera.awbBlueGain: must be at most 32',
  ]);
  assert.deepEqual(problems({ hdr: 'on' }), ['camera.hdr: must be one of "off", "auto", "sensor", "single-exp"']);
  assert.deepEqual(problems({ flicker: 50 }), ['camera.flicker: must be one of "off", "50hz", "60hz"']);
  assert.deepEqual(problems({ denoise: 'cdn-off' }), ['camera.denoise: must be one of "auto", "off", "cdn_off", "cdn_fast", "cdn_hq"']);
  assert.deepEqual(problems({ rotation: 90 }), ['camera.rotation: must be one of 0, 180']);
});

test('the tuning file is an absolute path to a .json file', () => {
  assert.deepEqual(problems({ tuningFile: '/usr/share/libcamera/ipa/rpi/pisp/imx708_noir.json' }), []);
  for (const bad of ['imx708.json', '/etc/passwd', '', '/tmp/a\nb.json']) {
    assert.deepEqual(problems({ tuningFile: bad }), ['camera.tuningFile: must be an absolute path to a .json tuning file'], bad);
  }
});

test('the tuning file path is normalized: no "..", "." or "//" segments', () => {
  for (const bad of ['/usr/share/libcamera/../../../home/pi/x.json', '/usr/share/./libcamera/x.json', '/usr//share/x.json', '/usr/share/libcamera/ipa/..json/../x.json']) {
    assert.deepEqual(problems({ tuningFile: bad }), ['camera.tuningFile: must be a normalized path (no "..", "." or "//" segments)'], bad);
  }
  assert.deepEqual(problems({ tuningFile: '/usr/share/libcamera/ipa/rpi/vc4/imx219..noir.json' }), [], 'two dots inside a name are a name');
});

test('AWB gains come as a pair: one without the other is refused at the missing one', () => {
  assert.deepEqual(problems({ awbRedGain: 1.5, awbBlueGain: 1.2 }), []);
  assert.deepEqual(problems({ awbRedGain: 1.5 }), ['camera.awbBlueGain: set the red and blue gains together (or neither)']);
  assert.deepEqual(problems({ awbBlueGain: 1.2 }), ['camera.awbRedGain: set the red and blue gains together (or neither)']);
});

test('settings that rpicam-apps leaves independent stay independent', () => {
  // A lens position with continuous autofocus, gains with an AWB mode, a shutter longer than a frame:
  // rpicam-vid starts with each (libcamera ignores or cuts what does not apply), so the schema does too.
  assert.deepEqual(problems({ lensPosition: 3, autofocusMode: 'continuous' }), []);
  assert.deepEqual(problems({ awbRedGain: 2, awbBlueGain: 2, awbMode: 'daylight' }), []);
  assert.deepEqual(problems({ shutterUs: 500_000, framerate: 30 }), []);
});

test('extraArgs may not repeat a flag that a setting adds (rpicam-vid refuses an option given twice)', () => {
  assert.deepEqual(problems({ denoise: 'cdn_off', extraArgs: ['--denoise', 'cdn_hq'] }), [
    'camera.extraArgs: --denoise is already given by camera.denoise; remove it from extraArgs',
  ]);
  assert.deepEqual(problems({ ev: -1, extraArgs: ['--ev=2'] }), ['camera.extraArgs: --ev is already given by camera.ev; remove it from extraArgs']);
  // At its default the setting adds nothing, so the administrator's extraArgs are fine.
  assert.deepEqual(problems({ extraArgs: ['--denoise', 'cdn_hq', '--roi', '0,0,0.5,0.5'] }), []);
  // The codec flags are always given, so they may never be repeated.
  assert.deepEqual(problems({ codec: 'h264', extraArgs: ['--bitrate', '5000000', '--intra=10'] }), [
    'camera.extraArgs: --intra is already given by camera.keyframeIntervalMs; remove it from extraArgs',
    'camera.extraArgs: --bitrate is already given by camera.bitrateKbps; remove it from extraArgs',
  ]);
  assert.deepEqual(problems({ extraArgs: ['-q', '90'] }), ['camera.extraArgs: -q is already given by camera.quality; remove it from extraArgs']);
  assert.deepEqual(problems({ extraArgs: ['--bitrate', '5000000'] }), []);
});
