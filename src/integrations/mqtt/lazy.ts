import type { DeviceEvents } from '../../device/events.js';
import type { MqttConfig } from '../../device/settings/mqtt-schema.js';
import type { MqttService, MqttServiceDeps, MqttStatus } from './service.js';

type ServiceModule = { MqttService: typeof MqttService };

/**
 * MQTT loaded only when it is used. With no mqtt.url (the default) the service, its client and its
 * codec are never imported: a camera that does not use MQTT does not pay for it in memory. The
 * module comes at start when mqtt.url is set, or at the settings change that sets it; from then on
 * every call goes to the MqttService, which follows its settings itself. Until then the status is
 * what the service would say with no mqtt.url.
 */
export class LazyMqtt {
  private service: MqttService | undefined;
  private loading: Promise<MqttService> | undefined;
  private running = false;
  private events: DeviceEvents | undefined;
  private offs: Array<() => void> = [];
  private current: MqttStatus = { state: 'off', message: 'not started' };

  constructor(
    private config: MqttConfig,
    private readonly deps: MqttServiceDeps,
    private readonly load: () => Promise<ServiceModule> = () => import('./service.js'),
  ) {}

  /** True once the MQTT service has been loaded (tests). */
  get loaded(): boolean {
    return this.service !== undefined;
  }

  status(): MqttStatus {
    return this.service ? this.service.status() : { ...this.current };
  }

  follow(events: DeviceEvents): () => void {
    this.events = events;
    if (this.service) this.offs.push(this.service.follow(events));
    else {
      this.offs.push(
        events.on('settings', (next, _previous, paths) => {
          if (this.service || !paths.some((p) => p.startsWith('mqtt'))) return;
          this.config = next.mqtt;
          if (this.running && this.config.url !== null) void this.startLoaded();
        }),
      );
    }
    return () => {
      this.events = undefined;
      this.offs.splice(0).forEach((off) => off());
    };
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    if (this.service || this.config.url !== null) return this.startLoaded();
    this.current = { state: 'off', message: 'MQTT is off (no mqtt.url)' };
  }

  async stop(): Promise<void> {
    this.running = false;
    const service = this.loading && (await this.loading.catch(() => undefined));
    if (service) await service.stop();
    this.current = { state: 'off', message: 'stopped' };
  }

  private async startLoaded(): Promise<void> {
    let service: MqttService;
    try {
      service = await this.loaded$();
    } catch (err) {
      this.current = { state: 'error', message: `cannot load MQTT: ${(err as Error).message}` };
      this.deps.logger.error(this.current.message);
      return;
    }
    // Stopped while it loaded: stays stopped.
    if (this.running) await service.start();
  }

  /** The service, loaded once, built from the settings of the moment and following them from then on. */
  private loaded$(): Promise<MqttService> {
    this.loading ??= this.load().then(({ MqttService }) => {
      const service = new MqttService(this.config, this.deps);
      this.service = service;
      if (this.events) this.offs.push(service.follow(this.events));
      return service;
    });
    return this.loading;
  }
}
