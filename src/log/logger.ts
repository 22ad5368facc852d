// Plain lines on stdout/stderr: under systemd, journald stores them with its own timestamps.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** A logger whose lines start with `prefix: `. */
  child(prefix: string): Logger;
}

export type LogSink = (level: LogLevel, line: string) => void;

/** Writes info and debug to stdout, warnings and errors to stderr. */
export const consoleSink: LogSink = (level, line) => {
  (level === 'warn' || level === 'error' ? process.stderr : process.stdout).write(`${line}\n`);
};

export function createLogger(level: LogLevel = 'info', sink: LogSink = consoleSink, prefix = ''): Logger {
  const min = rank[level];
  const emit = (at: LogLevel, message: string) => {
    if (rank[at] < min) return;
    sink(at, prefix ? `${prefix}: ${message}` : message);
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
    child: (p) => createLogger(level, sink, prefix ? `${prefix}: ${p}` : p),
  };
}
