import type { GpioConfig } from '../../device/settings/schema.js';
import type { Logger } from '../../platform/log/logger.js';
import { DebouncedInput } from './button.js';
import { describeOpenError, isUnavailable, prepareGpio } from './gpio.js';
import { LedDriver } from './led-pattern.js';
import type { InputPin, OutputPin, PinFactory } from './pins.js';
import { type ClockTimers } from '../../platform/clock.js';
import { errorText } from '../../platform/errors.js';

// The owner reset by hand: hold the privacy button while picamd starts, keep holding for 10 s
// (the LED flickers), release it when the LED turns solid (within 10 s). Only then is the owner
// reset. Releasing early cancels; an input that never releases (a stuck button, or a floating
// input without its pull-up, which reads as pressed) never resets anything. Runs once at start,
// before the GPIO service opens the same lines, and only in button mode (a latching switch that
// is on at start is simply privacy).

export const OWNER_RESET_HOLD_MS = 10_000;
export const OWNER_RESET_RELEASE_MS = 10_000;

export interface OwnerResetHoldDeps {
  config: GpioConfig;
  loadPins: () => Promise<PinFactory>;
  timers: ClockTimers;
  logger: Logger;
  holdMs?: number;
  releaseWithinMs?: number;
}

/** Resolves true when the button was held through the hold time and then released in time. */
export async function detectOwnerResetHold(deps: OwnerResetHoldDeps): Promise<boolean> {
  const { config, logger: log } = deps;
  const button = config.privacy;
  if (!config.enabled || !button || button.mode !== 'button') return false;
  const lines = await prepareGpio(config, deps.loadPins);
  if (isUnavailable(lines) || !lines.input) return false; // the GPIO service reports why, once

  let input: InputPin;
  try {
    input = lines.pins.openInput(lines.input.sysfs, button.activeLow, 'both');
  } catch (err) {
    log.debug(`owner reset check skipped: ${describeOpenError(err, lines.input)}`);
    return false;
  }
  let ledPin: OutputPin | null = null;
  let led: LedDriver | null = null;
  const release = () => {
    led?.stop();
    try {
      ledPin?.write(false);
    } catch {
      // Releasing matters more than the last write.
    }
    for (const pin of [ledPin, input]) {
      try {
        pin?.release();
      } catch (err) {
        log.debug(`releasing a line after the owner reset check: ${errorText(err)}`);
      }
    }
  };

  const holdMs = deps.holdMs ?? OWNER_RESET_HOLD_MS;
  const releaseWithinMs = deps.releaseWithinMs ?? OWNER_RESET_RELEASE_MS;
  return new Promise<boolean>((resolve) => {
    let phase: 'holding' | 'armed' | 'done' = 'holding';
    let timer: unknown = null;
    const finish = (result: boolean, message: string, level: 'info' | 'warn' = 'info') => {
      if (phase === 'done') return;
      phase = 'done';
      if (timer !== null) deps.timers.clearTimeout(timer);
      debounced.stop();
      release();
      log[level](message);
      resolve(result);
    };
    const debounced = new DebouncedInput(
      input,
      button.debounceMs,
      deps.timers,
      (pressed) => {
        if (pressed) return;
        if (phase === 'holding') finish(false, 'privacy button released before 10 s: no owner reset');
        else finish(true, 'privacy button held for 10 s and released: resetting the owner');
      },
      (err) => finish(false, `owner reset check stopped: cannot read the privacy button (${errorText(err)})`, 'warn'),
    );
    let pressed: boolean;
    try {
      pressed = debounced.start();
    } catch (err) {
      debounced.stop();
      release();
      log.debug(`owner reset check skipped: cannot read the privacy button (${errorText(err)})`);
      resolve(false);
      return;
    }
    if (!pressed) {
      phase = 'done';
      debounced.stop();
      release();
      resolve(false);
      return;
    }
    if (config.led && lines.led) {
      try {
        const out = lines.pins.openOutput(lines.led.sysfs, config.led.activeLow);
        ledPin = out;
        led = new LedDriver((on) => out.write(on), deps.timers);
        led.setMode('owner-reset');
      } catch (err) {
        log.debug(`no LED for the owner reset check: ${errorText(err)}`);
      }
    }
    log.info(`privacy button held at start: keep holding for ${holdMs / 1000} s to reset the owner (the LED flickers), ` +
      'then release it when the LED stays on');
    timer = deps.timers.setTimeout(() => {
      timer = null;
      phase = 'armed';
      try {
        led?.setMode('on');
      } catch {
        // The LED is only a hint.
      }
      log.info(`privacy button held for ${holdMs / 1000} s: release it within ${releaseWithinMs / 1000} s to reset the owner`);
      timer = deps.timers.setTimeout(() => {
        timer = null;
        finish(false, `privacy button still pressed ${releaseWithinMs / 1000} s after the LED turned on: no owner reset ` +
          '(a stuck button, or an input without its pull-up: see docs/gpio.md)', 'warn');
      }, releaseWithinMs);
    }, holdMs);
  });
}
