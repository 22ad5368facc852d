import { hostname } from 'node:os';
import type { AccountsStore } from '../device/accounts/store.js';
import { DIGEST_REALM } from '../device/accounts/digest.js';
import type { RecorderCredential } from '../device/accounts/recorder.js';
import type { DeviceEvents } from '../device/events.js';
import type { Config } from '../device/settings/schema.js';
import type { Target } from '../formats/ws-discovery/messages.js';
import type { WsDiscovery } from '../integrations/onvif/discovery.js';
import { deviceModel } from '../platform/board.js';
import type { Now } from '../platform/clock.js';
import { errorText } from '../platform/errors.js';
import { deviceSerial, deviceUuid, hardwareRevision } from '../platform/identity.js';
import { isLocalAddress, localInterfaces } from '../platform/interfaces.js';
import type { Logger } from '../platform/log/logger.js';
import { scopesOf, type OnvifFacts } from '../web/onvif/facts.js';
import { DEVICE_PATH, type OnvifHandler } from '../web/onvif/routes.js';
import type { Authenticator } from '../web/server/auth/authenticator.js';
import type { LoginLimiter } from '../web/server/auth/limiter.js';

// ONVIF as one part of the appliance: the SOAP services behind /onvif/* and WS-Discovery, loaded
// with import() only when onvif.enabled is on (at start, or at the settings change that turns it on),
// so a camera without ONVIF pays nothing for it. Discovery runs while ONVIF and onvif.discovery are
// on and the device has an owner (nothing is announced before that); it says Hello when it starts
// and Bye when it stops.

export interface OnvifPartDeps {
  current: () => Config;
  accounts: AccountsStore;
  /** The recorder credential (viewer rights; PasswordDigest too): device/accounts/recorder.ts. */
  recorder?: RecorderCredential;
  claimed: () => boolean;
  openViewing: () => boolean;
  /** The page's login check, for Basic and UsernameToken PasswordText (see web/onvif/auth.ts). */
  authenticator: () => Authenticator | undefined;
  limiter: LoginLimiter;
  deviceName: () => string;
  version: string;
  /** The HTTP server's bound port. */
  httpPort: () => number;
  /** The RTSP server's port; 0 while it is off. */
  rtspPort: () => number;
  logger: Logger;
  now: Now;
}

type Loaded = { handler: OnvifHandler; newDiscovery: () => WsDiscovery };

export class OnvifPart {
  private loaded: Loaded | undefined;
  private loading: Promise<Loaded> | undefined;
  private discovery: WsDiscovery | undefined;
  private running = false;
  /** Discovery starts and stops one at a time, in order. */
  private queue: Promise<void> = Promise.resolve();
  private serial: string | undefined;

  constructor(private readonly deps: OnvifPartDeps) {}

  /** For the routes: the SOAP services, while ONVIF is on. */
  handler(): OnvifHandler | undefined {
    return this.running && this.deps.current().onvif.enabled ? this.loaded?.handler : undefined;
  }

  follow(events: DeviceEvents): () => void {
    const offSettings = events.on('settings', (_next, _previous, paths) => {
      if (paths.some((p) => p.startsWith('onvif') || p.startsWith('rtsp') || p.startsWith('server'))) void this.reconcile();
    });
    // The first owner: discovery may begin.
    const offUsers = events.on('users', () => void this.reconcile());
    return () => {
      offSettings();
      offUsers();
    };
  }

  start(): Promise<void> {
    this.running = true;
    return this.reconcile();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.reconcile();
  }

  /** Loads what is wanted and starts or stops discovery to match the settings. Never throws. */
  private reconcile(): Promise<void> {
    this.queue = this.queue.then(async () => {
      const { onvif } = this.deps.current();
      try {
        if (this.running && onvif.enabled) await this.load();
        const wanted = this.running && onvif.enabled && onvif.discovery && this.deps.claimed();
        if (wanted && !this.discovery && this.loaded) {
          const discovery = this.loaded.newDiscovery();
          await discovery.start();
          this.discovery = discovery;
        } else if (!wanted && this.discovery) {
          const discovery = this.discovery;
          this.discovery = undefined;
          await discovery.stop();
        }
      } catch (err) {
        this.deps.logger.error(`ONVIF: ${errorText(err)}`);
      }
    });
    return this.queue;
  }

