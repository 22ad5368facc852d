import assert from 'node:assert/strict';
import { after, before, test, type TestContext } from 'node:test';
import { configSchema } from '../../../src/device/settings/schema.js';
import { detectOwnerResetHold } from '../../../src/integrations/gpio/owner-reset.js';
import { FakePinFactory, mockableTimers, tickMs, type FakeInputPin, type FakeOutputPin } from '../../fakes/gpio.js';
import { memoryLogger } from '../../fakes/logger.js';
import { makeSysfsTree, sysfsLayouts } from '../../fakes/sysfs.js';

// Pi 4 layout: BCM 17 (LED) = sysfs 529, BCM 27 (privacy button) = sysfs 539.
const LED = 529;
const INPUT = 539;
let sysfsRoot = '';
let cleanup = async () => {};
before(async () => ({ root: sysfsRoot, cleanup } = await makeSysfsTree(sysfsLayouts.pi4)));
after(() => cleanup());

function start(t: TestContext, opts: { pressed: boolean; gpio?: Record<string, unknown> }) {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const pins = new FakePinFactory();
  pins.initialLevels.set(INPUT, opts.pressed);
  const logger = memoryLogger();
  const config = configSchema.parse({ gpio: { sysfsRoot, ...opts.gpio } }).gpio;
  let result: boolean | null = null;
  const done = detectOwnerResetHold({ config, loadPins: async () => pins, timers: mockableTimers, logger: logger.child('gpio') })
    .then((r) => (result = r));
  const tick = (ms: number) => tickMs(t.mock.timers, ms);
  /** Waits (on real I/O: the sysfs tree is read) until the button line is open and its LED pattern runs. */
  const settle = async () => {
    while (!pins.inputs.has(INPUT) || (opts.pressed && !pins.outputs.has(LED))) await new Promise((r) => setImmediate(r));
  };
  return {
    pins, logger, done, tick, settle,
    result: () => result,
    input: () => pins.inputs.get(INPUT) as FakeInputPin,
    led: () => pins.outputs.get(LED) as FakeOutputPin | undefined,
  };
}

test('not pressed at start: no reset, at once, and the lines are released for the GPIO service', async (t) => {
  const s = start(t, { pressed: false });
  assert.equal(await s.done, false);
  assert.equal(s.input().released, 1);
  assert.equal(s.led(), undefined, 'the LED is not touched');
});

test('held for 10 s, then released: reset; the LED flickers while holding and stays on when armed', async (t) => {
  const s = start(t, { pressed: true });
  await s.settle();
  s.tick(1_000);
  assert.ok(s.led()!.writes.length >= 10, 'the LED flickers (50 ms on, 50 ms off)');
  s.tick(9_000);
  assert.equal(s.led()!.level, true, 'solid on: release now');
  const writes = s.led()!.writes.length;
  s.tick(3_000);
  assert.equal(s.led()!.writes.length, writes, 'steady while armed');
  assert.equal(s.result(), null, 'still waiting for the release');
  s.input().set(false);
  s.tick(60); // debounce
  assert.equal(await s.done, true);
  assert.equal(s.input().released, 1);
  assert.equal(s.led()!.released, 1);
  assert.equal(s.led()!.level, false, 'the LED is left off');
  assert.ok(s.logger.lines.some((l) => l === 'info gpio: privacy button held for 10 s and released: resetting the owner'));
});

test('released before 10 s: no reset', async (t) => {
  const s = start(t, { pressed: true });
  await s.settle();
  s.tick(9_000);
  s.input().set(false);
  s.tick(60);
  assert.equal(await s.done, false);
  assert.ok(s.logger.lines.includes('info gpio: privacy button released before 10 s: no owner reset'));
});

test('contact bounce while holding does not cancel the hold', async (t) => {
  const s = start(t, { pressed: true });
  await s.settle();
  s.tick(4_000);
  s.input().set(false); s.tick(5); s.input().set(true); // a 5 ms bounce, below debounceMs 50
  s.tick(6_100);
  s.input().set(false);
  s.tick(60);
  assert.equal(await s.done, true);
});

test('never released (stuck button, or a floating input without its pull-up): no reset', async (t) => {
  const s = start(t, { pressed: true });
  await s.settle();
  s.tick(20_001);
  assert.equal(await s.done, false);
  assert.ok(s.logger.lines.some((l) => l.startsWith('warn gpio: privacy button still pressed 10 s after the LED turned on: no owner reset')));
  assert.equal(s.input().released, 1);
});

test('a latching switch that is on at start is privacy, never an owner reset', async (t) => {
  const sw = start(t, { pressed: true, gpio: { privacy: { mode: 'switch' } } });
  assert.equal(await sw.done, false);
  assert.equal(sw.pins.inputs.size, 0, 'the switch is not even opened');
});

test('GPIO turned off: no check', async (t) => {
  const off = start(t, { pressed: true, gpio: { enabled: false } });
  assert.equal(await off.done, false);
  assert.equal(off.pins.inputs.size, 0);
});
