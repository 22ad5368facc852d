// Which H.264 encoder rpicam-vid uses, from the board's model string as /proc/device-tree/model has it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deviceModel, h264EncoderFor, h264SettingProblems } from '../../src/platform/board.js';

test('boards with the VideoCore H.264 encoder (VC4 platform): hardware', () => {
  for (const model of [
    'Raspberry Pi Zero 2 W Rev 1.0',
    'Raspberry Pi 4 Model B Rev 1.5',
    'Raspberry Pi 3 Model B Plus Rev 1.3',
    'Raspberry Pi 400 Rev 1.0',
    'Raspberry Pi Compute Module 4 Rev 1.1',
    'Raspberry Pi Zero W Rev 1.1',
  ]) {
    const choice = h264EncoderFor(model);
    assert.equal(choice.hardware, true, model);
    assert.equal(choice.note, `${model}: rpicam-vid encodes H.264 with the hardware encoder`);
  }
});

test('the Pi 5 family (PiSP platform) has none: libx264 on the CPU', () => {
  for (const model of [
    'Raspberry Pi 5 Model B Rev 1.0',
    'Raspberry Pi 5 Model B Rev 1.1',
    'Raspberry Pi Compute Module 5 Rev 1.0',
    'Raspberry Pi Compute Module 5 Lite Rev 1.0',
    'Raspberry Pi 500 Rev 1.0',
  ]) {
    const choice = h264EncoderFor(model);
    assert.equal(choice.hardware, false, model);
    assert.equal(choice.note, `${model} has no H.264 hardware encoder: rpicam-vid encodes with libx264 on the CPU`);
  }
});

test('the device tree string as read (NUL-terminated) works, through deviceModel() too', () => {
  assert.equal(h264EncoderFor('Raspberry Pi 5 Model B Rev 1.0\0').hardware, false);
  assert.equal(h264EncoderFor(deviceModel(() => 'Raspberry Pi 4 Model B Rev 1.5\0')).hardware, true);
  // Numbers that only start like a 5 are not the Pi 5 family.
  assert.equal(h264EncoderFor('Raspberry Pi 4 Model B Rev 5.0').hardware, true);
});

test('a board that is not a Pi (or none could be read): no hardware encoder assumed, said so', () => {
  assert.deepEqual(h264EncoderFor(deviceModel(() => { throw new Error('ENOENT'); })), {
    hardware: false,
    note: 'unknown board is not a Raspberry Pi model picamd knows: assuming no H.264 hardware encoder (libx264)',
  });
  assert.equal(h264EncoderFor(undefined).hardware, false);
  assert.equal(h264EncoderFor('').note, 'unknown board is not a Raspberry Pi model picamd knows: assuming no H.264 hardware encoder (libx264)');
  assert.equal(h264EncoderFor('Radxa ROCK 5B').hardware, false);
});

// rpicam-apps-lite (Raspberry Pi OS Lite, picamd's image) has no libav encoder: rpicam-apps#735
// ("unrecognised option '--libav-format'"), #761 ("Unable to find an appropriate H.264 codec"), and
// the maintainers' answer in both, rpicam-apps in its place.
test('a Pi 5 with rpicam-apps-lite: H.264 needs rpicam-apps, and a setting asking for it is refused naming it', () => {
  const model = 'Raspberry Pi 5 Model B Rev 1.0';
  const lite = h264EncoderFor(model, 'rpicam-apps-lite');
  assert.deepEqual(lite, {
    hardware: false,
    note: `${model} has no H.264 hardware encoder, and rpicam-apps-lite has no software one: H.264 needs the rpicam-apps package`,
    missingPackage: 'rpicam-apps',
  });
  assert.deepEqual(h264SettingProblems({ codec: 'h264' }, lite), [
    `camera.codec: H.264 on this board needs the rpicam-apps package (${lite.note}); install it with "sudo apt install rpicam-apps", or keep MJPEG`,
  ]);
  assert.deepEqual(h264SettingProblems({ codec: 'mjpeg' }, lite), []);
  for (const other of ['Raspberry Pi 500 Rev 1.0', 'Raspberry Pi Compute Module 5 Rev 1.0']) {
    assert.equal(h264EncoderFor(other, 'rpicam-apps-lite').missingPackage, 'rpicam-apps', other);
  }
});

test('a Pi 5 with rpicam-apps, or with neither package known (a source build): libx264, nothing refused', () => {
  const model = 'Raspberry Pi 5 Model B Rev 1.1';
  for (const rpicam of ['rpicam-apps', null] as const) {
    const choice = h264EncoderFor(model, rpicam);
    assert.deepEqual(choice, { hardware: false, note: `${model} has no H.264 hardware encoder: rpicam-vid encodes with libx264 on the CPU` });
    assert.deepEqual(h264SettingProblems({ codec: 'h264' }, choice), []);
  }
});

test('boards with the hardware encoder need no libav: rpicam-apps-lite is enough', () => {
  for (const model of ['Raspberry Pi Zero 2 W Rev 1.0', 'Raspberry Pi 4 Model B Rev 1.5']) {
    const choice = h264EncoderFor(model, 'rpicam-apps-lite');
    assert.equal(choice.hardware, true);
    assert.equal(choice.missingPackage, undefined);
    assert.deepEqual(h264SettingProblems({ codec: 'h264' }, choice), []);
  }
});
