import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { hashPassword } from '../device/accounts/password.js';
import { checkUserPassword } from '../device/accounts/users.js';
import { CameraSupervisor } from '../device/camera/supervisor.js';
import { deviceEvents } from '../device/events.js';
import { PrivacyController } from '../device/privacy/controller.js';
import { PrivacyStore } from '../device/privacy/store.js';
import { SettingsApplier } from '../device/settings/apply.js';
import { followLogLevel } from '../device/settings/log-level.js';
import { settingsJsonSchema, type SettingsStore } from '../device/settings/store.js';
import { AnnexBParser } from '../formats/h264/annexb.js';
import { GpioService } from '../integrations/gpio/gpio.js';
import { loadOnoffPinFactory } from '../integrations/gpio/pins.js';
import { mqttPrivacyPort, mqttStatusSnapshot, pageUrl } from '../integrations/mqtt/adapters.js';
import { LazyMqtt } from '../integrations/mqtt/lazy.js';
import { CameraTap } from '../media/camera-tap.js';
import { ViewerLimit } from '../media/output.js';
import { snapshotOf } from '../media/snapshot.js';
import { metricsSource } from '../observe/prometheus.js';
import { statusSource } from '../observe/status.js';
import { readUpdateStatus } from '../device/update/status-file.js';
import { deviceModel, h264EncoderFor, type H264EncoderChoice } from '../platform/board.js';
import { monotonicNow, realTimers } from '../platform/clock.js';
import { findExecutable } from '../platform/executable.js';
import { escapeForLog } from '../platform/log/escape.js';
import type { Logger } from '../platform/log/logger.js';
import { lastGoodMemory } from '../platform/memory.js';
import { externalMemory, FrameMemoryReclaimer, startupGc } from '../platform/reclaim.js';
import { SystemdNotifier } from '../platform/systemd-notify.js';
import { readSetupErrorMarker, SETUP_ERROR_MARKER } from '../setup/marker.js';
import { EventHub } from '../web/routes/events.js';
import { metricsRoute } from '../web/routes/metrics.js';
import { privacyRoutes } from '../web/routes/privacy.js';
import { settingsRoutes } from '../web/routes/settings.js';
import { setupGate, setupRoutes } from '../web/routes/setup.js';
import { usersRoutes } from '../web/routes/users.js';
import { HttpServer } from '../web/server/server.js';
import { loadWebAssets, staticRoutes } from '../web/server/static.js';
import type { MjpegViewer } from '../web/streaming/mjpeg-route.js';
import type { Mp4Viewer } from '../web/streaming/mp4-route.js';
import { Lifecycle, type Service } from './lifecycle.js';

// The composition root: constructs config → privacy → GPIO → camera → media → HTTP → MQTT → systemd,
// starts them in that order and stops them in reverse. It decides nothing: each service subscribes
// to the device events it needs (src/device/events.ts) and says itself what a setting changes.

export interface ApplianceDeps {
  settings: SettingsStore;
  logger: Logger;
  version: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Which H.264 encoder this board's rpicam-vid has; by default from the device tree's model. */
  h264Encoder?: H264EncoderChoice;
}

export class Appliance {
  private readonly services: Lifecycle;
  private systemd: SystemdNotifier | undefined;
  private port = 0;
  private lastResortSteps: Array<() => void> = [];

  constructor(private readonly deps: ApplianceDeps) {
    this.services = new Lifecycle(deps.logger);
  }

