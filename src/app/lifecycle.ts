import type { Logger } from '../platform/log/logger.js';
import { errorText } from '../platform/errors.js';

// Starting services in order and stopping them in reverse, with each stop isolated: a service whose
// stop throws is logged and the rest are still stopped, so the camera process always ends and the
// privacy state is always flushed.

export interface Service {
  /** For log lines: `stopping camera failed: …`. */
  name: string;
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
}

export class Lifecycle {
  private readonly started: Service[] = [];
  private stopping: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  /**
   * Starts each service in turn; rejects with the first failure. What was started, the failed one
   * included (it may have started half), stays for stop().
   */
  async start(services: ReadonlyArray<Service>): Promise<void> {
    for (const service of services) {
      this.started.push(service);
      try {
        await service.start();
      } catch (err) {
        throw new Error(`${service.name}: ${errorText(err)}`);
      }
    }
  }

  /** Stops what was started, newest first; every stop runs whatever the others do. Safe twice. */
  stop(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    for (const service of this.started.reverse()) {
      try {
        await service.stop();
      } catch (err) {
        this.logger.error(`stopping ${service.name} failed: ${(err as Error)?.stack ?? err}`);
      }
    }
  }
}
