import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import {
  collect,
  coerce,
  displayValue,
  fieldsOf,
  groupFields,
  mapProblems,
  originText,
  rangeText,
  sectionsOf,
  setAt,
  valueOf,
  type Field,
} from '../../../src/web/client/settings-form.js';

const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** A settable tree shaped like the device's, through the same zod 4 toJSONSchema the device uses. */
const settable = z.strictObject({
  camera: z
    .strictObject({
      width: int(64, 4608).multipleOf(2, 'must be even').default(1280).meta({ group: 'Camera', title: 'Width', unit: 'px', applies: 'camera', description: 'Picture width.' }),
      framerate: int(1, 120).default(30).meta({ group: 'Camera', title: 'Frame rate', unit: 'fps', applies: 'camera' }),
      index: int(0, 7).nullable().default(null).meta({ group: 'Camera', title: 'Camera index', applies: 'camera' }),
      rotation: z.literal([0, 180]).default(0).meta({ group: 'Picture', title: 'Rotation', unit: '°', applies: 'camera' }),
      hflip: z.boolean().default(false).meta({ group: 'Picture', title: 'Mirror', applies: 'camera' }),
      brightness: z.number().min(-1).max(1).default(0).meta({ group: 'Picture', title: 'Brightness', applies: 'camera' }),
      lensPosition: z.number().min(0).max(15).optional().meta({ group: 'Focus', title: 'Lens position', unit: 'dioptres', applies: 'camera' }),
      afMode: z.enum(['manual', 'auto', 'continuous']).default('continuous').meta({ group: 'Focus', title: 'Autofocus', applies: 'camera' }),
      shutterUs: z.number().positive().max(1_000_000).optional().meta({ group: 'Exposure', title: 'Shutter', unit: 'µs', applies: 'camera' }),
      // Not on the page: no group.
      command: z.array(z.string()).default(['rpicam-vid']),
    })
    .prefault({}),
  server: z
    .strictObject({
      deviceName: z.string().max(64).default('').meta({ group: 'Device', title: 'Name', applies: 'live' }),
      brokerPassword: z.string().max(1024).nullable().default(null).meta({ group: 'Device', title: 'Broker password', applies: 'live', secret: true }),
      maxViewers: int(1, 1000).default(16).meta({ group: 'Device', title: 'Viewers at most', applies: 'restart' }),
      openViewing: z.boolean().default(false).meta({ group: 'Device', title: 'Open viewing', applies: 'live' }),
    })
    .prefault({}),
  gpio: z
    .strictObject({
      led: z
        .strictObject({
          pin: int(0, 27).default(17).meta({ group: 'Device', title: 'LED pin', applies: 'gpio' }),
          activeLow: z.boolean().default(false).meta({ group: 'Device', title: 'LED active low', applies: 'gpio' }),
        })
        .nullable()
        .prefault({}),
    })
    .prefault({}),
});

const schema = JSON.parse(JSON.stringify(z.toJSONSchema(settable)));
const fields = fieldsOf(schema);
const field = (path: string): Field => {
  const f = fields.find((x) => x.path === path);
  assert.ok(f, `field ${path}`);
  return f;
};

test('every leaf with a group becomes a field, in schema order; ungrouped ones and open viewing (Users section) are left out', () => {
  assert.deepEqual(fields.map((f) => f.path), [
    'camera.width',
    'camera.framerate',
    'camera.index',
    'camera.rotation',
    'camera.hflip',
    'camera.brightness',
    'camera.lensPosition',
    'camera.afMode',
    'camera.shutterUs',
    'server.deviceName',
    'server.brokerPassword',
    'server.maxViewers',
    'gpio.led.pin',
    'gpio.led.activeLow',
  ]);
  const width = field('camera.width');
  assert.equal(width.kind, 'integer');
  assert.equal(width.minimum, 64);
  assert.equal(width.maximum, 4608);
  assert.equal(width.unit, 'px');
  assert.equal(width.title, 'Width');
  assert.equal(width.description, 'Picture width.');
  assert.equal(width.applies, 'camera');
  assert.equal(width.default, 1280);
  assert.equal(field('camera.index').nullable, true);
  assert.equal(field('camera.index').kind, 'integer');
  assert.deepEqual(field('camera.rotation').options, [0, 180]);
  assert.equal(field('camera.rotation').kind, 'enum');
  assert.deepEqual(field('camera.afMode').options, ['manual', 'auto', 'continuous']);
  assert.equal(field('camera.hflip').kind, 'boolean');
  assert.equal(field('camera.lensPosition').optional, true);
  assert.equal(field('camera.width').optional, false);
  assert.equal(field('camera.shutterUs').exclusiveMinimum, 0);
  assert.equal(field('server.deviceName').maxLength, 64);
  assert.equal(field('gpio.led.pin').applies, 'gpio');
});

