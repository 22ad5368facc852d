// The likely cause of a rollback in plain words, from what was undone, the values tried and the
// camera's line (the lines are rpicam-vid's and the simulated camera's own).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rollbackCause } from '../../../src/device/settings/rollback-cause.js';
import { configSchema } from '../../../src/device/settings/schema.js';

const camera = configSchema.parse({}).camera;
const cause = (undone: string[], tried: Partial<typeof camera>, line: string, exists = (_: string) => false) =>
  rollbackCause({ undone, tried: { ...camera, ...tried }, line, exists })?.text;
const codeOf = (undone: string[], tried: Partial<typeof camera>, line: string, exists = (_: string) => false) =>
  rollbackCause({ undone, tried: { ...camera, ...tried }, line, exists });

test('a tuning file: missing, or there but not loadable', () => {
  const line = 'ERROR: *** no cameras available ***';
  assert.equal(cause(['camera.tuningFile'], { tuningFile: '/x.json' }, line), 'the tuning file /x.json does not exist');
  const seen: string[] = [];
  const there = (path: string) => (seen.push(path), true);
  assert.match(cause(['camera.tuningFile'], { tuningFile: '/usr/share/t.json' }, line, there) ?? '', /^the tuning file \/usr\/share\/t\.json could not be loaded/);
  assert.deepEqual(seen, ['/usr/share/t.json']);
});

test('size, frame rate, memory, an old rpicam-vid, a camera number', () => {
  assert.equal(cause(['camera.width', 'camera.height'], { width: 4608, height: 3456 }, 'ERROR: *** 4608x3456 is larger than any mode of the simulated imx708 (largest 4608x2592) ***'), 'the camera cannot make 4608x3456 pictures');
  assert.equal(cause(['camera.framerate'], { width: 1920, height: 1080, framerate: 60 }, 'ERROR: *** 60 fps is more than the simulated imx708 can do at 1920x1080 ***'), 'the camera cannot run at 60 fps at 1920x1080');
  assert.match(cause(['camera.width'], { width: 4056, height: 3040 }, 'ERROR: *** failed to allocate capture buffers ***') ?? '', /too little memory for 4056x3040/);
  assert.equal(cause(['camera.codec'], {}, "ERROR: *** unrecognised option '--low-latency' ***"), 'this rpicam-vid is too old for --low-latency (update rpicam-apps)');
  assert.equal(cause(['camera.index'], { index: 3 }, 'ERROR: *** no cameras available ***'), 'there is no camera number 3');
});

test('nothing to say: undefined, and the page quotes the line alone', () => {
  assert.equal(cause(['camera.brightness'], { brightness: 0.5 }, 'ERROR: *** something else ***'), undefined);
  assert.equal(cause(['camera.width'], { width: 640 }, 'ERROR: *** no cameras available ***'), undefined);
});

test('each cause has a code and the values its text uses, for the page to say it in its language', () => {
  assert.deepEqual(codeOf(['camera.tuningFile'], { tuningFile: '/x.json' }, 'ERROR: *** no cameras available ***'), {
    code: 'tuning-file-missing',
    text: 'the tuning file /x.json does not exist',
    params: { file: '/x.json' },
  });
  const frameRate = codeOf(['camera.framerate'], { width: 1920, height: 1080, framerate: 60 }, 'ERROR: *** 60 fps is more than the simulated imx708 can do at 1920x1080 ***');
  assert.equal(frameRate?.code, 'framerate-unsupported');
  assert.deepEqual(frameRate?.params, { width: 1920, height: 1080, fps: 60 });
  assert.equal(codeOf(['camera.codec'], {}, "ERROR: *** unrecognised option '--low-latency' ***")?.code, 'rpicam-too-old');
});
