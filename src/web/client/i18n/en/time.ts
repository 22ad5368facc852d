// The device's clock: the status card's line and warning, the Date and time card, the picture's clock.
import type { Area } from '../table.js';

export const time = {
  'time.deviceTime': 'Device time',
  'time.heading': 'Date and time',
  'time.now': '{time} ({zone})',
  'time.zone': 'Time zone',
  'time.zoneHint': 'Times on this page and in the log use it. The clock itself comes from a time server on the network.',
  'time.zoneSet': 'Set time zone',
  'time.zoneSaving': 'Setting the time zone…',
  'time.zoneSaved': 'Time zone set to {zone}.',
  'time.zoneFailed': 'Not changed: {message}',
  'time.zoneUnknown': 'The device does not know the time zone "{zone}".',
  'time.zoneNotAllowed': "The device's time service refused the change.",
  'time.sync.yes': 'Synchronized with a network time server.',
  'time.sync.no': 'Not synchronized with a network time server yet.',
  'time.sync.unknown': 'Whether the clock is synchronized is not known.',
  'time.warn.beforeBuild': "The device's clock is wrong: {time} is before this firmware was made. It sets itself once it reaches a time server on the network.",
  'time.warn.differs': "The device's clock is {difference} off this computer's. It sets itself once it reaches a time server on the network.",
  'time.warn.unsynchronized': "The device's clock is not synchronized yet: times may be wrong until it reaches a time server on the network.",
  'time.overlay': 'Clock',
  'time.overlayTitle': "Show the device's date and time over the picture (drawn by this page, not in the stream)",
} satisfies Area<'time'>;
