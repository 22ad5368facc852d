import type { DeviceEvents } from '../../device/events.js';
import type { GpioConfig } from '../../device/settings/schema.js';
import { deepEqual } from '../../device/settings/tree.js';
import type { Logger } from '../../platform/log/logger.js';
import { DebouncedInput, inputAction } from './button.js';
import { LedDriver, ledModeFor, type CameraState, type LedMode } from './led-pattern.js';
import { groupFix, type GpioUnavailable, type InputPin, type OutputPin, type PinFactory } from './pins.js';
import { resolveBcmPins, type ResolvedPin } from './sysfs.js';
import { realTimers, type ClockTimers } from '../../platform/clock.js';
import { errorCode, errorText } from '../../platform/errors.js';

// The status LED and the privacy button/switch. GPIO is a nicety next to the stream: anything that
// goes wrong here is one clear warning and the camera carries on.

/** What GPIO needs from the privacy controller (src/device/privacy/controller.ts). */
export interface PrivacyPort {
  readonly enabled: boolean;
  toggle(source: 'button'): unknown;
  setSwitch(active: boolean | null): void;
  on(event: 'change', listener: (state: { enabled: boolean }) => void): unknown;
  off(event: 'change', listener: (state: { enabled: boolean }) => void): unknown;
}

export interface GpioServiceDeps {
  config: GpioConfig;
  privacy: PrivacyPort;
  /** loadOnoffPinFactory in production; a promise so a broken onoff/epoll build is caught here. */
  loadPins: () => Promise<PinFactory>;
  logger: Logger;
  timers?: ClockTimers;
}

export interface GpioStatus {
  /** False when GPIO is turned off in the config or unavailable on this machine. */
  available: boolean;
  /** The LED's current pattern, or null without a working LED line. */
  led: LedMode | null;
  /** The debounced privacy input (true = pressed/on), or null without a working input line. */
  input: boolean | null;
}

export interface GpioLines {
  pins: PinFactory;
  led: ResolvedPin | null;
  input: ResolvedPin | null;
}

/**
 * Loads the pin factory, checks access and resolves the configured BCM pins to sysfs numbers.
 * Returns why GPIO cannot be used instead of throwing. Shared by the service and `picamd gpio-test`.
 */
export async function prepareGpio(
  config: GpioConfig,
  loadPins: () => Promise<PinFactory>,
): Promise<GpioLines | GpioUnavailable> {
  let pins: PinFactory;
  try {
    pins = await loadPins();
  } catch (err) {
    return {
      cause: `the onoff GPIO module could not be loaded (${errorText(err)})`,
      fix: 'reinstall picamd on the Pi so its native epoll addon is built for this Node.js, or set gpio.enabled to false',
    };
  }
  const unavailable = pins.probe();
  if (unavailable) return unavailable;
  if (config.led && config.privacy && config.led.pin === config.privacy.pin) {
    return {
      cause: `gpio.led.pin and gpio.privacy.pin are both BCM ${config.led.pin}`,
      fix: 'give the LED and the privacy input different pins',
    };
  }
  const wanted = [config.led?.pin, config.privacy?.pin].filter((p): p is number => p !== undefined);
  try {
    const resolved = await resolveBcmPins(config.sysfsRoot, wanted);
    const find = (bcm: number | undefined) => resolved.find((r) => r.bcm === bcm) ?? null;
    return { pins, led: find(config.led?.pin), input: find(config.privacy?.pin) };
  } catch (err) {
    return { cause: errorText(err), fix: 'check that this is a Raspberry Pi running a Raspberry Pi OS kernel' };
  }
}

export function isUnavailable(x: GpioLines | GpioUnavailable): x is GpioUnavailable {
  return 'cause' in x;
}

