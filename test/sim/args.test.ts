import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCameraArgv } from '../../src/camera/args.js';
import { configSchema } from '../../src/config/schema.js';
import { defaultSimOptions, parseSimArgs, parseSimFaults, SimUsageError } from '../../src/sim/args.js';

const base = ['-t', '0', '-n', '--codec', 'mjpeg', '--flush', '-o', '-'];

test('parses the command line picamd gives rpicam-vid', () => {
  const camera = configSchema.parse({
    camera: { command: ['sim'], width: 1920, height: 1080, framerate: 25, quality: 70, hflip: true, vflip: true, rotation: 180, index: 1 },
  }).camera;
  const argv = buildCameraArgv(camera).slice(1);
  assert.deepEqual(parseSimArgs(argv), {
    ...defaultSimOptions(),
    width: 1920,
    height: 1080,
    framerate: 25,
    quality: 70,
    timeoutMs: 0,
    hflip: true,
    vflip: true,
    rotation: 180,
    camera: 1,
  });
});

test('takes every camera setting picamd can send, as picamd spells it', () => {
  const camera = configSchema.parse({
    camera: {
      command: ['sim'], tuningFile: '/etc/picamd/tuning.json', brightness: -0.25, contrast: 1.5, saturation: 0,
      sharpness: 2, denoise: 'cdn_off', hdr: 'sensor', awbMode: 'daylight', awbRedGain: 1.5, awbBlueGain: 1.25,
      autofocusMode: 'manual', autofocusRange: 'macro', autofocusSpeed: 'fast', lensPosition: 2.5,
      exposureMode: 'sport', ev: -1.5, shutterUs: 10000, analogueGain: 2.5, meteringMode: 'spot', flicker: '60hz',
    },
  }).camera;
  assert.deepEqual(parseSimArgs(buildCameraArgv(camera).slice(1)), {
    ...defaultSimOptions(),
    width: 1280, height: 720, framerate: 30, quality: 80, timeoutMs: 0,
    tuningFile: '/etc/picamd/tuning.json', brightness: -0.25, contrast: 1.5, saturation: 0, sharpness: 2,
    denoise: 'cdn_off', hdr: 'sensor', awb: 'daylight', awbGains: [1.5, 1.25], autofocusMode: 'manual',
    autofocusRange: 'macro', autofocusSpeed: 'fast', lensPosition: 2.5, exposure: 'sport', ev: -1.5, shutterUs: 10000,
    gain: 2.5, metering: 'spot', flickerPeriodUs: 8333,
  });
  // And each enum value the schema allows.
  const values: Record<string, string[]> = {
    denoise: ['auto', 'off', 'cdn_off', 'cdn_fast', 'cdn_hq'],
    hdr: ['off', 'auto', 'sensor', 'single-exp'],
    awbMode: ['auto', 'incandescent', 'tungsten', 'fluorescent', 'indoor', 'daylight', 'cloudy'],
    autofocusMode: ['default', 'manual', 'auto', 'continuous'],
    autofocusRange: ['normal', 'macro', 'full'],
    autofocusSpeed: ['normal', 'fast'],
    exposureMode: ['normal', 'sport', 'long'],
    meteringMode: ['centre', 'spot', 'average'],
    flicker: ['off', '50hz', '60hz'],
  };
  for (const [key, list] of Object.entries(values)) {
    for (const value of list) {
      const argv = buildCameraArgv(configSchema.parse({ camera: { command: ['sim'], [key]: value } }).camera).slice(1);
      assert.doesNotThrow(() => parseSimArgs(argv), `${key}=${value}`);
    }
  }
});

test('defaults are rpicam-vid defaults, and --flag=value works', () => {
  const options = parseSimArgs(['--codec=mjpeg', '--output=-', '--width=320', '--framerate=12.5', '--hflip=0']);
  assert.equal(options.width, 320);
  assert.equal(options.height, 480);
  assert.equal(options.framerate, 12.5);
  assert.equal(options.quality, 50);
  assert.equal(options.timeoutMs, 5000);
  assert.equal(options.hflip, false);
  assert.equal(parseSimArgs(['--help']).help, true);
});

