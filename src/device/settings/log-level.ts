import type { Logger } from '../../platform/log/logger.js';
import type { DeviceEvents } from '../events.js';

/** The log level is a setting the page changes live. */
export function followLogLevel(logger: Logger, events: DeviceEvents): () => void {
  return events.on('settings', (next) => logger.setLevel(next.log.level));
}
