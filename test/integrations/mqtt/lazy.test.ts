import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeviceEvents } from '../../../src/device/events.js';
import { mqttSchema, type MqttConfig } from '../../../src/device/settings/mqtt-schema.js';
import { LazyMqtt } from '../../../src/integrations/mqtt/lazy.js';
import type { MqttService, MqttServiceDeps, MqttStatus } from '../../../src/integrations/mqtt/service.js';
import { memoryLogger } from '../../fakes/logger.js';

// MQTT off (no mqtt.url) loads nothing; the settings change that sets a URL loads it and starts it.

/** Stands in for MqttService: records what was built, started and stopped, and follows settings. */
class FakeService {
  static built: FakeService[] = [];
  calls: string[] = [];
  followed = 0;
  constructor(readonly config: MqttConfig) {
    FakeService.built.push(this);
  }
  status(): MqttStatus {
    return { state: 'connecting', message: `to ${this.config.url}` };
  }
  async start(): Promise<void> {
    this.calls.push('start');
  }
  async stop(): Promise<void> {
    this.calls.push('stop');
  }
  follow(): () => void {
    this.followed++;
    return () => this.followed--;
  }
}

function fakeEvents() {
  const listeners: Array<(next: { mqtt: MqttConfig }, previous: unknown, paths: string[]) => void> = [];
  const events = {
    on: (event: string, listener: (typeof listeners)[number]) => {
      if (event === 'settings') listeners.push(listener);
      return () => listeners.splice(listeners.indexOf(listener), 1);
    },
  } as unknown as DeviceEvents;
  return { events, listeners, change: (mqtt: MqttConfig, paths: string[]) => listeners.slice().forEach((l) => l({ mqtt }, undefined, paths)) };
}

function setup(config: MqttConfig) {
  FakeService.built = [];
  let loads = 0;
  const deps = { logger: memoryLogger() } as unknown as MqttServiceDeps;
  const lazy = new LazyMqtt(config, deps, async () => {
    loads++;
    return { MqttService: FakeService as unknown as typeof MqttService };
  });
  return { lazy, loads: () => loads };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test('no mqtt.url: the service is never loaded, and the status says what the service would', async () => {
  const { lazy, loads } = setup(mqttSchema.parse({}));
  const { events, change } = fakeEvents();
  assert.deepEqual(lazy.status(), { state: 'off', message: 'not started' });
  const off = lazy.follow(events);
  await lazy.start();
  assert.deepEqual(lazy.status(), { state: 'off', message: 'MQTT is off (no mqtt.url)' });
  change(mqttSchema.parse({ topicPrefix: 'cams/a' }), ['mqtt.topicPrefix']);
  change(mqttSchema.parse({}), ['server.deviceName']);
  await settle();
  assert.equal(loads(), 0);
  assert.equal(lazy.loaded, false);
  await lazy.stop();
  assert.deepEqual(lazy.status(), { state: 'off', message: 'stopped' });
  off();
});

test('a URL at start: loaded and started once; a URL set later by the settings: loaded then, started, following its settings', async () => {
  {
    const { lazy, loads } = setup(mqttSchema.parse({ url: 'mqtt://broker.local' }));
    const { events } = fakeEvents();
    const off = lazy.follow(events);
    await lazy.start();
    await lazy.start();
    assert.equal(loads(), 1);
    const [service] = FakeService.built;
    assert.deepEqual(service!.calls, ['start']);
    assert.equal(service!.followed, 1, 'the service follows the device events itself');
    assert.deepEqual(lazy.status(), { state: 'connecting', message: 'to mqtt://broker.local' });
    await lazy.stop();
    off();
    assert.deepEqual(service!.calls, ['start', 'stop']);
    assert.equal(service!.followed, 0);
  }
  {
    const { lazy, loads } = setup(mqttSchema.parse({}));
    const { events, change, listeners } = fakeEvents();
    const off = lazy.follow(events);
    await lazy.start();
    change(mqttSchema.parse({ url: 'mqtt://broker.local:1884' }), ['mqtt.url']);
    await settle();
    assert.equal(loads(), 1);
    const [service] = FakeService.built;
    assert.equal(service!.config.url, 'mqtt://broker.local:1884', 'built from the new settings');
    assert.deepEqual(service!.calls, ['start']);
    assert.equal(service!.followed, 1);
    // Later changes are the service's own (its follow), not loaded or started again.
    change(mqttSchema.parse({ url: 'mqtt://other.local' }), ['mqtt.url']);
    await settle();
    assert.equal(loads(), 1);
    assert.equal(FakeService.built.length, 1);
    off();
    assert.equal(listeners.length, 0, 'every subscription is undone');
    assert.equal(service!.followed, 0);
    await lazy.stop();
    assert.deepEqual(service!.calls, ['start', 'stop']);
  }
});

test('a URL set while stopped is loaded only at the next start', async () => {
  const { lazy, loads } = setup(mqttSchema.parse({}));
  const { events, change } = fakeEvents();
  lazy.follow(events);
  change(mqttSchema.parse({ url: 'mqtt://broker.local' }), ['mqtt.url']);
  await settle();
  assert.equal(loads(), 0);
  await lazy.start();
  assert.equal(loads(), 1);
  assert.deepEqual(FakeService.built[0]!.calls, ['start']);
  await lazy.stop();
});
