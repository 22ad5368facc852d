import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCameraArgv } from '../../src/device/camera/argv.js';
import { h264EncoderFor } from '../../src/platform/board.js';
import { configSchema } from '../../src/device/settings/schema.js';
import { defaultSimOptions, parseSimArgs, parseSimFaults, SimUsageError } from '../../src/sim/options.js';

const base = ['-t', '0', '-n', '--codec', 'mjpeg', '--flush', '-o', '-'];

test('parses the command line picamd gives rpicam-vid', () => {
  const camera = configSchema.parse({
    camera: { command: ['sim'], width: 1920, height: 1080, framerate: 25, quality: 70, hflip: true, vflip: true, rotation: 180, index: 1 },
  }).camera;
  const argv = buildCameraArgv(camera).slice(1);
  assert.deepEqual(parseSimArgs(argv), {
    ...defaultSimOptions(),
    codec: 'mjpeg',
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
    codec: 'mjpeg', width: 1280, height: 720, framerate: 30, quality: 80, timeoutMs: 0,
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
  rejects(['--codec', 'h265', '-o', '-'], 'unrecognised codec h265');
  rejects(['--codec', 'yuv420', '-o', '-'], "codec 'yuv420' is not supported by the simulated camera (only mjpeg and h264)");
  rejects(['--codec', 'libav', '-o', '-'], "codec 'libav' is not supported by the simulated camera (only mjpeg and h264)");
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

const h264 = ['-t', '0', '-n', '--codec', 'h264', '--inline', '--flush', '-o', '-'];

test('H.264: parses the command line picamd gives rpicam-vid, on a Pi 4 and on a Pi 5', () => {
  const camera = configSchema.parse({
    camera: { command: ['sim'], codec: 'h264', width: 640, height: 360, framerate: 30, keyframeIntervalMs: 500, h264Profile: 'main', h264Level: '4', bitrateKbps: 800 },
  }).camera;
  const expected = {
    ...defaultSimOptions(),
    codec: 'h264', width: 640, height: 360, framerate: 30, timeoutMs: 0,
    inline: true, intra: 15, profile: 'main', level: '4', bitrateBps: 800_000,
  };
  assert.deepEqual(parseSimArgs(buildCameraArgv(camera, h264EncoderFor('Raspberry Pi 4 Model B Rev 1.5')).slice(1)), expected);
  // --libav-format h264 --low-latency on a Pi 5: accepted, the same stream.
  assert.deepEqual(parseSimArgs(buildCameraArgv(camera, h264EncoderFor('Raspberry Pi 5 Model B Rev 1.0')).slice(1)), expected);
  // The automatic bit rate.
  const auto = configSchema.parse({ camera: { command: ['sim'], codec: 'h264' } }).camera;
  assert.equal(parseSimArgs(buildCameraArgv(auto).slice(1)).bitrateBps, 1_935_000);
});

test('H.264: rpicam-vid\'s defaults, synonyms, bit rate units and codec names without case', () => {
  // rpicam-vid's default codec is h264.
  assert.deepEqual(
    (({ codec, inline, intra, profile, level, bitrateBps }) => ({ codec, inline, intra, profile, level, bitrateBps }))(parseSimArgs(['-o', '-'])),
    { codec: 'h264', inline: false, intra: 0, profile: null, level: null, bitrateBps: 0 },
  );
  assert.equal(parseSimArgs(['--codec', 'H264', '-o', '-']).codec, 'h264');
  assert.equal(parseSimArgs([...h264, '-g', '12']).intra, 12);
  assert.equal(parseSimArgs([...h264, '-g12']).intra, 12);
  assert.equal(parseSimArgs([...h264, '--inline=off']).inline, false);
  const rate = (value: string) => parseSimArgs([...h264, '--bitrate', value]).bitrateBps;
  assert.equal(rate('2000000'), 2_000_000);
  assert.equal(rate('2mbps'), 2_000_000);
  assert.equal(rate('1.5m'), 1_500_000);
  assert.equal(rate('500kbps'), 500_000);
  assert.equal(rate('500k'), 500_000);
  assert.equal(rate('500K'), 500_000);
  assert.equal(rate('64000bps'), 64_000);
  assert.equal(rate('2M'), 2_000, 'upstream reads M as a thousand');
  assert.equal(rate('3000furlongs'), 3000, 'an unknown unit is ignored, as upstream');
  assert.equal(parseSimArgs([...h264, '-b', '1mbps']).bitrateBps, 1_000_000);
  // Level 4.2 is forced above level 4.1's macroblock rate (1920x1080 at more than 30 fps), as ParseVideo does.
  assert.equal(parseSimArgs([...h264, '--width', '1920', '--height', '1080', '--framerate', '30', '--level', '4.1']).level, '4.1');
  assert.equal(parseSimArgs([...h264, '--width', '1920', '--height', '1080', '--framerate', '31', '--level', '4.1']).level, '4.2');
  // An H.264 flag with MJPEG is accepted and means nothing, as in rpicam-vid.
  assert.equal(parseSimArgs([...base, '--intra', '5', '--inline']).codec, 'mjpeg');
});

test('H.264: refuses what rpicam-vid\'s encoder refuses, with its message', () => {
  const rejects = (argv: string[], message: string) =>
    assert.throws(() => parseSimArgs(argv), (err: unknown) => err instanceof SimUsageError && err.message === message, argv.join(' '));
  rejects([...h264, '--profile', 'high10'], 'no such profile high10');
  rejects([...h264, '--profile', 'High'], 'no such profile High');
  rejects([...h264, '--level', '4.0'], 'no such level 4.0');
  rejects([...h264, '--level', '5.1'], 'no such level 5.1');
  rejects([...h264, '--intra', 'often'], "the argument ('often') for option '--intra' is invalid");
  rejects([...h264, '--intra', '1.5'], "the argument ('1.5') for option '--intra' is invalid");
  rejects([...h264, '--bitrate', 'fast'], 'Invalid bitrate string provided');
  rejects([...h264, '--bitrate'], "the required argument for option '--bitrate' is missing");
  rejects([...h264, '--inline=sometimes'], "the argument ('sometimes') for option '--inline' is invalid. Valid choices are 'on|off', 'yes|no', '1|0' and 'true|false'");
  rejects([...h264, '--libav-format', 'mp4'], "--libav-format 'mp4' is not supported by the simulated camera (only h264)");
  rejects([...h264, '--low-latency=maybe'], "the argument ('maybe') for option '--low-latency' is invalid. Valid choices are 'on|off', 'yes|no', '1|0' and 'true|false'");
});
