import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { configSchema } from '../../../src/device/settings/schema.js';
import { GpioService } from '../../../src/integrations/gpio/gpio.js';
import { loadOnoffPinFactory, ONOFF_SYSFS_ROOT, type PinFactory } from '../../../src/integrations/gpio/pins.js';
import { PrivacyController } from '../../../src/device/privacy/controller.js';
import type { LoadResult } from '../../../src/device/privacy/store.js';
import { errnoError, FakePinFactory, mockableTimers, tickMs, type FakeInputPin, type FakeOutputPin } from '../../fakes/gpio.js';
import { memoryLogger } from '../../fakes/logger.js';
import { FakeCamera, MemoryPrivacyStore } from '../../fakes/privacy.js';
import { makeSysfsTree, sysfsLayouts } from '../../fakes/sysfs.js';

// Pi 4 layout: BCM 17 (LED) = sysfs 529, BCM 27 (privacy input) = sysfs 539.
const LED = 529;
const INPUT = 539;
let sysfsRoot = '';
let cleanup = async () => {};
before(async () => ({ root: sysfsRoot, cleanup } = await makeSysfsTree(sysfsLayouts.pi4)));
after(() => cleanup());

async function setup(t: TestContext, opts: {
  gpio?: Record<string, unknown>;
  pins?: FakePinFactory;
  loadPins?: () => Promise<PinFactory>;
  file?: LoadResult;
} = {}) {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const logger = memoryLogger();
  const privacy = new PrivacyController({ store: new MemoryPrivacyStore(opts.file), startPaused: false, logger: logger.child('privacy') });
  const camera = new FakeCamera();
  privacy.bindCamera(camera);
  const pins = opts.pins ?? new FakePinFactory();
  let loads = 0;
  const config = configSchema.parse({ gpio: { sysfsRoot, ...opts.gpio } }).gpio;
  const gpio = new GpioService({
    config,
    privacy,
    loadPins: opts.loadPins ?? (async () => (loads++, pins)),
    logger: logger.child('gpio'),
    timers: mockableTimers,
  });
  await privacy.start();
  await gpio.start();
  const tick = (ms: number) => tickMs(t.mock.timers, ms);
  const led = () => pins.outputs.get(LED) as FakeOutputPin | undefined;
  const input = () => pins.inputs.get(INPUT) as FakeInputPin | undefined;
  const warnings = () => logger.lines.filter((l) => l.startsWith('warn gpio'));
  return { logger, privacy, camera, pins, gpio, tick, led, input, warnings, loads: () => loads };
}

/** A press with contact bounce, then a release with bounce, `holdMs` later. */
function pressAndRelease(input: FakeInputPin, tick: (ms: number) => void, holdMs = 200) {
  input.set(true); tick(1); input.set(false); tick(2); input.set(true);
  tick(holdMs);
  input.set(false); tick(1); input.set(true); tick(1); input.set(false);
  tick(100);
}

test('button: each press toggles privacy once; bounces and holding do not toggle twice', async (t) => {
  const { privacy, camera, tick, input, led, warnings } = await setup(t);
  assert.deepEqual(warnings(), []);
  assert.equal(input()!.activeLow, true);
  assert.equal(input()!.edge, 'both');
  assert.equal(led()!.activeLow, false);

  pressAndRelease(input()!, tick);
  assert.equal(privacy.enabled, true);
  assert.equal(privacy.state.source, 'button');
  assert.equal(camera.paused, true);

  // Held for ten seconds: still one press.
  pressAndRelease(input()!, tick, 10_000);
  assert.equal(privacy.enabled, false);
  assert.equal(camera.paused, false);
  assert.deepEqual(camera.calls, [true, false, true, false]);
});

test('LED: solid while streaming, slow while starting, fast in backoff, double blink when private', async (t) => {
  const { gpio, privacy, tick, led } = await setup(t);
  const pin = led()!;
  gpio.setCameraState('streaming');
  tick(5_000);
  assert.deepEqual(pin.writes, [true]);
  assert.equal(gpio.status.led, 'on');

  gpio.setCameraState('backoff');
  pin.writes.length = 0;
  tick(1_000);
  assert.equal(gpio.status.led, 'fast');
  assert.ok(pin.writes.length >= 9 && pin.writes.length <= 11, `fast blink writes: ${pin.writes.length}`);

  gpio.setCameraState('starting');
  pin.writes.length = 0;
  tick(2_000);
  assert.equal(gpio.status.led, 'slow');
  assert.ok(pin.writes.length >= 3 && pin.writes.length <= 5, `slow blink writes: ${pin.writes.length}`);

  privacy.set(true, 'api');
  gpio.setCameraState('paused');
  pin.writes.length = 0;
  tick(6_000);
  assert.equal(gpio.status.led, 'private');
  assert.equal(pin.writes.filter((on) => on).length, 4, 'two double blinks in six seconds');
});