test('groups come in the page order, Camera first, empty ones left out', () => {
  assert.deepEqual(groupFields(fields).map((g) => [g.group, g.fields.length]), [
    ['Camera', 3],
    ['Picture', 3],
    ['Focus', 2],
    ['Exposure', 1],
    ['Device', 5],
  ]);
  assert.deepEqual(groupFields(fieldsOf({ type: 'object', properties: { a: { type: 'number', group: 'Exposure' } } })).map((g) => g.group), ['Exposure']);
});

test('local $refs, anyOf of consts and type lists are understood; nonsense is ignored', () => {
  const odd = fieldsOf({
    type: 'object',
    $defs: { pin: { type: 'integer', minimum: 0, maximum: 27 } },
    properties: {
      a: { $ref: '#/$defs/pin', group: 'Device', title: 'Pin A' },
      b: { anyOf: [{ const: 0 }, { const: 90 }, { type: 'null' }], group: 'Picture' },
      c: { type: ['string', 'null'], group: 'Device' },
      d: { type: 'array', items: { type: 'string' }, group: 'Device' },
      e: { type: 'number', group: 'Nowhere' },
      f: 'not a schema',
    },
  });
  assert.deepEqual(odd.map((f) => [f.path, f.kind, f.nullable]), [
    ['a', 'integer', false],
    ['b', 'enum', true],
    ['c', 'string', true],
  ]);
  assert.equal(odd[0]!.maximum, 27);
  assert.deepEqual(odd[1]!.options, [0, 90]);
  assert.deepEqual(fieldsOf(null), []);
  assert.deepEqual(fieldsOf({ $ref: '#/loop', loop: { $ref: '#/loop' } }), []);
});

test('each control says its range and unit', () => {
  assert.equal(rangeText(field('camera.width')), '64–4608 px, even');
  assert.equal(rangeText(field('camera.framerate')), '1–120 fps, whole');
  assert.equal(rangeText(field('camera.brightness')), '-1 to 1');
  assert.equal(rangeText(field('camera.lensPosition')), '0–15 dioptres (empty: automatic)');
  assert.equal(rangeText(field('camera.shutterUs')), 'more than 0 and at most 1000000 µs (empty: automatic)');
  assert.equal(rangeText(field('camera.index')), '0–7, whole (empty: not set)');
  assert.equal(rangeText(field('camera.rotation')), '0, 180 °');
  assert.equal(rangeText(field('camera.hflip')), 'on or off');
  assert.equal(rangeText(field('server.deviceName')), 'up to 64 characters');
  assert.equal(field('server.brokerPassword').secret, true);
  assert.equal(field('server.deviceName').secret, false);
  assert.equal(rangeText(field('server.brokerPassword')), 'up to 1024 characters, not shown: leave it to keep it (empty: not set)');
});

test('origins read as default, config file, set here', () => {
  const origins = { 'camera.width': 'config', 'camera.framerate': 'page', 'camera.index': 'nonsense' };
  assert.equal(originText(origins, 'camera.width'), 'config file');
  assert.equal(originText(origins, 'camera.framerate'), 'set here');
  assert.equal(originText(origins, 'camera.index'), 'default');
  assert.equal(originText(origins, 'camera.hflip'), 'default');
  assert.equal(originText(undefined, 'camera.hflip'), 'default');
});

