#!/usr/bin/env node
// picamd's composition root: config → logger → privacy → GPIO → camera supervisor → broadcaster →
// HTTP, started in that order and stopped in reverse. The only module that constructs long-lived services or exits.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { h264EncoderFor } from './platform/board.js';
import { findExecutable } from './platform/executable.js';
import { CameraSupervisor } from './device/camera/supervisor.js';
import { parseCli, UsageError, USAGE, type CliOptions } from './app/commands/cli.js';
import { runHashPassword } from './app/commands/hash-password.js';
import { runSetupCommand } from './app/commands/setup.js';
import { hashPassword } from './device/accounts/password.js';
import { AccountsStore, accountsFileFor } from './device/accounts/store.js';
import { SettingsApplier } from './device/settings/apply.js';
import { ConfigError, EX_CONFIG, loadConfigFile, resolveConfigPath } from './device/settings/load.js';
import { readLegacyUsers, settingsJsonSchema, SettingsStore } from './device/settings/store.js';
import type { Config } from './device/settings/schema.js';
import { runGpioTest } from './app/commands/gpio-test.js';
import { GpioService } from './integrations/gpio/gpio.js';
import { loadOnoffPinFactory } from './integrations/gpio/pins.js';
import { metricsRoute } from './web/routes/metrics.js';
import { privacyRoutes } from './web/routes/privacy.js';
import { settingsRoutes } from './web/routes/settings.js';
import { accountsLock, setupGate, setupRoutes } from './web/routes/setup.js';
import { UserConnections } from './web/server/user-connections.js';
import { deviceClaim } from './setup/claim.js';
import { usersRoutes } from './web/routes/users.js';
import { EventHub } from './web/routes/events.js';
import { loadWebAssets, staticRoutes } from './web/server/static.js';
import { HttpServer } from './web/server/server.js';
import { checkTlsFiles } from './web/server/tls.js';
import { statusSource } from './observe/status.js';
import type { MjpegViewer } from './web/streaming/mjpeg-viewer.js';
import type { Mp4Viewer } from './web/streaming/mp4-viewer.js';
import { AnnexBParser } from './formats/h264/annexb.js';
import { createLogger, type Logger } from './platform/log/logger.js';
import { PrivacyController } from './device/privacy/controller.js';
import { PrivacyStore } from './device/privacy/store.js';
import { SystemdNotifier } from './platform/systemd-notify.js';
import { Broadcaster } from './media/broadcaster.js';
import { PlaceholderFeed, placeholderFor } from './media/placeholder-feed.js';
import { PlaceholderCache } from './media/placeholder.js';
import { VideoFeed } from './media/video-feed.js';
import { VideoPath } from './media/video-path.js';
import { RateMeter } from './media/rate.js';
import { Lifecycle } from './app/lifecycle.js';
import { lastGoodMemory } from './platform/memory.js';
import { monotonicNow, realTimers } from './platform/clock.js';
import { handleProcessEvents } from './app/process-events.js';
import { externalMemory, FrameMemoryReclaimer, startupGc } from './platform/reclaim.js';
import { metricsSource } from './observe/prometheus.js';
import { deviceModel, mqttPrivacyPort, mqttStatusSnapshot, pageUrl } from './integrations/mqtt/adapters.js';
import { MqttService } from './integrations/mqtt/service.js';
import { readSetupErrorMarker, SETUP_ERROR_MARKER } from './setup/marker.js';
import { resetOwnerIfButtonHeld } from './setup/owner-reset-at-start.js';
import { snapshotOf } from './media/snapshot.js';

const EX_USAGE = 64;
const packageRoot = fileURLToPath(new URL('..', import.meta.url));

function readVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

