import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { hashPassword } from '../device/accounts/password.js';
import { accountsFileFor, type AccountsStore } from '../device/accounts/store.js';
import { RecorderCredential, recorderFileFor, withRecorder } from '../device/accounts/recorder.js';
import { CameraSupervisor } from '../device/camera/supervisor.js';
import { firstCameraOutcome } from '../device/camera/first-outcome.js';
import { deviceEvents } from '../device/events.js';
import { PrivacyController } from '../device/privacy/controller.js';
import { PrivacyStore } from '../device/privacy/store.js';
import { SettingsApplier } from '../device/settings/apply.js';
import { followLogLevel } from '../device/settings/log-level.js';
import type { Config } from '../device/settings/schema.js';
import { settingsJsonSchema, type SettingsStore } from '../device/settings/store.js';
import { AnnexBParser } from '../formats/h264/annexb.js';
import { FramePool } from '../formats/frame-pool.js';
import { sharedEntropyScanner } from '../formats/jpeg/entropy-scan.js';
import { PART_HEADROOM, PART_TAILROOM } from '../formats/multipart.js';
import { GpioService } from '../integrations/gpio/gpio.js';
import { loadOnoffPinFactory } from '../integrations/gpio/pins.js';
import { mqttPrivacyPort, mqttStatusSnapshot, pageUrl } from '../integrations/mqtt/adapters.js';
import { LazyMqtt } from '../integrations/mqtt/lazy.js';
import { LazyRtsp } from '../integrations/rtsp/lazy.js';
import { CameraTap } from '../media/camera-tap.js';
import { ViewerLimit } from '../media/output.js';
import { snapshotOf } from '../media/snapshot.js';
import { metricsSource } from '../observe/prometheus.js';
import { statusSource } from '../observe/status.js';
import { UpdateInbox } from '../device/update/inbox.js';
import { updateInboxOptions } from '../device/update/inbox-options.js';
import { updateRoutes } from '../web/routes/update.js';
import { deviceModel, h264EncoderFor, type H264EncoderChoice } from '../platform/board.js';
import { monotonicNow, realTimers } from '../platform/clock.js';
import { findExecutable } from '../platform/executable.js';
import { escapeForLog } from '../platform/log/escape.js';
import type { Logger } from '../platform/log/logger.js';
import { lastGoodMemory } from '../platform/memory.js';
import { NetworkReader, networkReaderOptions } from '../platform/network/network-status.js';
import { StorageReader, storageReaderOptions } from '../platform/storage/storage-reader.js';
import { externalMemory, FrameMemoryReclaimer, startupGc } from '../platform/reclaim.js';
import { DEFAULT_READ_BYTES, StdoutSockets } from '../platform/stdout-sockets.js';
import { SystemdNotifier } from '../platform/systemd-notify.js';
import { readSetupErrorMarker, SETUP_ERROR_MARKER } from '../setup/marker.js';
import { EventHub } from '../web/routes/events.js';
import { metricsRoute } from '../web/routes/metrics.js';
import { privacyRoutes } from '../web/routes/privacy.js';
import { recorderRoutes } from '../web/routes/recorder.js';
import { settingsRoutes } from '../web/routes/settings.js';
import { accountsLock, setupGate, setupRoutes } from '../web/routes/setup.js';
import { deviceClaim } from '../setup/claim.js';
import { UserConnections } from '../web/server/user-connections.js';
import { usersRoutes } from '../web/routes/users.js';
import { timeRoutes } from '../web/routes/time.js';
import { timeStatus } from '../observe/time.js';
import { fileDate, SystemTime, type DeviceTime } from '../platform/time/device-time.js';
import { clientKey } from '../web/server/auth/headers.js';
import { LoginLimiter } from '../web/server/auth/limiter.js';
import { HttpServer } from '../web/server/server.js';
import { loadWebAssets, staticRoutes } from '../web/server/static.js';
import type { MjpegViewer } from '../web/streaming/mjpeg-route.js';
import type { Mp4Viewer } from '../web/streaming/mp4-route.js';
import { Lifecycle, type Service } from './lifecycle.js';
import { OnvifPart } from './onvif.js';
import { onvifRoutes } from '../web/onvif/routes.js';

// The composition root: constructs config → privacy → GPIO → camera → media → HTTP → MQTT → systemd,
// starts them in that order and stops them in reverse. It decides nothing: each service subscribes
// to the device events it needs (src/device/events.ts) and says itself what a setting changes.

