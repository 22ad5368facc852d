import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';

export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
export const mainJs = join(projectRoot, 'dist/main.js');
export const simCamera = [process.execPath, join(projectRoot, 'dist/sim/camera.js')];

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RunningApp {
  proc: ChildProcess;
  port: number;
  dir: string;
  configFile: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * A config for the real app: the simulated camera at 320x240, temp state files, no GPIO. Without
 * users the device is set up for open viewing (so tests of streaming need no first run); with
 * `server.auth` it has those users; `firstRun: true` leaves it unclaimed.
 */
export function appConfig(
  port: number,
  dir: string,
  over: { server?: { auth?: unknown } & Record<string, unknown>; camera?: object; privacy?: object; rtsp?: { port: number }; firstRun?: boolean } = {},
) {
  return {
    server: { host: '127.0.0.1', port, maxViewers: 16, openViewing: !over.server?.auth && !over.firstRun, ...over.server },
    camera: { command: simCamera, width: 320, height: 240, framerate: 30, ...over.camera },
    gpio: { enabled: false },
    privacy: { stateFile: join(dir, 'state', 'privacy.json'), ...over.privacy },
    settings: { file: join(dir, 'state', 'settings.json') },
    // Off unless a test asks for it: picamd's default, 554, is one port for every test at once.
    rtsp: { port: 0, ...over.rtsp },
  };
}

export interface StartOptions {
  dir?: string;
  port?: number;
  ready?: boolean;
  /** Added to the environment picamd (and so its camera) inherits, e.g. PICAMD_SIM_FAULT. */
  env?: Record<string, string>;
  /** Turns picamd's argv into another that execs it (same pid), e.g. under `bash -c 'ulimit -n ...; exec "$@"'`. */
  wrap?: (argv: string[]) => string[];
}

/** Starts `node dist/main.js` with a config file; resolves once /healthz answers. */
export async function startApp(config?: object, options: StartOptions = {}): Promise<RunningApp> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'picamd-app-'));
  const port = options.port ?? (await freePort());
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config ?? appConfig(port, dir), null, 2));
  // node's flags as the systemd unit and `npm run demo` start picamd (the frame reclaimer's gc, the young generation's cap).
  const argv = [process.execPath, '--expose-gc', '--max-semi-space-size=1', mainJs, '--config', configFile];
  const [command, ...args] = options.wrap ? options.wrap(argv) : argv;
  const proc = spawn(command!, args, {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ? { ...process.env, ...options.env } : process.env,
  });
  let output = '';
  proc.stdout!.on('data', (d) => (output += d));
  proc.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const app: RunningApp = {
    proc,
    port,
    dir,
    configFile,
    output: () => output,
    exited,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
  if (options.ready !== false) {
    let gone = false;
    void exited.then(() => (gone = true));
    await waitFor(`picamd on port ${port}`, async () => {
      if (gone) throw new Error(`picamd exited early:\n${output}`);
      try {
        return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
      } catch {
        return false;
      }
    }, 15_000, 50);
  }
  return app;
}

export async function status(port: number): Promise<any> {
  return (await fetch(`http://127.0.0.1:${port}/api/status`)).json();
}
