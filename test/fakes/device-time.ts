import type { DeviceTime, SetZoneResult, TimeState } from '../../src/platform/time/device-time.js';

/**
 * The device's time settings in memory, answering as SystemTime does (test/platform/time checks
 * that against a real file tree and a stand-in timedatectl): `refuse` makes the next changes fail
 * as polkit's refusal or a missing bus would.
 */
export class FakeDeviceTime implements DeviceTime {
  refuse: SetZoneResult | undefined;
  readonly asked: string[] = [];

  constructor(
    private current: TimeState = { timeZone: 'Europe/Berlin', synchronized: true },
    private readonly known: string[] = ['Asia/Shanghai', 'Europe/Berlin', 'UTC'],
  ) {}

  state(): TimeState {
    return { ...this.current };
  }
  zones(): string[] {
    return [...this.known];
  }
  isZone(name: string): boolean {
    return this.known.includes(name);
  }
  async setTimeZone(name: string): Promise<SetZoneResult> {
    this.asked.push(name);
    if (this.refuse) return this.refuse;
    this.current = { ...this.current, timeZone: name };
    return { ok: true };
  }
}