/** Why opening one line failed, in words a person can act on. */
export function describeOpenError(err: unknown, pin: ResolvedPin): string {
  const where = `BCM ${pin.bcm} (sysfs ${pin.sysfs} on ${pin.chip.name} "${pin.chip.label}")`;
  switch (errorCode(err)) {
    case 'EBUSY':
      return `${where} is in use by a kernel driver or another program; free it (dtoverlay lines in ` +
        `config.txt, other GPIO software) or pick another pin`;
    case 'EINVAL':
      return `the kernel rejected ${where}: ${errorText(err)}`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied on ${where}; ${groupFix()}`;
    default:
      return `${where}: ${errorText(err)}`;
  }
}

export function describePin(pin: ResolvedPin): string {
  return `BCM ${pin.bcm} (sysfs ${pin.sysfs}, ${pin.chip.name} "${pin.chip.label}")`;
}

export class GpioService {
  private ledPin: OutputPin | null = null;
  private led: LedDriver | null = null;
  private inputPin: InputPin | null = null;
  private input: DebouncedInput | null = null;
  private camera: CameraState = 'stopped';
  private setupError = false;
  private available = false;
  private started = false;
  private readonly timers: ClockTimers;
  private readonly log: Logger;
  private readonly onPrivacyChange = () => this.updateLed();
  private config: GpioConfig;

  constructor(private readonly deps: GpioServiceDeps) {
    this.timers = deps.timers ?? realTimers;
    this.log = deps.logger;
    this.config = deps.config;
  }

  /** The LED follows the camera; new pins or polarity from the settings re-open the lines. */
  follow(events: DeviceEvents): () => void {
    const offCamera = events.on('camera', (state) => this.setCameraState(state));
    const offSettings = events.on('settings', (next, previous) => {
      if (deepEqual(previous.gpio, next.gpio)) return;
      this.reconfigure(next.gpio).catch((err: unknown) => this.log.error(`re-opening the GPIO lines failed: ${errorText(err)}`));
    });
    return () => {
      offCamera();
      offSettings();
    };
  }

  /** New pins or polarity from the settings: the lines are released and opened again. */
  async reconfigure(config: GpioConfig): Promise<void> {
    this.stop();
    this.config = config;
    await this.start();
    this.updateLed();
  }

  get status(): GpioStatus {
    return { available: this.available, led: this.led ? this.led.currentMode : null, input: this.input?.level ?? null };
  }

  /** Opens the lines and starts the LED and input. Never throws: problems are logged once. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { config } = this;
    if (!config.enabled) {
      this.log.info('disabled (gpio.enabled is false)');
      return;
    }
    if (!config.led && !config.privacy) {
      this.log.info('no LED and no privacy input configured');
      return;
    }
    const lines = await prepareGpio(config, this.deps.loadPins);
    if (!this.started) return; // stopped while preparing
    if (isUnavailable(lines)) {
      this.log.warn(`unavailable: ${lines.cause}. Fix: ${lines.fix}. Streaming carries on without the ` +
        `status LED and the privacy ${config.privacy?.mode ?? 'input'}.`);
      return;
    }
    this.available = true;
    if (config.led && lines.led) this.openLed(lines.pins, lines.led, config.led.activeLow);
    if (config.privacy && lines.input) this.openInput(lines.pins, lines.input, config.privacy);
    this.deps.privacy.on('change', this.onPrivacyChange);
  }

  /** The camera supervisor's state, for the LED. */
  setCameraState(state: CameraState): void {
    this.camera = state;
    this.updateLed();
  }

  /**
   * Whether picamd-setup.txt failed to apply at this boot (picamd-setup.service leaves a marker,
   * see src/setup/marker.ts): the LED then shows the setup-error pattern.
   */
  setSetupError(failed: boolean): void {
    this.setupError = failed;
    this.updateLed();
  }

  /** Turns the LED off and unexports every line. Safe to call twice. */
  stop(): void {
    if (!this.started) return;
    this.started = false;
    this.deps.privacy.off('change', this.onPrivacyChange);
    this.closeInput();
    if (this.led) {
      this.led.stop();
      this.led = null;
      try {
        this.ledPin?.write(false);
      } catch {
        // Releasing matters more than the last write.
      }
    }
    this.closeLed();
  }

  private openLed(pins: PinFactory, pin: ResolvedPin, activeLow: boolean): void {
    try {
      this.ledPin = pins.openOutput(pin.sysfs, activeLow);
    } catch (err) {
      this.log.warn(`status LED disabled: ${describeOpenError(err, pin)}`);
      return;
    }
    this.led = new LedDriver((on) => this.writeLed(on, pin), this.timers);
    this.log.info(`status LED on ${describePin(pin)}${activeLow ? ', active low' : ''}`);
    this.updateLed();
  }

  private writeLed(on: boolean, pin: ResolvedPin): void {
    try {
      this.ledPin?.write(on);
    } catch (err) {
      // One warning, then the line is gone; the stream does not care about the LED.
      this.log.warn(`status LED disabled after a failed write to ${describePin(pin)}: ${errorText(err)}`);
      this.led?.stop();
      this.led = null;
      this.closeLed();
    }
  }

  private openInput(pins: PinFactory, pin: ResolvedPin, config: NonNullable<GpioConfig['privacy']>): void {
    const { mode } = config;
    try {
      this.inputPin = pins.openInput(pin.sysfs, config.activeLow, 'both');
    } catch (err) {
      this.log.warn(`privacy ${mode} disabled: ${describeOpenError(err, pin)}`);
      return;
    }
    this.input = new DebouncedInput(
      this.inputPin,
      config.debounceMs,
      this.timers,
      (active) => this.onInput(mode, active),
      (err) => {
        this.log.warn(`privacy ${mode} disabled after a failed read of ${describePin(pin)}: ${errorText(err)}`);
        this.input = null;
        this.closeInput();
        if (mode === 'switch') this.deps.privacy.setSwitch(null);
      },
    );
    let initial: boolean;
    try {
      initial = this.input.start();
    } catch (err) {
      this.log.warn(`privacy ${mode} disabled: cannot read ${describePin(pin)}: ${errorText(err)}`);
      this.input = null;
      this.closeInput();
      return;
    }
    this.log.info(`privacy ${mode} on ${describePin(pin)}${config.activeLow ? ', active low' : ''}, ` +
      `debounce ${config.debounceMs} ms, reads ${initial ? 'on' : 'off'}`);
    if (mode === 'switch') {
      this.deps.privacy.setSwitch(initial);
    } else if (initial) {
      // sysfs cannot set pull-ups; an unpulled active-low input usually reads as pressed.
      this.log.warn(`the privacy button reads as pressed at start; if nobody is pressing it the input is ` +
        `floating: add "gpio=${pin.bcm}=ip,pu" to /boot/firmware/config.txt and reboot (see docs/gpio.md)`);
    }
  }

  private onInput(mode: 'button' | 'switch', active: boolean): void {
    const action = inputAction(mode, active);
    if (!action) return;
    try {
      if (action.kind === 'toggle') {
        this.log.debug('privacy button pressed');
        this.deps.privacy.toggle('button');
      } else {
        this.log.debug(`privacy switch ${action.active ? 'on' : 'off'}`);
        this.deps.privacy.setSwitch(action.active);
      }
    } catch (err) {
      this.log.error(`privacy ${mode}: ${errorText(err)}`);
    }
  }

  private updateLed(): void {
    this.led?.setMode(ledModeFor(this.camera, this.deps.privacy.enabled, this.setupError));
  }

  private closeLed(): void {
    const pin = this.ledPin;
    this.ledPin = null;
    try {
      pin?.release();
    } catch (err) {
      this.log.debug(`releasing the LED line: ${errorText(err)}`);
    }
  }

  private closeInput(): void {
    this.input?.stop();
    this.input = null;
    const pin = this.inputPin;
    this.inputPin = null;
    try {
      pin?.release();
    } catch (err) {
      this.log.debug(`releasing the privacy input line: ${errorText(err)}`);
    }
  }
}