test('LED: a failed setup file shows three flashes and a pause, over privacy and every camera state', async (t) => {
  const { gpio, privacy, tick, led } = await setup(t);
  const pin = led()!;
  privacy.set(true, 'api');
  gpio.setCameraState('streaming');
  gpio.setSetupError(true);
  pin.writes.length = 0;
  tick(4_000);
  assert.equal(gpio.status.led, 'setup-error');
  assert.equal(pin.writes.filter((on) => on).length, 6, 'three flashes every 2 s');
  gpio.setSetupError(false);
  assert.equal(gpio.status.led, 'private');
});

test('switch: its level at start is the privacy state, each change follows, the API gets a conflict while on', async (t) => {
  const pins = new FakePinFactory();
  pins.initialLevels.set(INPUT, true);
  const { privacy, camera, tick, input, logger } = await setup(t, { pins, gpio: { privacy: { mode: 'switch' } }, file: { kind: 'missing' } });
  assert.equal(privacy.enabled, true);
  assert.equal(privacy.state.source, 'switch');
  assert.equal(camera.paused, true);
  assert.ok(!logger.lines.some((l) => l.includes('floating')), 'no floating-button hint in switch mode');

  const conflict = privacy.set(false, 'api');
  assert.equal(conflict.ok, false);

  input()!.set(false); tick(3); input()!.set(true); tick(3); input()!.set(false);
  tick(100);
  assert.equal(privacy.enabled, false);
  assert.equal(camera.paused, false);
  // Bound (held), state file (free), switch read at GPIO start (held), switch off (free). main.ts
  // starts the camera only after GPIO, so the brief "free" at boot never reaches a process.
  assert.deepEqual(camera.calls, [true, false, true, false]);

  input()!.set(true);
  tick(100);
  assert.equal(privacy.enabled, true);
});

test('a switch that is off at boot turns off a privacy state saved by the API', async (t) => {
  const { privacy, camera } = await setup(t, {
    gpio: { privacy: { mode: 'switch' } },
    file: { kind: 'ok', state: { enabled: true, source: 'api', since: '2026-01-01T00:00:00.000Z' } },
  });
  assert.equal(privacy.enabled, false);
  assert.equal(camera.paused, false);
});

test('unavailable GPIO: exactly one warning naming the cause and the fix; privacy still works', async (t) => {
  const pins = new FakePinFactory();
  pins.unavailable = { cause: 'permission denied writing /sys/class/gpio/export', fix: 'add picamd to the gpio group' };
  const { gpio, warnings, privacy, camera } = await setup(t, { pins });
  assert.deepEqual(warnings(), [
    'warn gpio: unavailable: permission denied writing /sys/class/gpio/export. Fix: add picamd to the gpio group. ' +
      'Streaming carries on without the status LED and the privacy button.',
  ]);
  assert.equal(pins.outputs.size + pins.inputs.size, 0);
  assert.deepEqual(gpio.status, { available: false, led: null, input: null });
  gpio.setCameraState('streaming');
  assert.equal(privacy.set(true, 'api').ok, true);
  assert.equal(camera.paused, true);
  gpio.stop();
  gpio.stop();
});

test('onoff failing to load (native addon) is one warning, not a crash', async (t) => {
  const { warnings } = await setup(t, { loadPins: () => Promise.reject(new Error('Could not locate the bindings file epoll.node')) });
  assert.equal(warnings().length, 1);
  assert.match(warnings()[0]!, /onoff GPIO module could not be loaded \(Could not locate the bindings file epoll.node\)/);
});

test('gpio.enabled false: the pin factory is never loaded', async (t) => {
  const { loads, warnings, logger } = await setup(t, { gpio: { enabled: false } });
  assert.equal(loads(), 0);
  assert.deepEqual(warnings(), []);
  assert.ok(logger.lines.includes('info gpio: disabled (gpio.enabled is false)'));
});

test('a sysfs tree without a header chip is one warning', async (t) => {
  const { warnings, pins } = await setup(t, { gpio: { sysfsRoot: '/nonexistent/gpio' } });
  assert.equal(warnings().length, 1);
  assert.match(warnings()[0]!, /unavailable: ENOENT/);
  assert.equal(pins.outputs.size, 0);
});

