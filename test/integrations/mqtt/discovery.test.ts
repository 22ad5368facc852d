import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildDiscovery, buildRemoval, type DiscoveryOptions } from '../../../src/integrations/mqtt/discovery.js';
import { parsePrivacyCommand, statePayload } from '../../../src/integrations/mqtt/state.js';
import { defaultClientId, defaultTopicPrefix, nodeId, topicLevel, topicsFor } from '../../../src/integrations/mqtt/topics.js';

const options = (over: Partial<DiscoveryOptions> = {}): DiscoveryOptions => ({
  discoveryPrefix: 'homeassistant',
  topics: topicsFor('picamd/Kitchen'),
  device: { name: 'Kitchen', id: 'kitchen', model: 'Raspberry Pi 4', swVersion: '1.2.3', configurationUrl: null },
  camera: true,
  ...over,
});

test('device names become safe topic levels and Home Assistant ids', () => {
  assert.equal(topicLevel('Kitchen cam'), 'Kitchen cam');
  assert.equal(topicLevel(' a/b+c#d\u0001 '), 'a_b_c_d_');
  assert.equal(topicLevel('   '), 'picamd');
  assert.equal(nodeId('Küche Cam #2'), 'k_che_cam_2');
  assert.equal(nodeId('///'), 'picamd');
  assert.equal(defaultTopicPrefix('Kitchen cam'), 'picamd/Kitchen cam');
  assert.equal(defaultClientId('Kitchen cam'), 'picamdkitchencam');
  assert.deepEqual(topicsFor('p'), { availability: 'p/availability', state: 'p/state', privacyCommand: 'p/privacy/set', snapshot: 'p/snapshot' });
});

test('discovery: one config topic per entity, under <prefix>/<component>/<node>/<object>/config', () => {
  const messages = buildDiscovery(options());
  assert.deepEqual(
    messages.map((m) => m.topic),
    ['switch/kitchen/privacy', 'sensor/kitchen/camera_state', 'sensor/kitchen/frame_rate', 'sensor/kitchen/viewers', 'sensor/kitchen/restarts', 'sensor/kitchen/uptime', 'sensor/kitchen/wifi_signal', 'sensor/kitchen/storage', 'camera/kitchen/camera'].map(
      (p) => `homeassistant/${p}/config`,
    ),
  );
  const sw = JSON.parse(messages[0]!.payload) as Record<string, unknown>;
  assert.equal(sw.unique_id, 'picamd_kitchen_privacy');
  assert.equal(sw.state_topic, 'picamd/Kitchen/state');
  assert.equal((sw.device as Record<string, unknown>).configuration_url, undefined, 'left out when unknown');
  for (const m of messages.slice(1, 8)) assert.equal((JSON.parse(m.payload) as Record<string, unknown>).entity_category, 'diagnostic');
  const wifi = JSON.parse(messages[6]!.payload) as Record<string, unknown>;
  assert.deepEqual(
    { device_class: wifi.device_class, unit_of_measurement: wifi.unit_of_measurement, state_class: wifi.state_class, value_template: wifi.value_template },
    { device_class: 'signal_strength', unit_of_measurement: 'dBm', state_class: 'measurement', value_template: '{{ value_json.wifi_signal_dbm }}' },
  );
  const storage = JSON.parse(messages[7]!.payload) as Record<string, unknown>;
  assert.deepEqual(
    { device_class: storage.device_class, options: storage.options, value_template: storage.value_template },
    { device_class: 'enum', options: ['ok', 'low', 'full', 'read-only', 'unknown'], value_template: '{{ value_json.storage }}' },
  );
});

test('without snapshots the camera entity is removed; buildRemoval removes every entity', () => {
  const messages = buildDiscovery(options({ camera: false }));
  assert.equal(messages.at(-1)?.payload, '');
  assert.ok(messages.slice(0, -1).every((m) => m.payload.length > 0));
  assert.ok(buildRemoval(options()).every((m) => m.payload === ''));
});

test('the state document and privacy commands', () => {
  assert.deepEqual(JSON.parse(statePayload({ cameraState: 'backoff', fps: 14.96, viewers: 0, restarts: 3, uptimeS: 59.9, privacy: true })), {
    privacy: 'ON',
    camera_state: 'backoff',
    fps: 15,
    viewers: 0,
    restarts: 3,
    uptime_s: 59,
    wifi_signal_dbm: null,
    storage: null,
  });
  assert.equal(JSON.parse(statePayload({ cameraState: 'streaming', fps: 15, viewers: 0, restarts: 0, uptimeS: 1, privacy: false, storage: 'full' })).storage, 'full');
  assert.equal(JSON.parse(statePayload({ cameraState: 'streaming', fps: 15, viewers: 0, restarts: 0, uptimeS: 1, privacy: false, wifiSignalDbm: -52 })).wifi_signal_dbm, -52);
  for (const on of ['ON', 'on', ' true ', '1']) assert.equal(parsePrivacyCommand(Buffer.from(on)), true, on);
  for (const off of ['OFF', 'false', '0']) assert.equal(parsePrivacyCommand(Buffer.from(off)), false, off);
  for (const bad of ['', 'toggle', '{"state":"ON"}']) assert.equal(parsePrivacyCommand(Buffer.from(bad)), null, bad);
});

test('the default client id is 1 to 23 letters and digits, which every broker must accept (MQTT-3.1.3-5)', () => {
  const names = ['Kitchen cam', '', '///', 'Küche Cam #2', 'a very long device name for the garden shed', 'a very long device name for the front door'];
  const ids = names.map(defaultClientId);
  for (const id of ids) assert.match(id, /^[0-9a-zA-Z]{1,23}$/, id);
  assert.equal(defaultClientId('   '), 'picamd');
  assert.equal(ids[4]!.length, 23);
  assert.notEqual(ids[4], ids[5], 'two long names with one start keep two ids');
  assert.equal(defaultClientId('a very long device name for the garden shed'), ids[4], 'stable');
});