test('coercion: numbers, bounds, whole numbers, enums, booleans, empty', () => {
  const width = field('camera.width');
  assert.deepEqual(coerce(width, '1920'), { ok: true, value: 1920 });
  assert.deepEqual(coerce(width, ' 640 '), { ok: true, value: 640 });
  assert.deepEqual(coerce(width, '4609'), { ok: false, problem: 'must be at most 4608 px' });
  assert.deepEqual(coerce(width, '10'), { ok: false, problem: 'must be at least 64 px' });
  assert.deepEqual(coerce(width, '640.5'), { ok: false, problem: 'must be a whole number' });
  assert.deepEqual(coerce(width, '641'), { ok: false, problem: 'must be even' });
  assert.deepEqual(coerce({ ...field('camera.brightness'), multipleOf: 0.1 }, '0.3'), { ok: true, value: 0.3 });
  assert.deepEqual(coerce({ ...field('camera.brightness'), multipleOf: 0.1 }, '0.35'), { ok: false, problem: 'must be a multiple of 0.1' });
  assert.deepEqual(coerce(field('camera.brightness'), '-0.5'), { ok: true, value: -0.5 });
  assert.deepEqual(coerce(width, '12abc'), { ok: false, problem: 'must be a number' });
  assert.deepEqual(coerce(width, '0x100'), { ok: false, problem: 'must be a number' });
  assert.deepEqual(coerce(width, ''), { ok: false, problem: 'required' });
  assert.deepEqual(coerce(field('camera.lensPosition'), '2,5'), { ok: true, value: 2.5 });
  assert.deepEqual(coerce(field('camera.lensPosition'), ''), { ok: true, value: undefined });
  assert.deepEqual(coerce(field('camera.shutterUs'), '0'), { ok: false, problem: 'must be more than 0 µs' });
  assert.deepEqual(coerce(field('camera.index'), ''), { ok: true, value: null });
  assert.deepEqual(coerce(field('camera.index'), '1'), { ok: true, value: 1 });
  const rotation = field('camera.rotation');
  assert.equal(displayValue(rotation, 180), '1');
  assert.deepEqual(coerce(rotation, displayValue(rotation, 180)), { ok: true, value: 180 });
  assert.deepEqual(coerce(rotation, '7'), { ok: false, problem: 'choose one of the options' });
  assert.equal(displayValue(field('camera.hflip'), true), true);
  assert.deepEqual(coerce(field('camera.hflip'), false), { ok: true, value: false });
  assert.deepEqual(coerce(field('server.deviceName'), ''), { ok: true, value: '' });
  assert.deepEqual(coerce(field('server.deviceName'), 'x'.repeat(65)), { ok: false, problem: 'must be at most 64 characters' });
  assert.equal(displayValue(field('camera.index'), null), '');
  assert.equal(displayValue(width, 1280), '1280');
});

test('collect: the loaded tree with the controls on top; keys without a field go back unchanged', () => {
  const loaded = {
    camera: { width: 1280, framerate: 30, index: null, rotation: 0, hflip: false, lensPosition: 1, afMode: 'continuous', extra: 'kept' },
    server: { deviceName: 'Front door', maxViewers: 16, openViewing: true },
  };
  const raws = new Map<string, string | boolean>([
    ['camera.width', '1920'],
    ['camera.rotation', '1'],
    ['camera.hflip', true],
    ['camera.lensPosition', ''],
    ['server.deviceName', 'Back door'],
    ['gpio.led.pin', '22'],
  ]);
  const { values, problems } = collect(fields, loaded, raws);
  assert.equal(problems.size, 0);
  assert.deepEqual(values, {
    camera: { width: 1920, framerate: 30, index: null, rotation: 180, hflip: true, afMode: 'continuous', extra: 'kept' },
    server: { deviceName: 'Back door', maxViewers: 16, openViewing: true },
    gpio: { led: { pin: 22 } },
  });
  assert.equal(loaded.camera.width, 1280, 'the loaded values are not touched');
  const bad = collect(fields, loaded, new Map([['camera.width', '99999'], ['camera.framerate', 'fast']]));
  assert.deepEqual([...bad.problems], [
    ['camera.width', 'must be at most 4608 px'],
    ['camera.framerate', 'must be a number'],
  ]);
  assert.deepEqual(setAt({ a: { b: 1 } }, ['a', 'b'], undefined), { a: {} });
  const sparse = collect(fields, { camera: { width: 1280 } }, new Map([['camera.width', '1280'], ['camera.framerate', '']]));
  assert.deepEqual(sparse, { values: { camera: { width: 1280 } }, problems: new Map() }, 'an empty field the device sent no value for stays out');
});

