// The camera section of the config schema: ranges, cross-field rules and the page meta.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { validateConfig } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';

const problems = (camera: object) => validateConfig({ camera }).problems;

/** The camera object's fields (the section is wrapped in a prefault). */
const cameraShape = (configSchema.shape.camera as unknown as { unwrap(): z.ZodObject }).unwrap().shape;

const SETTABLE = [
  'width', 'height', 'framerate', 'rotation', 'hflip', 'vflip', 'index', 'tuningFile',
  'quality', 'brightness', 'contrast', 'saturation', 'sharpness', 'denoise', 'hdr', 'awbMode', 'awbRedGain', 'awbBlueGain',
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
});

test('defaults are rpicam-apps defaults (or picamd\'s own for the mode)', () => {
  const camera = configSchema.parse({}).camera;
  assert.deepEqual(
    { ...camera, command: undefined, extraArgs: undefined, maxFrameBytes: undefined, stallTimeoutMs: undefined,
      startTimeoutMs: undefined, stopGraceMs: undefined, backoff: undefined },
    {
      command: undefined, width: 1280, height: 720, framerate: 30, rotation: 0, hflip: false, vflip: false, index: null,
      tuningFile: null, quality: 80, brightness: 0, contrast: 1, saturation: 1, sharpness: 1, denoise: 'auto', hdr: 'off',
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
});