test('values in rpicam-apps syntax: time strings, optional values, synonyms, clamping', () => {
  const parse = (...args: string[]) => parseSimArgs([...base, ...args]);
  // TimeVal: a number and an optional unit; without one, the option's default unit (-t: ms, others: us).
  assert.equal(parse('-t', '2s').timeoutMs, 2000);
  assert.equal(parse('--timeout', '1500ms').timeoutMs, 1500);
  assert.equal(parse('-t', '1min').timeoutMs, 60_000);
  assert.equal(parse('-t', '5sec').timeoutMs, 5000);
  assert.equal(parse('--shutter', '10000').shutterUs, 10000);
  assert.equal(parse('--shutter', '20ms').shutterUs, 20000);
  assert.equal(parse('--shutter', '0.5s').shutterUs, 500_000);
  assert.equal(parse('--flicker-period', '10000us').flickerPeriodUs, 10000);
  assert.equal(parse('--flicker-period', '10ms').flickerPeriodUs, 10000);
  // Optional values: --hdr alone means auto; a value comes after "=" or as the next word when that
  // is not an option.
  assert.equal(parse('--hdr').hdr, 'auto');
  assert.equal(parse('--hdr=single-exp').hdr, 'single-exp');
  assert.equal(parse('--hdr', 'sensor').hdr, 'sensor');
  assert.equal(parse('--hdr', '--hflip').hdr, 'auto');
  assert.equal(parse('--hflip', '0').hflip, false);
  assert.equal(parse('--hflip', '-t', '0').hflip, true);
  // Boolean words Boost takes.
  assert.equal(parse('--vflip=yes').vflip, true);
  assert.equal(parse('--vflip=OFF').vflip, false);
  // Short options with the value attached; a required value is the next word even if it starts with
  // "--" (Boost then complains about the value), but not one of rpicam-vid's short options.
  assert.equal(parseSimArgs(['-t0', '-q80', '--codec', 'mjpeg', '-o', '-']).quality, 80);
  assert.equal(parse('--width', '+320').width, 320);
  // Words that are no option are ignored, and everything after "--".
  assert.equal(parse('stray', '--width', '320', '--', '--bogus').width, 320);
  // Synonyms rpicam-apps takes.
  assert.equal(parse('--metering', 'matrix').metering, 'matrix');
  assert.equal(parse('--exposure', 'short').exposure, 'short');
  assert.equal(parse('--awb', 'normal').awb, 'normal');
  assert.equal(parse('--analoggain', '3').gain, 3);
  // Negative values after "=" and as the next word.
  assert.equal(parse('--ev=-2').ev, -2);
  assert.equal(parse('--ev', '-2').ev, -2);
  assert.equal(parse('--brightness', '-0.5').brightness, -0.5);
  // rpicam-apps clamps these rather than refusing them.
  assert.equal(parse('--brightness', '3').brightness, 1);
  assert.equal(parse('--contrast', '40').contrast, 15.99);
  assert.equal(parse('--saturation', '-1').saturation, 0);
  // Lens position: dioptres, "default", or empty for none.
  assert.equal(parse('--lens-position', '0').lensPosition, 0);
  assert.equal(parse('--lens-position', 'default').lensPosition, 'default');
  assert.equal(parse('--lens-position', '').lensPosition, null);
  // AWB gains: both or they do nothing.
  assert.deepEqual(parse('--awbgains', '1.5,1.2').awbGains, [1.5, 1.2]);
  assert.equal(parse('--awbgains', '0,0').awbGains, null);
  assert.equal(parse('--tuning-file', '-').tuningFile, null);
  // rotation: any multiple of 180 is 0 or 180.
  assert.equal(parse('--rotation', '-180').rotation, 180);
  assert.equal(parse('--rotation', '360').rotation, 0);
});