export interface ApplianceDeps {
  settings: SettingsStore;
  /** The users (loaded; possibly locked: then the server answers only its page). */
  accounts: AccountsStore;
  logger: Logger;
  version: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Which H.264 encoder this board's rpicam-vid has; by default from the device tree's model. */
  h264Encoder?: H264EncoderChoice;
  /** The device's time zone and clock state; by default the system's (timedated for changes). */
  deviceTime?: DeviceTime;
}

/** What every part of the appliance reads: the settings now, the clock, the device's name. */
interface Context {
  now: () => number;
  startedAtMs: number;
  current: () => Config;
  deviceName: () => string;
}

export class Appliance {
  private readonly services: Lifecycle;
  private systemd: SystemdNotifier | undefined;
  private port = 0;
  private lastResortSteps: Array<() => void> = [];

  constructor(private readonly deps: ApplianceDeps) {
    this.services = new Lifecycle(deps.logger);
    this.deviceTime = deps.deviceTime ?? new SystemTime();
    // The network the device is on, read when a status, a scrape or an MQTT state is built (no timer of its own).
    this.network = new NetworkReader(networkReaderOptions(deps.env, monotonicNow, (line) => deps.logger.child('network').warn(line)));
    // The card that holds the state directory (systemd's, else the settings file's), read the same way.
    const stateDir = deps.env.STATE_DIRECTORY?.split(':')[0] || dirname(deps.settings.config.settings.file);
    this.storage = new StorageReader(storageReaderOptions(stateDir, deps.env, monotonicNow, (line) => deps.logger.child('storage').warn(line)));
  }

  private readonly network: NetworkReader;
  private readonly storage: StorageReader;

  private readonly deviceTime: DeviceTime;
  /** The release's build: a device clock before it is wrong. */
  private readonly firmwareDate = fileDate(new URL('../main.js', import.meta.url));

