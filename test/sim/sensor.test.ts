import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SimUsageError } from '../../src/sim/options.js';
import { chooseSensorMode, parseSimSensor, SIM_SENSORS } from '../../src/sim/sensor.js';

const request = (width: number, height: number, framerate: number, hdr = 'off') => ({ width, height, framerate, hdr });

test('PICAMD_SIM_SENSOR names a sensor or lists modes', () => {
  assert.equal(parseSimSensor(undefined), undefined);
  assert.equal(parseSimSensor(' '), undefined);
  assert.equal(parseSimSensor('imx708'), SIM_SENSORS.imx708);
  assert.equal(parseSimSensor('IMX477'), SIM_SENSORS.imx477);
  assert.deepEqual(parseSimSensor('1920x1080@50, 640x480@90.5'), {
    name: 'custom',
    modes: [{ width: 1920, height: 1080, fps: 50 }, { width: 640, height: 480, fps: 90.5 }],
  });
  for (const bad of ['imx999', '1920x1080', '1920x1080@0', 'x@1']) {
    assert.throws(() => parseSimSensor(bad), (err: unknown) => err instanceof SimUsageError && /PICAMD_SIM_SENSOR/.test(err.message), bad);
  }
});

test('Camera Module 3: the smallest mode large enough at the frame rate', () => {
  const imx708 = SIM_SENSORS.imx708!;
  assert.deepEqual(chooseSensorMode(imx708, request(1280, 720, 30)), { ok: true, mode: { width: 1536, height: 864, fps: 120.13 }, hdr: false });
  assert.deepEqual(chooseSensorMode(imx708, request(1920, 1080, 50)), { ok: true, mode: { width: 2304, height: 1296, fps: 56.03 }, hdr: false });
  assert.deepEqual(chooseSensorMode(imx708, request(4608, 2592, 10)), { ok: true, mode: { width: 4608, height: 2592, fps: 14.35 }, hdr: false });
});

test('refuses a size above the largest mode, and a rate no large-enough mode reaches', () => {
  const imx708 = SIM_SENSORS.imx708!;
  assert.deepEqual(chooseSensorMode(imx708, request(4608, 3456, 5)), {
    ok: false,
    reason: '4608x3456 is larger than any mode of the simulated imx708 (largest 4608x2592)',
  });
  assert.deepEqual(chooseSensorMode(imx708, request(4608, 2592, 30)), {
    ok: false,
    reason: '30 fps is more than the simulated imx708 can do at 4608x2592 (at most 14.35 fps, in mode 4608x2592)',
  });
  assert.deepEqual(chooseSensorMode(imx708, request(1920, 1080, 60)), {
    ok: false,
    reason: '60 fps is more than the simulated imx708 can do at 1920x1080 (at most 56.03 fps, in mode 2304x1296)',
  });
});

test('sensor HDR on Camera Module 3 has one mode, 2304x1296 at 30 fps', () => {
  const imx708 = SIM_SENSORS.imx708!;
  assert.deepEqual(chooseSensorMode(imx708, request(1920, 1080, 30, 'sensor')), { ok: true, mode: { width: 2304, height: 1296, fps: 30.01 }, hdr: true });
  assert.equal(chooseSensorMode(imx708, request(1920, 1080, 30, 'auto')).ok, true);
  assert.deepEqual(chooseSensorMode(imx708, request(2560, 1440, 30, 'sensor')), {
    ok: false,
    reason: '2560x1440 is larger than any mode of the simulated imx708 in sensor HDR (largest 2304x1296)',
  });
  assert.equal(chooseSensorMode(imx708, request(1280, 720, 60, 'sensor')).ok, false);
  // single-exp is the Pi 5's multi-frame HDR, not a sensor mode; other sensors have no sensor HDR.
  assert.equal(chooseSensorMode(imx708, request(1280, 720, 60, 'single-exp')).ok, true);
  assert.equal(chooseSensorMode(SIM_SENSORS.imx219!, request(1920, 1080, 30, 'sensor')).ok, true);
});