test('rejects what rpicam-vid would reject or the sim cannot do, with rpicam-vid\'s message', () => {
  const rejects = (argv: string[], message: string | RegExp) =>
    assert.throws(
      () => parseSimArgs(argv),
      (err: unknown) =>
        err instanceof SimUsageError && (typeof message === 'string' ? err.message === message : message.test(err.message)),
      argv.join(' '),
    );
  rejects([...base, '--bogus'], "unrecognised option '--bogus'");
  rejects([...base, '--bogus=1'], "unrecognised option '--bogus=1'");
  rejects([...base, '-x'], "unrecognised option '-x'");
  rejects([...base, '--hflip', 'stray'], /^the argument \('stray'\) for option '--hflip' is invalid/);
  rejects([...base, '--lens-position='], "the argument for option '--lens-position' should follow immediately after the equal sign");
  rejects(['-t', '0', '-o', '-'], /codec 'h264' is not supported/);
  rejects(['--codec', 'yuv420', '-o', '-'], /codec 'yuv420'/);
  rejects(['--codec', 'mjpeg'], /no output/);
  rejects(['--codec', 'mjpeg', '-o', 'out.mjpeg'], /output 'out.mjpeg' is not supported/);
  rejects([...base, '--width'], "the required argument for option '--width' is missing");
  rejects([...base, '--width', '-o'], "the required argument for option '--width' is missing");
  rejects([...base, '-q'], "the required argument for option '--quality' is missing");
  rejects([...base, '--width', '--hflip'], "the argument ('--hflip') for option '--width' is invalid");
  rejects([...base, '-qhigh'], "the argument ('high') for option '--quality' is invalid");
  rejects([...base, '--width', 'wide'], "the argument ('wide') for option '--width' is invalid");
  rejects([...base, '--width', '8'], /between 16 and 8192/);
  rejects([...base, '-q', '101'], /between 1 and 100/);
  rejects([...base, '--framerate', '0'], /between 0.1 and 240/);
  rejects([...base, '--rotation', '90'], 'transforms requiring transpose not supported');
  rejects([...base, '--rotation', '45'], 'illegal rotation value');
  // An unsigned -1 wraps round to 4294967295 (and is then out of the sim's range).
  rejects([...base, '--camera', '-1'], "option '--camera' must be between 0 and 7 (got 4294967295)");
  rejects([...base, '--width', ' 640'], "the argument (' 640') for option '--width' is invalid");
  rejects([...base, '--rotation', '1.5'], "the argument ('1.5') for option '--rotation' is invalid");
  rejects([...base, '--contrast', '2,5'], "the argument ('2,5') for option '--contrast' is invalid");
  rejects([...base, '--hflip=maybe'], /^the argument \('maybe'\) for option '--hflip' is invalid. Valid choices are 'on\|off'/);
  rejects([...base, '-t', 'forever'], 'Invalid time string provided');
  rejects([...base, '--shutter', 'fast'], 'Invalid time string provided');
  rejects([...base, '--flicker-period', 'mains'], 'Invalid time string provided');
  rejects([...base, '--brightness', 'bright'], "the argument ('bright') for option '--brightness' is invalid");
  rejects([...base, '--ev', '1stop'], "the argument ('1stop') for option '--ev' is invalid");
  rejects([...base, '--gain', 'x'], "the argument ('x') for option '--gain' is invalid");
  rejects([...base, '--denoise', 'cdn_max'], 'Invalid denoise mode cdn_max');
  rejects([...base, '--hdr=on'], 'Invalid HDR option provided: on');
  rejects([...base, '--awb', 'sunny'], 'Invalid AWB mode: sunny');
  rejects([...base, '--awbgains', '1.5'], 'Invalid AWB gains');
  rejects([...base, '--autofocus-mode', 'fixed'], 'Invalid AfMode:fixed');
  rejects([...base, '--autofocus-range', 'near'], 'Invalid AfRange mode:near');
  rejects([...base, '--autofocus-speed', 'slow'], 'Invalid afSpeed mode:slow');
  rejects([...base, '--lens-position', 'near'], 'Invalid lens position: near');
  rejects([...base, '--exposure', 'night'], 'Invalid exposure mode:night');
  rejects([...base, '--metering', 'matrixx'], 'Invalid metering mode: matrixx');
});

test('parses PICAMD_SIM_FAULT', () => {
  assert.deepEqual(parseSimFaults(undefined), {});
  assert.deepEqual(parseSimFaults(''), {});
  assert.deepEqual(parseSimFaults('crash-after=30'), { crashAfter: 30 });
  assert.deepEqual(parseSimFaults('garbage-every=3, truncate-every=5,stall-after=0'), {
    garbageEvery: 3,
    truncateEvery: 5,
    stallAfter: 0,
  });
  assert.throws(() => parseSimFaults('explode=1'), /unknown fault 'explode=1'/);
  assert.throws(() => parseSimFaults('crash-after'), /whole number/);
  assert.throws(() => parseSimFaults('garbage-every=0'), /whole number >= 1/);
  assert.throws(() => parseSimFaults('crash-after=-1'), /whole number/);
});
