import { createLogger, type Logger } from '../../src/platform/log/logger.js';

/** A logger that keeps its lines (`"<level> <prefix>: message"`) for assertions. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger('debug', (at, line) => lines.push(`${at} ${line}`));
  return Object.assign(logger, { lines });
}
