#!/usr/bin/env node
// picamd's composition root: config → logger → privacy → GPIO → camera supervisor → broadcaster →
// HTTP, started in that order and stopped in reverse. The only module that constructs long-lived services or exits.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findExecutable } from './camera/executable.js';
import { CameraSupervisor } from './camera/supervisor.js';
import { parseCli, UsageError, USAGE, type CliOptions } from './cli/args.js';
import { runHashPassword } from './cli/hash-password.js';
import { ConfigError, EX_CONFIG, loadConfig, resolveConfigPath } from './config/load.js';
import type { Config } from './config/schema.js';
import { runGpioTest } from './gpio/gpio-test.js';
import { GpioService } from './gpio/gpio.js';
import { loadOnoffPinFactory } from './gpio/pins.js';
import { privacyRoutes } from './http/privacy-route.js';
import { EventHub } from './http/events.js';
import { loadWebAssets, staticRoutes } from './http/static.js';
import { HttpServer, type SnapshotResult } from './http/server.js';
import { checkTlsFiles } from './http/tls.js';
import { buildStatus } from './http/status.js';
import type { MjpegViewer } from './http/mjpeg-viewer.js';
import { createLogger, type Logger } from './log/logger.js';
import { PrivacyController } from './privacy/controller.js';
import { PrivacyStore } from './privacy/store.js';
import { SystemdNotifier } from './systemd/notify.js';
import { Broadcaster } from './stream/broadcaster.js';
import { PlaceholderFeed, placeholderFor } from './stream/feed.js';
import { PlaceholderCache } from './stream/placeholder.js';
import { RateMeter } from './stream/rate.js';
import { exposeGc, FrameMemoryReclaimer } from './runtime/reclaim.js';

const EX_USAGE = 64;
const packageRoot = fileURLToPath(new URL('..', import.meta.url));

function readVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Resolves on the first SIGTERM or SIGINT; a second one exits at once. */
function terminationSignal(logger: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (received) {
        logger.warn(`${signal} again, exiting now`);
        process.exit(1);
      }
      received = true;
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

async function runAppliance(config: Config, logger: Logger): Promise<number> {
  const now = () => performance.now();
  const startedAt = now();
  const version = readVersion();
  const deviceName = config.server.deviceName || hostname();
  const cwd = process.cwd();
  // Under systemd the unit's control group already takes the camera down with picamd; elsewhere
  // the kernel's parent-death signal does it even when picamd is SIGKILLed.
  const underSystemd = Boolean(process.env.INVOCATION_ID);
  const setpriv = underSystemd ? undefined : findExecutable('setpriv', process.env.PATH, cwd);

  const privacy = new PrivacyController({
    store: new PrivacyStore(config.privacy.stateFile),
    startPaused: config.privacy.startPaused,
    logger: logger.child('privacy'),
  });
  const gpio = new GpioService({ config: config.gpio, privacy, loadPins: loadOnoffPinFactory, logger: logger.child('gpio') });

  const camera = new CameraSupervisor(config.camera, {
    spawn,
    now,
    timers: { setTimeout, clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
    logger: logger.child('camera'),
    findExecutable: (command) => findExecutable(command, process.env.PATH, cwd),
    deathSignalPrefix: setpriv ? [setpriv, '--pdeathsig', 'KILL', '--'] : [],
  });
  // Privacy holds the camera paused until privacy.start() has decided the boot state.
  privacy.bindCamera(camera);
  camera.on('state', (state) => gpio.setCameraState(state));
  // Whatever ends picamd, the camera process goes with it, and the GPIO lines are released.
  process.on('exit', () => {
    camera.killNow();
    gpio.stop();
  });
  process.on('uncaughtException', (err) => {
    logger.error(`uncaught error, exiting: ${err.stack ?? err}`);
    camera.killNow();
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    logger.error(`unhandled rejection, exiting: ${(err as Error)?.stack ?? err}`);
    camera.killNow();
    process.exit(1);
  });

  const broadcaster = new Broadcaster<MjpegViewer>(now, config.server.maxViewers);
  const fpsIn = new RateMeter();
  camera.on('frame', (jpeg: Buffer) => {
    fpsIn.mark(now());
    broadcaster.publish(jpeg, true);
  });

  // process.memoryUsage() reads /proc/self/stat and so needs a free file descriptor. A flood of
  // connections can take every one; then the last reading stands instead of an uncaught EMFILE
  // ending picamd from a timer.
  let lastMemory = process.memoryUsage();
  const memoryUsage = () => {
    try {
      lastMemory = process.memoryUsage();
    } catch {
      // Out of descriptors for a moment; see above.
    }
    return lastMemory;
  };
  const reclaimer = new FrameMemoryReclaimer({
    gc: exposeGc(),
    arrayBuffers: () => memoryUsage().arrayBuffers,
    now,
    timers: { setInterval, clearInterval: (h) => clearInterval(h as NodeJS.Timeout) },
  });
  const placeholders = new PlaceholderCache();
  const { width, height } = config.camera;
  const feed = new PlaceholderFeed(
    (jpeg) => broadcaster.publish(jpeg, false),
    (kind, detail) => placeholders.get(kind, width, height, detail),
    { setInterval, clearInterval: (h) => clearInterval(h as NodeJS.Timeout) },
  );
  camera.on('state', (state, detail: string) => {
    // The privacy placeholder says it all; the camera's detail would only repeat it.
    feed.show(placeholderFor(state), state === 'paused' ? '' : detail);
    if (state === 'paused') broadcaster.forgetLive();
  });

  const frameInterval = 1000 / config.camera.framerate;
  const snapshot = (): SnapshotResult => {
    if (privacy.enabled) return { error: 'privacy', message: 'Privacy mode is on: the camera is switched off.' };
    const status = camera.status();
    const part = status.state === 'streaming' ? broadcaster.latestLive(Math.max(2_000, 3 * frameInterval)) : undefined;
    if (part) return { jpeg: part.jpeg };
    return { error: 'no-frame', message: `No current frame: the camera is ${status.state}${status.detail ? ` (${status.detail})` : ''}.` };
  };

  const statusDocument = () =>
    buildStatus({
      deviceName,
      version,
      nowMs: now(),
      memory: memoryUsage(),
      startedAtMs: startedAt,
      camera: camera.status(),
      cameraConfig: config.camera,
      fpsIn: fpsIn.rate(now()),
      framesPublished: broadcaster.framesPublished,
      maxViewers: config.server.maxViewers,
      viewers: broadcaster.list().map((v) => v.stats()),
      privacy: privacy.state,
    });
  const events = new EventHub({
    status: statusDocument,
    logger: logger.child('events'),
    timers: { setInterval, clearInterval: (h) => clearInterval(h as NodeJS.Timeout) },
    now,
  });
  camera.on('state', () => events.publishStatus());
  privacy.on('change', () => events.publishStatus());

  const http = new HttpServer(config.server, {
    broadcaster,
    logger: logger.child('http'),
    now,
    snapshot,
    routes: [privacyRoutes(privacy), events.route, staticRoutes(loadWebAssets())],
    onViewersChanged: () => events.publishStatus(),
    status: statusDocument,
  });

  logger.info(`picamd ${version} starting on ${deviceName}`);
  const signal = terminationSignal(logger);
  const systemd = new SystemdNotifier({ logger: logger.child('systemd'), env: process.env, pid: process.pid });
  const stopAll = async () => {
    systemd.stop();
    reclaimer.stop();
    events.stop();
    http.stop();
    feed.stop();
    await camera.stop();
    gpio.stop();
    await privacy.stop();
  };
  try {
    // Privacy and GPIO first: a device that is private (saved state, startPaused, or a switch that
    // is on) never starts its camera, not even for a moment.
    await privacy.start();
    await gpio.start();
    gpio.setCameraState(camera.state);
    camera.start();
    feed.start();
    reclaimer.start();
    events.start();
    await http.start();
    systemd.startWatchdog();
    void systemd.ready(`listening on port ${http.port}`);
  } catch (err) {
    logger.error(`cannot start: ${(err as Error).message}`);
    await stopAll();
    return 1;
  }

  logger.info(`stopping on ${await signal}`);
  void systemd.stopping();
  await stopAll();
  logger.info('stopped');
  return 0;
}

async function main(argv: readonly string[]): Promise<number> {
  let cli: CliOptions;
  try {
    cli = parseCli(argv);
  } catch (err) {
    if (err instanceof UsageError && err.message) process.stderr.write(`picamd: ${err.message}\n\n`);
    process.stderr.write(`${USAGE}\n`);
    return err instanceof UsageError && !err.message ? 0 : EX_USAGE;
  }
  if (cli.command === 'hash-password') {
    return runHashPassword({ input: process.stdin, output: process.stdout, messages: process.stderr });
  }

  const file = resolveConfigPath(cli.configFile, process.env, join(packageRoot, 'config', 'default.json'));
  let config: Config;
  try {
    config = loadConfig(file);
    // Certificate files are part of the config: unreadable or mismatched ones stop picamd here.
    const tlsProblems = checkTlsFiles(config.server.tls);
    if (tlsProblems.length > 0) throw new ConfigError(file, tlsProblems);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`picamd: invalid config ${file}\n${err.message}\n`);
    return EX_CONFIG;
  }
  if (cli.command === 'check-config') {
    process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
    process.stderr.write(`picamd: ${file} is valid\n`);
    return 0;
  }

  const logger = createLogger(config.log.level);
  logger.info(`config: ${file}`);
  if (cli.command === 'gpio-test') {
    return runGpioTest({ config: config.gpio, loadPins: loadOnoffPinFactory, print: (line) => process.stdout.write(`${line}\n`) });
  }
  return runAppliance(config, logger);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`picamd: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
