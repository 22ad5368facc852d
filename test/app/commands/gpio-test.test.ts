import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as turn } from 'node:timers/promises';
import { configSchema } from '../../../src/device/settings/schema.js';
import { runGpioTest } from '../../../src/app/commands/gpio-test.js';
import { errnoError, FakePinFactory, mockableTimers, type FakeInputPin } from '../../fakes/gpio.js';
import { makeSysfsTree, sysfsLayouts } from '../../fakes/sysfs.js';

// Pi 5 layout: BCM 17 = sysfs 588, BCM 27 = sysfs 598.
let sysfsRoot = '';
let cleanup = async () => {};
before(async () => ({ root: sysfsRoot, cleanup } = await makeSysfsTree(sysfsLayouts.pi5)));
after(() => cleanup());

/** Starts runGpioTest on mocked time; `until` moves time 1 ms per event-loop turn until a line appears. */
function start(t: TestContext, pins: FakePinFactory, gpio: Record<string, unknown> = {}) {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const lines: string[] = [];
  const config = configSchema.parse({ gpio: { sysfsRoot, ...gpio } }).gpio;
  const done = runGpioTest({ config, loadPins: async () => pins, print: (l) => lines.push(l), timers: mockableTimers, blinks: 3, blinkMs: 100, listenMs: 2_000 });
  let finished = false;
  void done.then(() => (finished = true));
  const advance = async (ms: number) => {
    for (let i = 0; i < ms && !finished; i++) {
      t.mock.timers.tick(1);
      await turn();
    }
  };
  const until = async (pattern: RegExp) => {
    for (let i = 0; i < 10_000 && !lines.some((l) => pattern.test(l)); i++) {
      await turn();
      if (i > 100) t.mock.timers.tick(1);
    }
    assert.ok(lines.some((l) => pattern.test(l)), `no line ${pattern} in:\n${lines.join('\n')}`);
  };
  return { lines, done, advance, until };
}

test('blinks the LED, then reports raw edges and debounced presses, and releases every line', async (t) => {
  const pins = new FakePinFactory();
  const run = start(t, pins);
  await run.until(/^Press the button/);
  assert.deepEqual(pins.outputs.get(588)!.writes, [true, false, true, false, true, false]);
  assert.equal(pins.outputs.get(588)!.released, 1);
  const button = pins.inputs.get(598) as FakeInputPin;
  // A bouncy press, held, then a clean release.
  button.set(true); await run.advance(2); button.set(false); await run.advance(2); button.set(true);
  await run.advance(300);
  button.set(false);
  await run.advance(3_000);
  assert.equal(await run.done, 0);
  assert.equal(button.released, 1);
  const text = run.lines.join('\n');
  assert.match(text, /^GPIO chip: gpiochip571 "pinctrl-rp1" \(Raspberry Pi 5 \/ 500 \/ CM5 \(RP1\)\), base 571, 54 lines$/m);
  assert.match(text, /^LED on BCM 17 \(sysfs 588, gpiochip571 "pinctrl-rp1"\): blinking 3 times now, watch it\.$/m);
  assert.match(text, /^Privacy button on BCM 27 \(sysfs 598, gpiochip571 "pinctrl-rp1"\), active low: reads released now\.$/m);
  assert.match(text, /^ {2}0\.\d\d s: pressed -> would toggle privacy$/m);
  assert.match(text, /^ {2}0\.\d\d s: released$/m);
  assert.match(text, /^Privacy button: 4 raw edge\(s\), 2 debounced change\(s\) with debounceMs 50\.$/m);
  assert.match(text, /^GPIO test finished\.$/m);
});

test('no edges at all points at the wiring and the pull-up line', async (t) => {
  const run = start(t, new FakePinFactory(), { privacy: { mode: 'switch' } });
  await run.until(/^Flip the switch/);
  await run.advance(3_000);
  assert.equal(await run.done, 0);
  assert.match(run.lines.join('\n'), /No edges at all: check the wiring \(BCM 27 to one contact, GND to the other\) and the "gpio=27=ip,pu" line/);
});

test('unavailable GPIO: prints the cause and the fix, exit code 1', async (t) => {
  const pins = new FakePinFactory();
  pins.unavailable = { cause: '/sys/class/gpio does not exist: not a Raspberry Pi', fix: 'run picamd on a Raspberry Pi' };
  const run = start(t, pins);
  assert.equal(await run.done, 1);
  assert.deepEqual(run.lines, [
    'GPIO is not available: /sys/class/gpio does not exist: not a Raspberry Pi.',
    'Fix: run picamd on a Raspberry Pi.',
  ]);
});

test('a line that cannot be opened is reported and the exit code is 1', async (t) => {
  const pins = new FakePinFactory();
  pins.openErrors.set(588, errnoError('EBUSY', 'resource busy'));
  const run = start(t, pins, { privacy: null });
  assert.equal(await run.done, 1);
  const text = run.lines.join('\n');
  assert.match(text, /LED: cannot open BCM 17 \(sysfs 588 on gpiochip571 "pinctrl-rp1"\) is in use/);
  assert.match(text, /Privacy input: not configured/);
  assert.match(text, /GPIO test finished with problems/);
});