async function runAppliance(settings: SettingsStore, accounts: AccountsStore, logger: Logger): Promise<number> {
  const now = monotonicNow;
  const startedAtMs = now();
  const version = readVersion();
  // Read at the moment of use: the page changes settings while picamd runs.
  const current = () => settings.config;
  const deviceName = () => current().server.deviceName || hostname();
  const cwd = process.cwd();
  // Under systemd the unit's control group already takes the camera down with picamd; elsewhere
  // the kernel's parent-death signal does it even when picamd is SIGKILLed.
  const underSystemd = Boolean(process.env.INVOCATION_ID);
  const setpriv = underSystemd ? undefined : findExecutable('setpriv', process.env.PATH, cwd);
  const config = current();

  const privacy = new PrivacyController({
    store: new PrivacyStore(config.privacy.stateFile),
    startPaused: config.privacy.startPaused,
    logger: logger.child('privacy'),
  });
  const gpio = new GpioService({ config: config.gpio, privacy, loadPins: loadOnoffPinFactory, logger: logger.child('gpio') });
  const setupErrors = readSetupErrorMarker(SETUP_ERROR_MARKER);
  if (setupErrors) {
    logger.warn(`setup: picamd-setup.txt was not applied: ${setupErrors.join('; ')}`);
    gpio.setSetupError(true);
  }
  const h264Encoder = h264EncoderFor(deviceModel());
  const camera = new CameraSupervisor(config.camera, {
    spawn,
    now,
    timers: realTimers,
    logger: logger.child('camera'),
    findExecutable: (command) => findExecutable(command, process.env.PATH, cwd),
    deathSignalPrefix: setpriv ? [setpriv, '--pdeathsig', 'KILL', '--'] : [],
    h264Parser: new AnnexBParser({ maxAccessUnitBytes: config.camera.maxFrameBytes }),
    h264Encoder,
  });
  // Privacy holds the camera paused until privacy.start() has decided the boot state.
  privacy.bindCamera(camera);
  camera.on('state', (state) => gpio.setCameraState(state));
  const signal = handleProcessEvents({
    proc: process,
    logger,
    exit: (code) => process.exit(code),
    lastResort: () => {
      camera.killNow();
      gpio.stop();
    },
  });

  const broadcaster = new Broadcaster<MjpegViewer>(now, config.server.maxViewers);
  const fpsIn = new RateMeter();
  camera.on('frame', (jpeg: Buffer) => {
    fpsIn.mark(now());
    broadcaster.publish(jpeg, true);
  });
  // H.264 mode: access units → fragmented MP4 → /stream.mp4 viewers. The kept group of pictures and
  // what one viewer may have waiting are bounded like one frame (a second at 2 Mbit/s is 250 KB).
  const videoFeed = new VideoFeed<Mp4Viewer>(now, config.server.maxViewers, config.camera.maxFrameBytes);
  const video = new VideoPath(videoFeed, now);
  camera.on('unit', (au) => {
    fpsIn.mark(now());
    video.unit(au);
  });
  const reclaimer = new FrameMemoryReclaimer({
    gc: startupGc(),
    arrayBuffers: externalMemory,
    now,
    timers: realTimers,
    logger: logger.child('reclaim'),
  });
  const placeholders = new PlaceholderCache();
  const feed = new PlaceholderFeed(
    (jpeg) => broadcaster.publish(jpeg, false),
    (kind, detail) => placeholders.get(kind, current().camera.width, current().camera.height, detail),
    realTimers,
  );
  camera.on('state', (state, detail: string) => {
    // The privacy placeholder says it all; the camera's detail would only repeat it.
    const codec = current().camera.codec;
    feed.show(placeholderFor(state, codec), state === 'paused' ? '' : detail);
    if (state === 'paused') broadcaster.forgetLive();
    if (state === 'starting') video.cameraStarting(codec, current().camera.framerate);
    video.cameraState(state);
  });
  const snapshot = () =>
    snapshotOf({
      privacy: privacy.enabled,
      camera: camera.status(),
      framerate: current().camera.framerate,
      latestLive: (ms) => broadcaster.latestLive(ms),
      codec: current().camera.codec,
    });

  // Accounts (issue 20): the first-run claim spans both stores; a user's streams and WebSockets are
  // registered by user so they close when the user's access ends (accounts 'change' below).
  const claim = deviceClaim(accounts, settings, logger.child('setup'));
  const connections = new UserConnections();
  const http: HttpServer = new HttpServer(config.server, {
    broadcaster,
    logger: logger.child('http'),
    now,
    snapshot,
    status: (): unknown => status(),
    gates: [setupGate(claim)],
    users: accounts.users,
    roleOf: (user) => accounts.roleOf(user),
    lock: accountsLock(accounts),
    connections,
    video: { feed: videoFeed, codec: () => current().camera.codec, privacy: () => privacy.enabled, maxPendingBytes: config.camera.maxFrameBytes },
    onViewersChanged: () => events.publishStatus(),
    routes: [
      setupRoutes({ store: claim, deviceName, hashPassword: (p) => hashPassword(p), sessionCookieFor: (u: string): string | undefined => http.sessionCookieFor(u), logger: logger.child('setup') }),
      privacyRoutes(privacy, { viewers: () => current().privacy.viewersToggle }),
      settingsRoutes({ store: settings, status: () => applier.status, schema: settingsJsonSchema() }),
      usersRoutes({
        store: accounts,
        openViewing: settings,
        hashPassword: (p) => hashPassword(p),
        sessionCookieFor: (u: string): string | undefined => http.sessionCookieFor(u),
        viewersTogglePrivacy: () => current().privacy.viewersToggle,
        logger: logger.child('users'),
      }),
      metricsRoute({ source: () => metrics(), open: () => current().metrics.open }),
      (router) => events.route(router),
      staticRoutes(loadWebAssets()),
    ],
  });
  const mqtt = new MqttService(config.mqtt, {
    logger: logger.child('mqtt'),
    timers: realTimers,
    now,
    device: () => ({ name: deviceName(), model: deviceModel(), version, configurationUrl: pageUrl(hostname(), http.port, current().server.tls !== null) }),
    readStatus: () => mqttStatusSnapshot({ camera: camera.status(), fpsIn: fpsIn.rate(now()), viewers: broadcaster.viewerCount + videoFeed.viewerCount, nowMs: now(), startedAtMs, privacy }),
    setPrivacy: mqttPrivacyPort(privacy),
    snapshot: () => {
      const result = snapshot();
      return 'jpeg' in result ? result.jpeg : undefined;
    },
  });
  const applier: SettingsApplier = new SettingsApplier(settings, {
    camera,
    gpio,
    http,
    logger: logger.child('settings'),
    live: (next, previous, paths) => {
      logger.setLevel(next.log.level);
      if (paths.some((p) => p.startsWith('mqtt') || p === 'server.deviceName')) void mqtt.reconfigure(next.mqtt);
      events.publishStatus();
    },
  });

  const sources = {
    deviceName,
    version,
    now,
    startedAtMs,
    memory: lastGoodMemory(),
    camera,
    fpsIn: () => fpsIn.rate(now()),
    maxViewers: () => current().server.maxViewers,
    privacy,
  };
  const status = statusSource({
    ...sources,
    cameraConfig: () => current().camera,
    stream: broadcaster,
    video: videoFeed,
    h264Encoder,
    extra: () => ({
      h264: { codec: video.codec ?? null, skippedAfterLoss: video.skippedAfterLoss, unpackaged: video.unpackaged, keptBytes: videoFeed.keptBytes },
      settings: applier.status,
      setup: { claimed: claim.claimed, openViewing: settings.openViewing },
      mqtt: mqtt.status(),
    }),
  });
  const metrics = metricsSource({ ...sources, cpu: () => process.cpuUsage(), stream: broadcaster });
  const events = new EventHub({ status, logger: logger.child('events'), timers: realTimers, now, connections });
  accounts.on('change', (users, ended) => http.setUsers(users, ended));
  camera.on('state', () => {
    events.publishStatus();
    mqtt.stateChanged();
  });
  privacy.on('change', () => {
    events.publishStatus();
    mqtt.stateChanged();
  });
  const systemd = new SystemdNotifier({ logger: logger.child('systemd'), env: process.env, pid: process.pid });

  logger.info(`picamd ${version} starting on ${deviceName()}`);
  // Privacy and GPIO first: a device that is private (saved state, startPaused, or a switch that is
  // on) never starts its camera, not even for a moment. Stopped in reverse, each stop isolated.
  const services = new Lifecycle(logger);
  try {
    await services.start([
      { name: 'privacy', start: () => privacy.start(), stop: () => privacy.stop() },
      { name: 'gpio', start: () => gpio.start().then(() => gpio.setCameraState(camera.state)), stop: () => gpio.stop() },
      { name: 'camera', start: () => camera.start(), stop: () => camera.stop() },
      { name: 'settings', start: () => applier.start(), stop: () => {} },
      { name: 'placeholders', start: () => feed.start(), stop: () => feed.stop() },
      { name: 'reclaimer', start: () => reclaimer.start(), stop: () => reclaimer.stop() },
      { name: 'events', start: () => events.start(), stop: () => events.stop() },
      { name: 'http', start: () => http.start().then(() => undefined), stop: () => http.stop() },
      { name: 'mqtt', start: () => mqtt.start(), stop: () => mqtt.stop() },
      { name: 'systemd', start: () => systemd.startWatchdog(), stop: () => systemd.stop() },
    ]);
    void systemd.ready(`listening on port ${http.port}`);
  } catch (err) {
    logger.error(`cannot start: ${(err as Error).message}`);
    await services.stop();
    return 1;
  }
  if (!claim.claimed) logger.warn(`not set up yet: open http://${hostname()}.local${http.port === 80 ? '' : `:${http.port}`}/ to choose the owner`);

  logger.info(`stopping on ${await signal}`);
  void systemd.stopping();
  await services.stop();
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
  if (cli.command === 'apply-setup' || cli.command === 'reset-owner') return runSetupCommand(cli);

  const file = resolveConfigPath(cli.configFile, process.env, join(packageRoot, 'config', 'default.json'));
  let loaded: { raw: Record<string, unknown>; config: Config };
  try {
    loaded = loadConfigFile(file);
    // Certificate files are part of the config: unreadable or mismatched ones stop picamd here.
    const tlsProblems = checkTlsFiles(loaded.config.server.tls);
    if (tlsProblems.length > 0) throw new ConfigError(file, tlsProblems);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`picamd: invalid config ${file}\n${err.message}\n`);
    return EX_CONFIG;
  }
  const { raw, config } = loaded;
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
  // The privacy button held at start-up resets the owner (docs/gpio.md); before anything reads the
  // settings or opens the lines.
  await resetOwnerIfButtonHeld({ config, base: raw, loadPins: loadOnoffPinFactory, logger: logger.child('owner-reset'), settingsFile: config.settings.file });
  // Accounts before settings (issue 20): users an older version kept in settings.json are written to
  // the accounts file first, and only then does the settings store drop them, so a power cut loses none.
  const accounts = new AccountsStore({
    file: accountsFileFor(config.settings.file),
    configUsers: config.server.auth?.users,
    legacyUsers: () => readLegacyUsers(config.settings.file, raw),
    logger: logger.child('accounts'),
  });
  await accounts.load();
  const settings = new SettingsStore({ base: raw, file: config.settings.file, logger: logger.child('settings'), hasUsers: () => accounts.users.length > 0 });
  await settings.load({ dropLegacyUsers: accounts.holdsUsers });
  logger.setLevel(settings.config.log.level);
  return runAppliance(settings, accounts, logger);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`picamd: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