  private load(): Promise<Loaded> {
    this.loading ??= Promise.all([import('../web/onvif/soap.js'), import('../web/onvif/auth.js'), import('../integrations/onvif/discovery.js')]).then(
      ([{ OnvifSoap }, { OnvifAuth }, { WsDiscovery }]) => {
        const { deps } = this;
        const facts = this.facts();
        const auth = new OnvifAuth({
          authenticator: deps.authenticator,
          limiter: deps.limiter,
          digest: () => ({ realm: DIGEST_REALM, ha1: (user) => deps.recorder?.digestHa1(user) ?? deps.accounts.digestHa1(user) }),
          // The recorder only watches; its name is never an account's (recorder.ts: 'conflict').
          roleOf: (user) => (deps.recorder?.login()?.user === user ? 'viewer' : deps.accounts.roleOf(user)),
          recorder: () => deps.recorder?.login(),
          logger: deps.logger,
          now: deps.now,
        });
        const handler = new OnvifSoap({ facts, auth, claimed: deps.claimed, openViewing: deps.openViewing, logger: deps.logger });
        const newDiscovery = () =>
          new WsDiscovery({
            target: () => this.target(facts),
            isLocal: (address) => isLocalAddress(address),
            interfaceAddresses: () => localInterfaces().flatMap((i) => i.ipv4.map((a) => a.address)),
            logger: deps.logger.child('discovery'),
            now: deps.now,
            port: deps.current().onvif.discoveryPort,
          });
        this.loaded = { handler, newDiscovery };
        deps.logger.info('ONVIF on: device and media services at /onvif/device_service and /onvif/media_service');
        return this.loaded;
      },
    );
    return this.loading;
  }

  private facts(): OnvifFacts {
    const { deps } = this;
    const model = deviceModel();
    return {
      deviceName: deps.deviceName,
      hostname: () => hostname(),
      model: () => model,
      firmware: deps.version,
      serial: () => (this.serial ??= deviceSerial()),
      hardwareId: () => hardwareRevision() || model,
      interfaces: () => localInterfaces(),
      httpPort: deps.httpPort,
      secure: () => deps.current().server.tls !== null,
      rtspPort: deps.rtspPort,
      video: () => {
        const c = deps.current().camera;
        return { codec: c.codec, width: c.width, height: c.height, framerate: c.framerate, quality: c.quality, bitrateKbps: c.bitrateKbps, keyframeIntervalMs: c.keyframeIntervalMs, h264Profile: c.h264Profile };
      },
      users: () => deps.accounts.list(),
      discoverable: () => deps.current().onvif.enabled && deps.current().onvif.discovery,
      now: () => new Date(),
    };
  }

  /** What discovery says: the device service at the address picamd listens on, or at each of the device's. */
  private target(facts: OnvifFacts): Target {
    const { server } = this.deps.current();
    const port = facts.httpPort();
    const scheme = facts.secure() ? 'https' : 'http';
    const standard = (scheme === 'http' && port === 80) || (scheme === 'https' && port === 443);
    const any = server.host === '0.0.0.0' || server.host === '::';
    const addresses = any ? facts.interfaces().flatMap((i) => i.ipv4.map((a) => a.address)) : [server.host];
    return {
      address: `urn:uuid:${deviceUuid(facts.serial())}`,
      scopes: scopesOf(facts),
      xaddrs: addresses.map((a) => `${scheme}://${a.includes(':') ? `[${a}]` : a}${standard ? '' : `:${port}`}${DEVICE_PATH}`),
      metadataVersion: 1,
    };
  }
}

