import type { DeviceEvents } from '../../device/events.js';
import type { RtspConfig } from '../../device/settings/rtsp-schema.js';
import { errorText } from '../../platform/errors.js';
import type { RtspStatus, RtspServer } from './server.js';
import type { RtspServiceDeps } from './service.js';

type ServiceModule = { createRtspServer: (deps: RtspServiceDeps) => RtspServer };

export type LazyRtspStatus = RtspStatus | { port: 0; state: 'off' | 'error'; message: string };

/**
 * The RTSP server, loaded only when rtsp.port is not 0: with it off, none of its code is imported.
 * The port is taken at start (a change applies at the next start). A server that cannot listen (the
 * port taken, or privileged without the capability) is logged and left off: the camera and its page
 * carry on.
 */
export class LazyRtsp {
  private server: RtspServer | undefined;
  private events: DeviceEvents | undefined;
  private unfollow: (() => void) | undefined;
  private problem: string | undefined;
  private running = false;

  constructor(
    private readonly config: RtspConfig,
    private readonly deps: Omit<RtspServiceDeps, 'port'>,
    private readonly load: () => Promise<ServiceModule> = () => import('./service.js'),
  ) {}

  /** True once the server's module was loaded (tests). */
  get loaded(): boolean {
    return this.server !== undefined;
  }

  status(): LazyRtspStatus {
    if (this.server && this.running) return this.server.status();
    if (this.problem) return { port: 0, state: 'error', message: this.problem };
    return { port: 0, state: 'off', message: this.config.port === 0 ? 'RTSP is off (rtsp.port 0)' : 'not started' };
  }

  follow(events: DeviceEvents): () => void {
    this.events = events;
    if (this.server) this.unfollow = this.server.follow(events);
    return () => {
      this.events = undefined;
      this.unfollow?.();
      this.unfollow = undefined;
    };
  }

  async start(): Promise<void> {
    if (this.config.port === 0 || this.running) return;
    try {
      const { createRtspServer } = await this.load();
      this.server ??= createRtspServer({ ...this.deps, port: this.config.port });
      if (this.events && !this.unfollow) this.unfollow = this.server.follow(this.events);
      await this.server.start();
      this.running = true;
      this.problem = undefined;
    } catch (err) {
      this.problem = `RTSP is off: cannot listen on port ${this.config.port} (${errorText(err)})`;
      this.deps.logger.error(this.problem);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.server?.stop();
  }
}
