import { RtspLogin, type RtspLoginDeps } from './login.js';
import { RtspServer, type RtspServerDeps } from './server.js';

// What lazy.ts loads when rtsp.port is not 0: the server with its login.

export type RtspServiceDeps = Omit<RtspServerDeps, 'login'> & { login: Omit<RtspLoginDeps, 'logger' | 'now'> };

export function createRtspServer(deps: RtspServiceDeps): RtspServer {
  const login = new RtspLogin({ ...deps.login, logger: deps.logger, now: deps.now });
  return new RtspServer({ ...deps, login });
}
