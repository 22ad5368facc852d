import type { Edge, GpioUnavailable, InputPin, OutputPin, PinFactory } from '../../src/integrations/gpio/pins.js';
import type { ClockTimers } from '../../src/platform/clock.js';

/** ClockTimers on the globals, with the clock on Date.now so node:test mock.timers ({ apis: [..., 'Date'] }) moves it. */
export const mockableTimers: ClockTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

export class FakeOutputPin implements OutputPin {
  /** Every level written, in order. */
  readonly writes: boolean[] = [];
  level = false;
  released = 0;
  /** When set, write() throws it. */
  writeError: Error | null = null;

  constructor(
    readonly sysfsNumber: number,
    readonly activeLow: boolean,
  ) {}

  write(on: boolean): void {
    if (this.released) throw new Error(`write to released fake pin ${this.sysfsNumber}`);
    if (this.writeError) throw this.writeError;
    this.writes.push(on);
    this.level = on;
  }

  release(): void {
    this.released++;
  }
}

export class FakeInputPin implements InputPin {
  private watchers: Array<(active: boolean, err?: Error) => void> = [];
  released = 0;
  /** When set, read() throws it. */
  readError: Error | null = null;

  constructor(
    readonly sysfsNumber: number,
    readonly activeLow: boolean,
    readonly edge: Edge,
    public level: boolean,
  ) {}

  get watching(): number {
    return this.watchers.length;
  }

  read(): boolean {
    if (this.readError) throw this.readError;
    return this.level;
  }

  watch(callback: (active: boolean, err?: Error) => void): void {
    this.watchers.push(callback);
  }

  /** The wire changes: the level moves and watchers see an edge, as onoff reports it. */
  set(level: boolean): void {
    this.level = level;
    if (this.released) return;
    for (const w of this.watchers) w(level);
  }

  /** An interrupt whose callback reports an error (onoff passes err to watchers). */
  fail(err: Error): void {
    for (const w of this.watchers) w(this.level, err);
  }

  release(): void {
    this.released++;
    this.watchers = [];
  }
}

/** A PinFactory with no hardware: records what was opened; open failures and unavailability on demand. */
export class FakePinFactory implements PinFactory {
  readonly outputs = new Map<number, FakeOutputPin>();
  readonly inputs = new Map<number, FakeInputPin>();
  /** Level an input reads when opened, by sysfs number (default false). */
  readonly initialLevels = new Map<number, boolean>();
  /** open*() of these sysfs numbers throws the error. */
  readonly openErrors = new Map<number, Error>();
  unavailable: GpioUnavailable | null = null;

  probe(): GpioUnavailable | null {
    return this.unavailable;
  }

  openOutput(sysfsNumber: number, activeLow: boolean): OutputPin {
    const err = this.openErrors.get(sysfsNumber);
    if (err) throw err;
    const pin = new FakeOutputPin(sysfsNumber, activeLow);
    this.outputs.set(sysfsNumber, pin);
    return pin;
  }

  openInput(sysfsNumber: number, activeLow: boolean, edge: Edge): InputPin {
    const err = this.openErrors.get(sysfsNumber);
    if (err) throw err;
    const pin = new FakeInputPin(sysfsNumber, activeLow, edge, this.initialLevels.get(sysfsNumber) ?? false);
    this.inputs.set(sysfsNumber, pin);
    return pin;
  }
}

export function errnoError(code: string, message: string): Error {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

/**
 * Advances node:test mock timers 1 ms at a time. Node 20's tick(ms) moves Date.now() to the end
 * before it runs the due callbacks, so code that reads the clock inside a timer needs small steps.
 */
export function tickMs(timers: { tick(ms: number): void }, ms: number): void {
  for (let i = 0; i < ms; i++) timers.tick(1);
}
