// The device's clock as the page shows it: the time now (the status document's, moved on by the
// time since it came), and whether it is clearly wrong. Pure: the browser's clock comes in as a
// parameter, so the rules are tested under Node.

import type { DeviceStatus } from './view.js';
import type { MessageKey, Params } from './i18n/translate.js';

export type DeviceClock = NonNullable<DeviceStatus['time']>;

/** Further apart than this from the browser's clock, the device's is wrong (or the browser's is). */
export const CLOCK_TOLERANCE_MS = 5 * 60_000;

/** The device's time at `nowMs` on the browser's clock, from a document received at `receivedAtMs`. */
export function deviceNowMs(time: DeviceClock, receivedAtMs: number, nowMs: number): number | undefined {
  const then = Date.parse(time.now);
  return Number.isNaN(then) ? undefined : then + Math.max(0, nowMs - receivedAtMs);
}

export interface ClockWarning {
  key: MessageKey;
  params: Params;
}

/**
 * What is wrong with the device's clock, the plainest first: before the firmware was made (a Pi
 * without network time runs from its last shutdown, or 1970), then far from this browser's clock,
 * then not synchronized yet. `format` turns a time into words; undefined: nothing to say.
 */
export function clockWarning(
  time: DeviceClock,
  deviceMs: number,
  browserMs: number,
  formatTime: (ms: number) => string,
  formatDifference: (seconds: number) => string,
): ClockWarning | undefined {
  const firmware = Date.parse(time.firmwareDate ?? '');
  // A day's grace: a release built late in the evening in one zone is "tomorrow" in another.
  if (!Number.isNaN(firmware) && deviceMs < firmware - 86_400_000) {
    return { key: 'time.warn.beforeBuild', params: { time: formatTime(deviceMs) } };
  }
  const difference = deviceMs - browserMs;
  if (Math.abs(difference) > CLOCK_TOLERANCE_MS) {
    return { key: 'time.warn.differs', params: { difference: formatDifference(Math.abs(difference) / 1000) } };
  }
  if (time.synchronized === false) return { key: 'time.warn.unsynchronized', params: {} };
  return undefined;
}
