import type { GpioConfig } from '../../device/settings/schema.js';
import { DebouncedInput, type WatchablePin } from '../../integrations/gpio/button.js';
import { describeOpenError, describePin, isUnavailable, prepareGpio } from '../../integrations/gpio/gpio.js';
import { type InputPin, type OutputPin, type PinFactory } from '../../integrations/gpio/pins.js';
import { headerChipLabels } from '../../integrations/gpio/sysfs.js';
import { realTimers, type ClockTimers } from '../../platform/clock.js';
import { errorText } from '../../platform/errors.js';

// `picamd gpio-test`: walks a person through the wiring on a real Pi. Blinks the LED, then prints
// every button/switch change (raw edges and debounced presses) for a while. Run it with the
// service stopped: a line can only be exported by one program.

export interface GpioTestDeps {
  config: GpioConfig;
  loadPins: () => Promise<PinFactory>;
  /** One line of output for the person at the terminal. */
  print: (line: string) => void;
  timers?: ClockTimers;
  blinks?: number;
  blinkMs?: number;
  listenMs?: number;
}

/** Returns the process exit code: 0 when every configured line could be opened, 1 otherwise. */
export async function runGpioTest(deps: GpioTestDeps): Promise<number> {
  const { config, print } = deps;
  const timers = deps.timers ?? realTimers;
  const blinks = deps.blinks ?? 5;
  const blinkMs = deps.blinkMs ?? 400;
  const listenMs = deps.listenMs ?? 15_000;
  const sleep = (ms: number) => new Promise<void>((resolve) => timers.setTimeout(resolve, ms));

  if (!config.enabled) print('note: gpio.enabled is false in the config; testing the wiring anyway.');
  if (!config.led && !config.privacy) {
    print('No LED and no privacy input are configured (gpio.led and gpio.privacy are null): nothing to test.');
    return 1;
  }
  const lines = await prepareGpio(config, deps.loadPins);
  if (isUnavailable(lines)) {
    print(`GPIO is not available: ${lines.cause}.`);
    print(`Fix: ${lines.fix}.`);
    return 1;
  }
  const chip = (lines.led ?? lines.input)!.chip;
  print(`GPIO chip: ${chip.name} "${chip.label}" (${headerChipLabels[chip.label] ?? 'unknown board'}), ` +
    `base ${chip.base}, ${chip.ngpio} lines`);

  let failed = false;
  if (config.led && lines.led) {
    let led: OutputPin | null = null;
    try {
      led = lines.pins.openOutput(lines.led.sysfs, config.led.activeLow);
    } catch (err) {
      print(`LED: cannot open ${describeOpenError(err, lines.led)}`);
      failed = true;
    }
    if (led) {
      print(`LED on ${describePin(lines.led)}${config.led.activeLow ? ', active low' : ''}: ` +
        `blinking ${blinks} times now, watch it.`);
      try {
        for (let i = 0; i < blinks; i++) {
          led.write(true);
          await sleep(blinkMs);
          led.write(false);
          await sleep(blinkMs);
        }
        print('LED: done. If it did not blink, check the resistor and polarity (anode to the GPIO pin, ' +
          'cathode to GND); if it was lit between blinks instead, flip gpio.led.activeLow.');
      } catch (err) {
        print(`LED: write failed: ${errorText(err)}`);
        failed = true;
      } finally {
        led.release();
      }
    }
  } else {
    print('LED: not configured (gpio.led is null).');
  }

  if (config.privacy && lines.input) {
    const { mode, activeLow, debounceMs } = config.privacy;
    const bcm = lines.input.bcm;
    let input: InputPin | null = null;
    try {
      input = lines.pins.openInput(lines.input.sysfs, activeLow, 'both');
    } catch (err) {
      print(`Privacy ${mode}: cannot open ${describeOpenError(err, lines.input)}`);
      failed = true;
    }
    if (input) {
      const pin = input;
      try {
        let edges = 0;
        let changes = 0;
        // Counts raw edges on the way into the same debouncer the service uses.
        const counting: WatchablePin = {
          read: () => pin.read(),
          watch: (callback) => pin.watch((active, err) => {
            if (!err) edges++;
            callback(active, err);
          }),
        };
        const word = (on: boolean) => (mode === 'button' ? (on ? 'pressed' : 'released') : on ? 'ON (private)' : 'OFF');
        const started = timers.now();
        const debounced = new DebouncedInput(
          counting,
          debounceMs,
          timers,
          (active) => {
            changes++;
            const at = ((timers.now() - started) / 1000).toFixed(2);
            print(`  ${at} s: ${word(active)}${mode === 'button' && active ? ' -> would toggle privacy' : ''}`);
          },
          (err) => print(`  read error, stopped listening: ${errorText(err)}`),
        );
        const initial = debounced.start();
        print(`Privacy ${mode} on ${describePin(lines.input)}${activeLow ? ', active low' : ''}: reads ${word(initial)} now.`);
        if (mode === 'button' && initial) {
          print(`  If nobody is pressing it, the input is floating: add "gpio=${bcm}=ip,pu" to ` +
            '/boot/firmware/config.txt and reboot (sysfs cannot turn on pull-ups).');
        }
        print(`${mode === 'button' ? 'Press the button' : 'Flip the switch'} a few times in the next ` +
          `${Math.round(listenMs / 1000)} s...`);
        await sleep(listenMs);
        debounced.stop();
        print(`Privacy ${mode}: ${edges} raw edge(s), ${changes} debounced change(s) with debounceMs ${debounceMs}.`);
        if (edges === 0) {
          print(`  No edges at all: check the wiring (BCM ${bcm} to one contact, GND to the other) and the ` +
            `"gpio=${bcm}=ip,pu" line in config.txt.`);
        } else if (edges > changes * 2 + 2) {
          print('  Many more edges than changes: the contact bounces; debounceMs absorbs it. Raise it if a ' +
            'single press ever shows twice.');
        }
      } catch (err) {
        print(`Privacy ${mode}: ${errorText(err)}`);
        failed = true;
      } finally {
        input.release();
      }
    }
  } else {
    print('Privacy input: not configured (gpio.privacy is null).');
  }
  print(failed ? 'GPIO test finished with problems (see above).' : 'GPIO test finished.');
  return failed ? 1 : 0;
}
