import { openSync, closeSync, constants } from 'node:fs';
import { userInfo } from 'node:os';
import type { Gpio as OnoffGpio, Direction, Edge } from 'onoff';
import { errorCode, errorText } from '../../platform/errors.js';

// The narrow pin interface the rest of picamd uses, and its onoff implementation. Levels are
// logical booleans (true = LED on / button pressed / switch on): activeLow is applied by the kernel
// through the line's sysfs `active_low` file, so nobody above this file inverts anything.

export type { Edge } from 'onoff';

export interface OutputPin {
  write(on: boolean): void;
  /** Unexports the line. Safe to call twice. */
  release(): void;
}

export interface InputPin {
  read(): boolean;
  /** Called on every edge with the level read after it. */
  watch(callback: (active: boolean, err?: Error) => void): void;
  /** Stops watching and unexports the line. Safe to call twice. */
  release(): void;
}

/** Why GPIO cannot be used, and what a person can do about it. */
export interface GpioUnavailable {
  cause: string;
  fix: string;
}

export interface PinFactory {
  /** null when GPIO can be used, else why not. */
  probe(): GpioUnavailable | null;
  /** Takes the kernel's sysfs GPIO number (see sysfs.ts), not the BCM number. The line starts off. */
  openOutput(sysfsNumber: number, activeLow: boolean): OutputPin;
  openInput(sysfsNumber: number, activeLow: boolean, edge: Edge): InputPin;
}

/** onoff hard-codes this path (onoff.js GPIO_ROOT_PATH); `gpio.sysfsRoot` only moves the resolver. */
export const ONOFF_SYSFS_ROOT = '/sys/class/gpio';

type GpioClass = {
  new (gpio: number, direction: Direction, edge?: Edge, options?: { activeLow?: boolean }): OnoffGpio;
  readonly accessible: boolean;
};

export function groupFix(): string {
  let user = 'the service user';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): keep the generic wording.
  }
  return `add ${user} to the gpio group (sudo usermod -aG gpio ${user}) and restart picamd, ` +
    `or set gpio.enabled to false to silence this`;
}

/** Names the cause of `Gpio.accessible === false`, which onoff itself reduces to a boolean. */
export function diagnoseSysfsAccess(
  root = ONOFF_SYSFS_ROOT,
  openForWrite: (path: string) => number = (path) => openSync(path, constants.O_WRONLY),
): GpioUnavailable | null {
  let fd: number | undefined;
  try {
    fd = openForWrite(`${root}/export`);
    return null;
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT') {
      return {
        cause: `${root} does not exist: not a Raspberry Pi, or a kernel without the GPIO sysfs interface`,
        fix: 'run picamd on a Raspberry Pi with Raspberry Pi OS, or set gpio.enabled to false',
      };
    }
    if (code === 'EACCES' || code === 'EPERM') {
      return { cause: `permission denied writing ${root}/export`, fix: groupFix() };
    }
    return { cause: `cannot open ${root}/export (${errorText(err)})`, fix: groupFix() };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The onoff-backed factory. `Gpio` is a parameter so the adapter can be tested without hardware.
 * onoff exports a line itself when it is not exported yet, waits for udev to grant the gpio group
 * access, and unexports only when asked (release()).
 */
export function createOnoffPinFactory(Gpio: GpioClass): PinFactory {
  return {
    probe() {
      if (Gpio.accessible) return null;
      return diagnoseSysfsAccess() ?? { cause: `onoff reports ${ONOFF_SYSFS_ROOT} as not accessible`, fix: groupFix() };
    },

    openOutput(sysfsNumber, activeLow) {
      // sysfs "high"/"low" set the raw level as the line becomes an output, so the LED never
      // flashes on while the pin is set up: raw high is off for an active-low LED.
      const gpio = new Gpio(sysfsNumber, activeLow ? 'high' : 'low', undefined, { activeLow });
      let released = false;
      return {
        write: (on) => gpio.writeSync(on ? 1 : 0),
        release: () => {
          if (released) return;
          released = true;
          gpio.unexport();
        },
      };
    },

    openInput(sysfsNumber, activeLow, edge) {
      const gpio = new Gpio(sysfsNumber, 'in', edge, { activeLow });
      let released = false;
      return {
        read: () => gpio.readSync() === 1,
        watch: (callback) => gpio.watch((err, value) => callback(value === 1, err ?? undefined)),
        release: () => {
          if (released) return;
          released = true;
          gpio.unexport(); // also unwatches and closes the value file
        },
      };
    },
  };
}

/**
 * Loads onoff (and its native epoll addon) only when GPIO is wanted, so a missing or broken build
 * becomes a warning instead of a crash at import time.
 */
export async function loadOnoffPinFactory(): Promise<PinFactory> {
  const onoff = await import('onoff');
  const Gpio = (onoff.Gpio ?? (onoff as unknown as { default: { Gpio: GpioClass } }).default.Gpio) as GpioClass;
  return createOnoffPinFactory(Gpio);
}