  /** Builds and starts every service; rejects (after stopping what started) when one cannot start. */
  async start(): Promise<void> {
    const { settings, logger, version, env, cwd } = this.deps;
    const now = monotonicNow;
    const startedAtMs = now();
    const current = () => settings.config;
    const deviceName = () => current().server.deviceName || hostname();
    const config = current();

    // The device: privacy holds the camera paused until privacy.start() has decided the boot state,
    // so a private device never starts its camera, not even for a moment.
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
    const h264Encoder = this.deps.h264Encoder ?? h264EncoderFor(deviceModel());
    // Under systemd the unit's control group takes the camera down with picamd; elsewhere the
    // kernel's parent-death signal does it even when picamd is SIGKILLed.
    const setpriv = env.INVOCATION_ID ? undefined : findExecutable('setpriv', env.PATH, cwd);
    const camera = new CameraSupervisor(config.camera, {
      spawn,
      now,
      timers: realTimers,
      logger: logger.child('camera'),
      findExecutable: (command) => findExecutable(command, env.PATH, cwd),
      deathSignalPrefix: setpriv ? [setpriv, '--pdeathsig', 'KILL', '--'] : [],
      h264Parser: new AnnexBParser({ maxAccessUnitBytes: config.camera.maxFrameBytes }),
      h264Encoder,
    });
    privacy.bindCamera(camera);
    this.lastResortSteps = [() => camera.killNow(), () => gpio.stop()];
    const events = deviceEvents({ camera, privacy, settings });

    // Media: the camera's frames as streams with readers.
    const media = new CameraTap<MjpegViewer, Mp4Viewer>({
      camera,
      now,
      timers: realTimers,
      cameraConfig: () => current().camera,
      // One limit for both streams: a viewer is a viewer (a socket, memory) whatever it watches.
      viewers: new ViewerLimit(config.server.maxViewers),
      maxFrameBytes: config.camera.maxFrameBytes,
    });
    const reclaimer = new FrameMemoryReclaimer({ gc: startupGc(), arrayBuffers: externalMemory, now, timers: realTimers, logger: logger.child('reclaim') });
    const snapshot = () =>
      snapshotOf({
        privacy: privacy.enabled,
        camera: camera.status(),
        framerate: current().camera.framerate,
        latestLive: (ms) => media.mjpeg.latestLive(ms),
        codec: current().camera.codec,
      });
    const applier = new SettingsApplier(settings, { camera, logger: logger.child('settings') });

    // Observe: one read model for the page, /metrics and MQTT.
    const sources = { deviceName, version, now, startedAtMs, memory: lastGoodMemory(), camera, fpsIn: () => media.fpsIn(), maxViewers: () => current().server.maxViewers, privacy };
    let mqtt: LazyMqtt | undefined;
    const status = statusSource({
      ...sources,
      cameraConfig: () => current().camera,
      stream: media.mjpeg,
      video: media.h264,
      h264Encoder,
      extra: () => ({
        h264: media.h264Status(),
        settings: applier.status,
        setup: { claimed: settings.claimed, openViewing: settings.openViewing },
        mqtt: mqtt?.status(),
        update: readUpdateStatus(),
      }),
    });
    const metrics = metricsSource({ ...sources, cpu: () => process.cpuUsage(), stream: media.mjpeg });

    // Web: the server and the routes each module registers.
    const hub = new EventHub({ status, logger: logger.child('events'), timers: realTimers, now });
    const http: HttpServer = new HttpServer(config.server, {
      broadcaster: media.mjpeg,
      logger: logger.child('http'),
      now,
      snapshot,
      status,
      gates: [setupGate(settings)],
      video: { feed: media.h264, codec: () => current().camera.codec, privacy: () => privacy.enabled, maxPendingBytes: config.camera.maxFrameBytes },
      onViewersChanged: () => hub.publishStatus(),
      routes: [
        setupRoutes({ store: settings, deviceName, hashPassword: (p) => hashPassword(p), sessionCookieFor: (u) => http.sessionCookieFor(u), logger: logger.child('setup') }),
        privacyRoutes(privacy),
        settingsRoutes({ store: settings, status: () => applier.status, schema: settingsJsonSchema() }),
        usersRoutes({ store: settings, hashPassword: (p) => hashPassword(p), checkPassword: (u, p) => checkUserPassword(current(), u, p), logger: logger.child('users'), now }),
        metricsRoute({ source: metrics, open: () => current().metrics.open, claimed: () => settings.claimed }),
        (router) => hub.route(router),
        staticRoutes(loadWebAssets()),
      ],
    });

    // Integrations.
    // Loaded only when mqtt.url is set, at start or when a settings change sets it.
    mqtt = new LazyMqtt(config.mqtt, {
      logger: logger.child('mqtt'),
      timers: realTimers,
      now,
      device: () => ({ name: deviceName(), model: deviceModel(), version, configurationUrl: pageUrl(hostname(), http.port, current().server.tls !== null) }),
      readStatus: () => mqttStatusSnapshot({ camera: camera.status(), fpsIn: media.fpsIn(), viewers: media.viewerCount, nowMs: now(), startedAtMs, privacy }),
      setPrivacy: mqttPrivacyPort(privacy),
      snapshot: () => {
        const result = snapshot();
        return 'jpeg' in result ? result.jpeg : undefined;
      },
    });
    const systemd = new SystemdNotifier({ logger: logger.child('systemd'), env, pid: process.pid });
    this.systemd = systemd;

    // Each follower subscribes itself; unsubscribed when the appliance stops.
    const follow = (name: string, subscribe: () => () => void): Service => {
      let unsubscribe: (() => void) | undefined;
      return { name, start: () => void (unsubscribe = subscribe()), stop: () => unsubscribe?.() };
    };
    const m = mqtt;
    // The device name is the first claimer's text: escaped, so it cannot forge a line at every start.
    logger.info(`picamd ${version} starting on ${escapeForLog(deviceName(), 64)}`);
    await this.services.start([
      { name: 'privacy', start: () => privacy.start().then(() => undefined), stop: () => privacy.stop() },
      follow('log level', () => followLogLevel(logger, events)),
      follow('gpio events', () => gpio.follow(events)),
      { name: 'gpio', start: () => gpio.start().then(() => gpio.setCameraState(camera.state)), stop: () => gpio.stop() },
      { name: 'media', start: () => media.start(), stop: () => media.stop() },
      { name: 'camera', start: () => camera.start(), stop: () => camera.stop() },
      { name: 'settings', start: () => applier.start(), stop: () => applier.stop() },
      { name: 'reclaimer', start: () => reclaimer.start(), stop: () => reclaimer.stop() },
      follow('status events', () => hub.follow(events)),
      { name: 'events', start: () => hub.start(), stop: () => hub.stop() },
      follow('http settings', () => http.follow(events)),
      { name: 'http', start: () => http.start().then((port) => void (this.port = port)), stop: () => http.stop() },
      follow('mqtt events', () => m.follow(events)),
      { name: 'mqtt', start: () => m.start(), stop: () => m.stop() },
      { name: 'systemd', start: () => systemd.startWatchdog(), stop: () => systemd.stop() },
    ]);
    void systemd.ready(`listening on port ${this.port}`);
    if (!settings.claimed) logger.warn(`not set up yet: open http://${hostname()}.local${this.port === 80 ? '' : `:${this.port}`}/ to choose the owner`);
  }

  /** Synchronous and idempotent, for an exit that skips stop(): the camera killed, the lines released. */
  lastResort(): void {
    for (const step of this.lastResortSteps) step();
  }

  /** Stops what started, in reverse; safe to call twice. */
  async stop(): Promise<void> {
    void this.systemd?.stopping();
    await this.services.stop();
  }
}