  /** Builds and starts every service; rejects (after stopping what started) when one cannot start. */
  async start(): Promise<void> {
    const { settings, logger, version } = this.deps;
    const now = monotonicNow;
    const ctx: Context = {
      now,
      startedAtMs: now(),
      current: () => settings.config,
      deviceName: () => settings.config.server.deviceName || hostname(),
    };
    const device = this.buildDevice(ctx);
    const media = this.buildMedia(ctx, device);
    const updates = new UpdateInbox({ ...updateInboxOptions(this.deps.env, ctx.current().settings.file), installedVersion: version, logger: logger.child('update'), clock: Date.now,
      undone: () => [...this.deps.settings.formatNotes(), ...this.deps.accounts.formatNotes()], freeBytes: () => this.storage.current().freeBytes });
    const observe = this.buildObserve(ctx, device, media, updates);
    const web = this.buildWeb(ctx, device, media, observe, updates);
    const mqtt = this.buildMqtt(ctx, device, media, web.http);
    observe.mqtt = mqtt;
    const rtsp = this.buildRtsp(ctx, device, media, web.limiter);
    observe.rtsp = rtsp;
    const systemd = new SystemdNotifier({ logger: logger.child('systemd'), env: this.deps.env, pid: process.pid });
    this.systemd = systemd;

    const { privacy, gpio, camera, applier, events } = device;
    const { hub, http, onvif } = web;
    // Listened for before the camera starts, told to systemd after READY=1 (whose STATUS= it replaces).
    const cameraOutcome = firstCameraOutcome(camera);
    this.lastResortSteps.push(cameraOutcome.cancel);
    // The device name is the first claimer's text: escaped, so it cannot forge a line at every start.
    logger.info(`picamd ${version} starting on ${escapeForLog(ctx.deviceName(), 64)}`);
    await this.services.start([
      { name: 'privacy', start: () => privacy.start().then(() => undefined), stop: () => privacy.stop() },
      { name: 'updates', start: () => updates.start(), stop: () => {} },
      follow('log level', () => followLogLevel(logger, events)),
      follow('gpio events', () => gpio.follow(events)),
      { name: 'gpio', start: () => gpio.start().then(() => gpio.setCameraState(camera.state)), stop: () => gpio.stop() },
      { name: 'media', start: () => media.tap.start(), stop: () => media.tap.stop() },
      { name: 'camera', start: () => device.stdoutSockets.prepare().then(() => camera.start()), stop: () => camera.stop().finally(() => device.stdoutSockets.close()) },
      { name: 'settings', start: () => applier.start(), stop: () => applier.stop() },
      { name: 'reclaimer', start: () => media.reclaimer.start(), stop: () => media.reclaimer.stop() },
      follow('status events', () => hub.follow(events)),
      { name: 'events', start: () => hub.start(), stop: () => hub.stop() },
      follow('http settings', () => http.follow(events)),
      { name: 'recorder', start: () => device.recorder.load(), stop: () => undefined },
      { name: 'http', start: () => http.start().then((port) => void (this.port = port)), stop: () => http.stop() },
      follow('onvif events', () => onvif.follow(events)),
      { name: 'onvif', start: () => onvif.start(), stop: () => onvif.stop() },
      follow('mqtt events', () => mqtt.follow(events)),
      { name: 'mqtt', start: () => mqtt.start(), stop: () => mqtt.stop() },
      follow('rtsp events', () => rtsp.follow(events)),
      { name: 'rtsp', start: () => rtsp.start(), stop: () => rtsp.stop() },
      { name: 'systemd', start: () => systemd.startWatchdog(), stop: () => systemd.stop() },
    ]);
    void systemd.ready(`listening on port ${this.port}`).then(() => cameraOutcome.outcome).then((line) => systemd.status(line));
    if (!device.claim.claimed) logger.warn(`not set up yet: open http://${hostname()}.local${this.port === 80 ? '' : `:${this.port}`}/ to choose the owner`);
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

  /**
   * The device: privacy, the GPIO lines, the camera and the settings' camera trial. Privacy holds the
   * camera paused until privacy.start() has decided the boot state, so a private device never
   * starts its camera, not even for a moment.
   */
  private buildDevice(ctx: Context) {
    const { settings, accounts, logger, env, cwd } = this.deps;
    const config = ctx.current();
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
    // JPEG frames in reused buffers with room for their multipart part around them: one copy per frame
    // while someone watches (none while nobody does, see buildMedia).
    const framePool = new FramePool({ headroom: PART_HEADROOM, tailroom: PART_TAILROOM, maxFrameBytes: config.camera.maxFrameBytes });
    // ... read from a socket of picamd's own into one reused buffer (two areas), not a new one per read.
    // The reads land in the entropy scanner's own memory, where the parser scans them without a copy.
    // Under the unit in its RuntimeDirectory (a tmpfs, see stdout-sockets.ts), else the temporary directory.
    const stdoutSockets = new StdoutSockets({
      logger: logger.child('camera'),
      dir: this.deps.env.RUNTIME_DIRECTORY?.split(':')[0] || undefined,
      buffer: sharedEntropyScanner()?.readArea(2 * DEFAULT_READ_BYTES),
    });
    const camera = new CameraSupervisor(config.camera, {
      spawn,
      now: ctx.now,
      timers: realTimers,
      logger: logger.child('camera'),
      findExecutable: (command) => findExecutable(command, env.PATH, cwd),
      deathSignalPrefix: setpriv ? [setpriv, '--pdeathsig', 'KILL', '--'] : [],
      h264Parser: new AnnexBParser({ maxAccessUnitBytes: config.camera.maxFrameBytes }),
      h264Encoder,
      jpegFrames: framePool,
      stdoutSockets,
    });
    privacy.bindCamera(camera);
    // The recorder credential (viewer rights, for NVRs' ONVIF PasswordDigest): recorder.json beside accounts.json.
    const recorder = new RecorderCredential({ file: recorderFileFor(accountsFileFor(config.settings.file)), isAccount: (name) => accounts.roleOf(name) !== undefined, logger: logger.child('recorder') });
    this.lastResortSteps = [() => camera.killNow(), () => gpio.stop()];
    return {
      privacy,
      gpio,
      camera,
      stdoutSockets,
      framePool,
      h264Encoder,
      events: deviceEvents({ camera, privacy, settings, accounts, recorder }),
      // The first-run claim spans the accounts (the owner) and the settings (name, open viewing).
      claim: deviceClaim(accounts, settings, logger.child('setup')),
      applier: new SettingsApplier(settings, { camera, logger: logger.child('settings') }),
      recorder,
    };
  }

  /** The camera's frames as streams with readers, the snapshot rule and the frame memory's bound. */
  private buildMedia(ctx: Context, { camera, privacy, framePool, stdoutSockets }: Device) {
    const { logger } = this.deps;
    const config = ctx.current();
    const tap = new CameraTap<MjpegViewer, Mp4Viewer>({
      camera,
      now: ctx.now,
      timers: realTimers,
      cameraConfig: () => ctx.current().camera,
      // One limit for both streams: a viewer is a viewer (a socket, memory) whatever it watches.
      viewers: new ViewerLimit(config.server.maxViewers),
      maxFrameBytes: config.camera.maxFrameBytes,
      framePool,
    });
    // While nobody watches, a frame that lies whole in one camera read is not copied: it stays where
    // it was read, as the MJPEG output's newest frame, and the next read goes to the other area.
    framePool.lendViewsWhile(() => tap.mjpeg.viewerCount === 0);
    stdoutSockets.keptBy((area) => tap.mjpeg.keepsIn(area));
    const snapshot = () =>
      snapshotOf({
        privacy: privacy.enabled,
        camera: camera.status(),
        framerate: ctx.current().camera.framerate,
        latestLive: (ms) => tap.mjpeg.latestLive(ms),
        codec: ctx.current().camera.codec,
      });
    const reclaimer = new FrameMemoryReclaimer({ gc: startupGc(), arrayBuffers: externalMemory, now: ctx.now, timers: realTimers, logger: logger.child('reclaim') });
    return { tap, snapshot, reclaimer };
  }

  /** One read model for the page, /metrics and MQTT. */
  private buildObserve(ctx: Context, device: Device, media: Media, updates: UpdateInbox) {
    const { settings, version } = this.deps;
    const { camera, privacy, h264Encoder, applier, claim } = device;
    const network = this.network;
    const sources = {
      deviceName: ctx.deviceName,
      version,
      now: ctx.now,
      startedAtMs: ctx.startedAtMs,
      memory: lastGoodMemory(),
      camera,
      fpsIn: () => media.tap.fpsIn(),
      maxViewers: () => ctx.current().server.maxViewers,
      privacy,
    };
    const observe: { status: () => unknown; metrics: ReturnType<typeof metricsSource>; mqtt?: LazyMqtt; rtsp?: LazyRtsp } = {
      status: () => undefined,
      metrics: metricsSource({ ...sources, cpu: () => process.cpuUsage(), stream: media.tap.mjpeg, network: () => network.current(false), storage: () => this.storage.current() }),
    };
    observe.status = statusSource({
      ...sources,
      cameraConfig: () => ctx.current().camera,
      stream: media.tap.mjpeg,
      video: media.tap.h264,
      h264Encoder,
      network: () => network.current(),
      storage: () => this.storage.current(),
      extra: () => ({
        h264: media.tap.h264Status(),
        settings: applier.status,
        setup: { claimed: claim.claimed, openViewing: settings.openViewing },
        mqtt: observe.mqtt?.status(),
        rtsp: observe.rtsp?.status(),
        update: updates.status(),
        time: timeStatus(this.deviceTime, Date.now(), this.firmwareDate),
      }),
    });
    return observe;
  }

  /** The HTTP server and the routes each module registers. */
  private buildWeb(ctx: Context, device: Device, media: Media, observe: Observe, updates: UpdateInbox) {
    const { settings, accounts, logger } = this.deps;
    const { privacy, applier, claim, recorder } = device;
    const config = ctx.current();
    const current = ctx.current;
    // A user's streams and WebSockets, by user, so they close when the user's access ends.
    const connections = new UserConnections();
    // One count of failed logins per address, whichever way they come in (the page, RTSP).
    const limiter = new LoginLimiter();
    // ONVIF (loaded only when on): its logins go through the page's check and this limiter.
    const onvif = new OnvifPart({
      current,
      accounts,
      recorder,
      claimed: () => claim.claimed,
      openViewing: () => current().server.openViewing,
      authenticator: () => http.login,
      limiter,
      deviceName: ctx.deviceName,
      version: this.deps.version,
      httpPort: () => http.port,
      // The port the RTSP server listens on; 0 while it is off or could not listen.
      rtspPort: () => observe.rtsp?.status().port ?? 0,
      logger: logger.child('onvif'),
      now: ctx.now,
    });
    const hub = new EventHub({ status: observe.status, logger: logger.child('events'), timers: realTimers, now: ctx.now, connections });
    const http: HttpServer = new HttpServer(config.server, {
      broadcaster: media.tap.mjpeg,
      logger: logger.child('http'),
      now: ctx.now,
      snapshot: media.snapshot,
      status: observe.status,
      gates: [setupGate(claim)],
      users: accounts.users,
      limiter,
      // Accounts that predate the Digest HA1s get theirs at the next password login (digest.ts).
      passwordVerified: (user, password) => void accounts.rememberDigest(user, password),
      roleOf: (user) => accounts.roleOf(user),
      recorderMatches: (user, password) => recorder.matches(user, password),
      lock: accountsLock(accounts),
      connections,
      video: { feed: media.tap.h264, codec: () => current().camera.codec, privacy: () => privacy.enabled, maxPendingBytes: config.camera.maxFrameBytes },
      onViewersChanged: () => hub.publishStatus(),
      routes: [
        setupRoutes({ store: claim, deviceName: ctx.deviceName, hashPassword: (p) => hashPassword(p), sessionCookieFor: (u) => http.sessionCookieFor(u), logger: logger.child('setup') }),
        privacyRoutes(privacy, { viewers: () => current().privacy.viewersToggle }),
        settingsRoutes({ store: settings, status: () => applier.status, schema: settingsJsonSchema }),
        usersRoutes({
          store: accounts,
          openViewing: settings,
          hashPassword: (p) => hashPassword(p),
          sessionCookieFor: (u) => http.sessionCookieFor(u),
          viewersTogglePrivacy: () => current().privacy.viewersToggle,
          logger: logger.child('users'),
          now: ctx.now,
        }),
        updateRoutes({ inbox: updates, version: this.deps.version }),
        timeRoutes({ time: this.deviceTime, status: () => timeStatus(this.deviceTime, Date.now(), this.firmwareDate), logger: logger.child('time') }),
        metricsRoute({ source: observe.metrics, open: () => current().metrics.open, claimed: () => claim.claimed }),
        onvifRoutes(() => onvif.handler()),
        recorderRoutes(recorder, logger.child('recorder')),
        (router) => hub.route(router),
        staticRoutes(loadWebAssets()),
      ],
    });
    return { hub, http, limiter, onvif };
  }

  /**
   * MQTT: Home Assistant discovery, state, the privacy switch and snapshots; loaded only when
   * mqtt.url is set, at start or when a settings change sets it.
   */
  private buildMqtt(ctx: Context, { camera, privacy }: Device, media: Media, http: HttpServer) {
    const { logger, version } = this.deps;
    return new LazyMqtt(ctx.current().mqtt, {
      logger: logger.child('mqtt'),
      timers: realTimers,
      now: ctx.now,
      device: () => ({ name: ctx.deviceName(), model: deviceModel(), version, configurationUrl: pageUrl(hostname(), http.port, ctx.current().server.tls !== null) }),
      readStatus: () => mqttStatusSnapshot({ camera: camera.status(), fpsIn: media.tap.fpsIn(), viewers: media.tap.viewerCount, nowMs: ctx.now(), startedAtMs: ctx.startedAtMs, privacy, network: this.network.current(false), storage: this.storage.current() }),
      setPrivacy: mqttPrivacyPort(privacy),
      snapshot: () => {
        const result = media.snapshot();
        return 'jpeg' in result ? result.jpeg : undefined;
      },
    });
  }

  /**
   * RTSP (rtsp://<device>:<rtsp.port>/stream): the camera's own pictures repackaged as RTP, readers of
   * the same outputs as /stream.mp4 and /stream.mjpg (one viewer limit), logins of the same accounts
   * and limiter as the page; loaded only when rtsp.port is not 0.
   */
  private buildRtsp(ctx: Context, { claim, recorder }: Device, media: Media, limiter: LoginLimiter) {
    const { settings, accounts, logger } = this.deps;
    return new LazyRtsp(ctx.current().rtsp, {
      media: {
        codec: () => ctx.current().camera.codec,
        camera: () => ctx.current().camera,
        h264: media.tap.h264,
        jpeg: media.tap.mjpeg,
      },
      login: { accounts: withRecorder(accounts, recorder), claimed: () => claim.claimed, openViewing: () => settings.openViewing, limiter, clientKey },
      deviceName: ctx.deviceName,
      now: ctx.now,
      timers: realTimers,
      logger: logger.child('rtsp'),
    });
  }
}

type Device = ReturnType<Appliance['buildDevice']>;
type Media = ReturnType<Appliance['buildMedia']>;
type Observe = ReturnType<Appliance['buildObserve']>;

/** A service that only subscribes: its subscription ends when the appliance stops. */
function follow(name: string, subscribe: () => () => void): Service {
  let unsubscribe: (() => void) | undefined;
  return { name, start: () => void (unsubscribe = subscribe()), stop: () => unsubscribe?.() };
}