test('an object that may be null as a whole (no LED) is one switch: off sends null, on starts from the defaults', () => {
  assert.equal(field('gpio.led.pin').section, 'gpio.led');
  assert.equal(field('camera.width').section, undefined);
  assert.deepEqual(sectionsOf(fields), [{ path: 'gpio.led', keys: ['gpio', 'led'], title: 'LED' }]);
  const withLed = { gpio: { led: { pin: 5, activeLow: true } } };
  const noLed = { gpio: { led: null } };
  assert.equal(valueOf(field('gpio.led.pin'), withLed), 5);
  assert.equal(valueOf(field('gpio.led.pin'), noLed), 17, 'the default while there is no LED');
  const pin = displayValue(field('gpio.led.pin'), valueOf(field('gpio.led.pin'), noLed)) as string;
  const off = collect(fields, withLed, new Map<string, string | boolean>([['gpio.led', false], ['gpio.led.pin', 'not even a number']]));
  assert.deepEqual(off, { values: { gpio: { led: null } }, problems: new Map() }, "a section that is off: its fields are not read");
  const on = collect(fields, noLed, new Map<string, string | boolean>([['gpio.led', true], ['gpio.led.pin', pin], ['gpio.led.activeLow', false]]));
  assert.deepEqual(on.values, { gpio: { led: { pin: 17, activeLow: false } } });
  const unchanged = collect(fields, noLed, new Map<string, string | boolean>([['gpio.led', false], ['gpio.led.pin', pin]]));
  assert.deepEqual(unchanged.values, noLed);
});

test("the device's problems go next to their fields; the rest above the form", () => {
  const { byField, general } = mapProblems(
    [
      'camera.width: must be at most 4608',
      'camera.width: must be even',
      'gpio.led.pin.extra: unknown key',
      'camera.backoff.maxMs: must be at least 100',
      'settings must be an object',
      'camera: width and height exceed the sensor',
    ],
    fields,
  );
  assert.deepEqual([...byField], [
    ['camera.width', ['must be at most 4608', 'must be even']],
    ['gpio.led.pin', ['unknown key']],
  ]);
  assert.deepEqual(general, ['camera.backoff.maxMs: must be at least 100', 'settings must be an object', 'camera: width and height exceed the sensor']);
});

test('a long description: its first sentence, the rest behind "more"; "e.g." does not end it', async () => {
  const { splitDescription } = await import('../../../src/web/client/settings-form.js');
  assert.deepEqual(splitDescription('1 is normal, 0 is black and white.'), { short: '1 is normal, 0 is black and white.', more: '' });
  const codec = splitDescription(
    'mjpeg: every frame a JPEG, works with every MJPEG client and gives JPEG snapshots. h264: a tenth of the bandwidth, encoded by the Pi; the page plays it.',
  );
  assert.deepEqual(codec, { short: 'mjpeg: every frame a JPEG, works with every MJPEG client and gives JPEG snapshots.', more: 'h264: a tenth of the bandwidth, encoded by the Pi; the page plays it.' });
  const tuning = splitDescription('Absolute path of a libcamera tuning file (e.g. /usr/share/libcamera/ipa/rpi/vc4/imx219_noir.json); empty uses the one for the sensor.');
  assert.equal(tuning.short, 'Absolute path of a libcamera tuning file (e.g. /usr/share/libcamera/ipa/rpi/vc4/imx219_noir.json);');
  assert.equal(tuning.more, 'empty uses the one for the sensor.');
});
