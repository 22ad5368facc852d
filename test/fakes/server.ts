import { configSchema, type ServerConfig } from '../../src/device/settings/schema.js';
import type { MjpegViewer } from '../../src/web/streaming/mjpeg-route.js';
import { HttpServer, type HttpDeps } from '../../src/web/server/server.js';
import { Broadcaster } from '../../src/media/broadcaster.js';
import { memoryLogger } from './logger.js';

export interface TestServer {
  server: HttpServer;
  broadcaster: Broadcaster<MjpegViewer>;
  logger: ReturnType<typeof memoryLogger>;
  config: ServerConfig;
  port: number;
  /** Stops the server; safe twice. */
  stop(): void;
}

/**
 * A real HttpServer on 127.0.0.1 and an ephemeral port: `server` overrides config.server's keys,
 * `deps` the defaults (no frame, an empty status, a memory logger). Call stop() in t.after/after.
 */
export async function startServer(options: { server?: Record<string, unknown>; deps?: Partial<HttpDeps> } = {}): Promise<TestServer> {
  const config = configSchema.parse({ server: { host: '127.0.0.1', port: 0, ...options.server } }).server;
  const now = () => performance.now();
  const logger = memoryLogger();
  const broadcaster = (options.deps?.broadcaster as Broadcaster<MjpegViewer> | undefined) ?? new Broadcaster<MjpegViewer>(now, config.maxViewers);
  const server = new HttpServer(config, {
    status: () => ({}),
    snapshot: () => ({ error: 'no-frame', message: 'none' }),
    logger,
    now,
    ...options.deps,
    broadcaster,
  });
  const port = await server.start();
  return { server, broadcaster, logger: (options.deps?.logger as typeof logger | undefined) ?? logger, config, port, stop: () => server.stop() };
}
