import type { Logger } from '../platform/log/logger.js';

// The process-wide events picamd answers: a termination signal ends it cleanly (a second one at
// once), and whatever else ends it (exit, an uncaught error) first runs the last-resort cleanup
// that must never be skipped: the camera process killed, the GPIO lines released.

/** The part of `process` used here, so tests drive it with an EventEmitter. */
export interface ProcessEvents {
  on(event: 'SIGTERM' | 'SIGINT', listener: (signal: NodeJS.Signals) => void): unknown;
  on(event: 'exit', listener: () => void): unknown;
  on(event: 'uncaughtException' | 'unhandledRejection', listener: (err: unknown) => void): unknown;
}

export interface ProcessEventDeps {
  proc: ProcessEvents;
  logger: Logger;
  exit: (code: number) => void;
  /** Synchronous and idempotent: it may run more than once (an error, then exit). */
  lastResort: () => void;
}

/**
 * Installs the handlers. Resolves with the first SIGTERM or SIGINT; a second one exits at once with
 * code 1. An uncaught error or unhandled rejection is logged, the last resort runs and picamd exits 1
 * (systemd restarts it); `exit` runs the last resort whatever the reason.
 */
export function handleProcessEvents(deps: ProcessEventDeps): Promise<NodeJS.Signals> {
  const { proc, logger, exit, lastResort } = deps;
  proc.on('exit', () => lastResort());
  const fatal = (what: string) => (err: unknown) => {
    logger.error(`${what}, exiting: ${(err as Error)?.stack ?? err}`);
    lastResort();
    exit(1);
  };
  proc.on('uncaughtException', fatal('uncaught error'));
  proc.on('unhandledRejection', fatal('unhandled rejection'));
  return new Promise((resolve) => {
    let received = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (received) {
        logger.warn(`${signal} again, exiting now`);
        exit(1);
        return;
      }
      received = true;
      resolve(signal);
    };
    proc.on('SIGTERM', onSignal);
    proc.on('SIGINT', onSignal);
  });
}