test('the LED and the input on the same pin is refused with one warning', async (t) => {
  const { warnings, pins } = await setup(t, { gpio: { led: { pin: 27 } } });
  assert.equal(warnings().length, 1);
  assert.match(warnings()[0]!, /gpio.led.pin and gpio.privacy.pin are both BCM 27/);
  assert.equal(pins.outputs.size + pins.inputs.size, 0);
});

test('a failed LED write disables the LED once; the button and the stream carry on', async (t) => {
  const { gpio, led, input, tick, warnings, privacy } = await setup(t);
  gpio.setCameraState('backoff');
  tick(300);
  led()!.writeError = errnoError('EIO', 'i/o error');
  tick(2_000);
  assert.equal(warnings().length, 1);
  assert.match(warnings()[0]!, /status LED disabled after a failed write to BCM 17 \(sysfs 529, gpiochip512 "pinctrl-bcm2711"\): EIO/);
  assert.equal(led()!.released, 1);
  assert.equal(gpio.status.led, null);
  gpio.setCameraState('streaming');
  pressAndRelease(input()!, tick);
  assert.equal(privacy.enabled, true);
  assert.equal(warnings().length, 1);
});

test('an LED line that cannot be opened (EBUSY) is one warning; the input still works', async (t) => {
  const pins = new FakePinFactory();
  pins.openErrors.set(LED, errnoError('EBUSY', 'resource busy'));
  const { warnings, input, tick, privacy } = await setup(t, { pins });
  assert.equal(warnings().length, 1);
  assert.match(warnings()[0]!, /status LED disabled: BCM 17 \(sysfs 529 on gpiochip512 "pinctrl-bcm2711"\) is in use by a kernel driver or another program/);
  pressAndRelease(input()!, tick);
  assert.equal(privacy.enabled, true);
});

test('a switch line that fails is disabled with one warning and no longer blocks the API', async (t) => {
  const pins = new FakePinFactory();
  pins.initialLevels.set(INPUT, true);
  const { warnings, input, tick, privacy } = await setup(t, { pins, gpio: { privacy: { mode: 'switch' } } });
  assert.equal(privacy.set(false, 'api').ok, false);
  input()!.readError = errnoError('EIO', 'i/o error');
  input()!.set(false);
  tick(100);
  assert.equal(warnings().length, 1);
  assert.match(warnings()[0]!, /privacy switch disabled after a failed read of BCM 27/);
  assert.equal(input()!.released, 1);
  assert.equal(privacy.enabled, true, 'the last known state holds');
  assert.equal(privacy.set(false, 'api').ok, true);
});

test('a button that reads pressed at start warns about a floating input and does not toggle', async (t) => {
  const pins = new FakePinFactory();
  pins.initialLevels.set(INPUT, true);
  const { warnings, privacy, tick } = await setup(t, { pins });
  tick(1_000);
  assert.equal(privacy.enabled, false);
  assert.equal(warnings().length, 1);
  assert.match(warnings()[0]!, /reads as pressed at start.*add "gpio=27=ip,pu" to \/boot\/firmware\/config.txt/);
});

test('stop() turns the LED off, releases every line once, stops listening; safe to call twice', async (t) => {
  const { gpio, led, input, tick, privacy } = await setup(t);
  gpio.setCameraState('streaming');
  tick(10);
  assert.equal(led()!.level, true);
  gpio.stop();
  gpio.stop();
  assert.equal(led()!.level, false);
  assert.equal(led()!.released, 1);
  assert.equal(input()!.released, 1);
  assert.equal(input()!.watching, 0);
  const writes = led()!.writes.length;
  privacy.set(true, 'api');
  gpio.setCameraState('backoff');
  tick(2_000);
  assert.equal(led()!.writes.length, writes, 'no writes after stop');
});

test('the real onoff adapter on a machine without GPIO: one warning, privacy carries on', { skip: existsSync(ONOFF_SYSFS_ROOT) && 'this machine has GPIO sysfs' }, async (t) => {
  const { warnings, privacy, camera } = await setup(t, { loadPins: loadOnoffPinFactory });
  assert.equal(warnings().length, 1);
  assert.match(warnings()[0]!, /unavailable: \/sys\/class\/gpio does not exist.*Fix: .*Streaming carries on/);
  privacy.toggle('api');
  assert.equal(camera.paused, true);
});
