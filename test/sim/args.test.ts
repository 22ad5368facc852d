import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCameraArgv } from '../../src/camera/args.js';
import { configSchema } from '../../src/config/schema.js';
import { parseSimArgs, parseSimFaults, SimUsageError } from '../../src/sim/args.js';

const base = ['-t', '0', '-n', '--codec', 'mjpeg', '--flush', '-o', '-'];

test('parses the command line picamd gives rpicam-vid', () => {
  const camera = configSchema.parse({
    camera: { command: ['sim'], width: 1920, height: 1080, framerate: 25, quality: 70, hflip: true, vflip: true, rotation: 180, index: 1 },
  }).camera;
  const argv = buildCameraArgv(camera).slice(1);
  assert.deepEqual(parseSimArgs(argv), {
    width: 1920,
    height: 1080,
    framerate: 25,
    quality: 70,
    timeoutMs: 0,
    hflip: true,
    vflip: true,
    rotation: 180,
    camera: 1,
    help: false,
  });
});

test('defaults are rpicam-vid defaults, and --flag=value works', () => {
  const options = parseSimArgs(['--codec=mjpeg', '--output=-', '--width=320', '--framerate=12.5', '--hflip=0']);
  assert.equal(options.width, 320);
  assert.equal(options.height, 480);
  assert.equal(options.framerate, 12.5);
  assert.equal(options.quality, 50);
  assert.equal(options.timeoutMs, 5000);
  assert.equal(options.hflip, false);
  assert.equal(parseSimArgs([...base, '-t', '2s']).timeoutMs, 2000);
  assert.equal(parseSimArgs([...base, '--timeout', '1500ms']).timeoutMs, 1500);
  assert.equal(parseSimArgs(['--help']).help, true);
});

test('rejects what rpicam-vid would reject or the sim cannot do', () => {
  const rejects = (argv: string[], message: RegExp) =>
    assert.throws(() => parseSimArgs(argv), (err: unknown) => err instanceof SimUsageError && message.test(err.message));
  rejects([...base, '--bogus'], /unrecognised option '--bogus'/);
  rejects([...base, 'stray'], /unrecognised option 'stray'/);
  rejects(['-t', '0', '-o', '-'], /codec 'h264' is not supported/);
  rejects(['--codec', 'yuv420', '-o', '-'], /codec 'yuv420'/);
  rejects(['--codec', 'mjpeg'], /no output/);
  rejects(['--codec', 'mjpeg', '-o', 'out.mjpeg'], /output 'out.mjpeg' is not supported/);
  rejects([...base, '--width'], /requires a value/);
  rejects([...base, '--width', 'wide'], /invalid value 'wide'/);
  rejects([...base, '--width', '8'], /between 16 and 8192/);
  rejects([...base, '-q', '101'], /between 1 and 100/);
  rejects([...base, '--framerate', '0'], /between 0.1 and 240/);
  rejects([...base, '--rotation', '90'], /transpose/);
  rejects([...base, '--camera', '-1'], /invalid value/);
  rejects([...base, '--hflip=maybe'], /invalid value 'maybe'/);
  rejects([...base, '-t', 'forever'], /invalid value 'forever'/);
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
