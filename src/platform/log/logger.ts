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
  /** Changes the level of this logger and every logger made from the same root. */
  setLevel(level: LogLevel): void;
}

export type LogSink = (level: LogLevel, line: string) => void;

/** Writes info and debug to stdout, warnings and errors to stderr. */
export const consoleSink: LogSink = (level, line) => {
  (level === 'warn' || level === 'error' ? process.stderr : process.stdout).write(`${line}\n`);
};

export function createLogger(level: LogLevel = 'info', sink: LogSink = consoleSink, prefix = ''): Logger {
  return withPrefix({ min: rank[level] }, sink, prefix);
}

/** Loggers made from one root share `shared`, so a level change reaches them all. */
function withPrefix(shared: { min: number }, sink: LogSink, prefix: string): Logger {
  const emit = (at: LogLevel, message: string) => {
    if (rank[at] < shared.min) return;
    sink(at, prefix ? `${prefix}: ${message}` : message);
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
    child: (p) => withPrefix(shared, sink, prefix ? `${prefix}: ${p}` : p),
    setLevel: (next) => {
      shared.min = rank[next];
    },
  };
}
