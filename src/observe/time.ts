import type { DeviceTime } from '../platform/time/device-time.js';

// The status document's `time`: the device's clock, its time zone, whether it is synchronized, and
// the firmware's date. A Pi has no clock battery: until a time server answers, it runs from the
// time of its last shutdown (fake-hwclock) or from 1970, and the page warns when `now` is before
// `firmwareDate` or far from the browser's clock.

export interface TimeStatus {
  /** ISO 8601, UTC. */
  now: string;
  timeZone: string;
  synchronized: boolean | null;
  /** When this firmware was built (ISO 8601): a clock before it is wrong. */
  firmwareDate: string | null;
}

export function timeStatus(time: DeviceTime, nowMs: number, firmwareDate: Date | undefined): TimeStatus {
  const { timeZone, synchronized } = time.state();
  return { now: new Date(nowMs).toISOString(), timeZone, synchronized, firmwareDate: firmwareDate ? firmwareDate.toISOString() : null };
}
