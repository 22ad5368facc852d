import { STORAGE_STATES } from '../../platform/storage/storage-state.js';
import { discoveryTopic, type Topics } from './topics.js';

// Home Assistant MQTT discovery payloads, pure. One device with a privacy switch, seven diagnostic
// sensors and an MQTT camera fed by snapshots. Keys are the full names (HA also accepts
// abbreviations); https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery

export interface DeviceInfo {
  /** Shown in Home Assistant as the device name. */
  name: string;
  /** Stable id of this device, [a-z0-9_-] (see nodeId). */
  id: string;
  model: string;
  swVersion: string;
  /** The device's page, e.g. http://picamd.local/ ; null when unknown. */
  configurationUrl: string | null;
}

export interface DiscoveryMessage {
  topic: string;
  /** JSON text; the empty string removes the entity (a retained empty message clears the config). */
  payload: string;
}

export interface DiscoveryOptions {
  discoveryPrefix: string;
  topics: Topics;
  device: DeviceInfo;
  /** False when snapshots are off: the camera entity is removed instead of announced. */
  camera: boolean;
}

/** The payloads the switch publishes and accepts. */
export const PAYLOAD_ON = 'ON';
export const PAYLOAD_OFF = 'OFF';
export const PAYLOAD_ONLINE = 'online';
export const PAYLOAD_OFFLINE = 'offline';

interface Entity {
  component: 'switch' | 'sensor' | 'camera';
  objectId: string;
  config: Record<string, unknown>;
}

function sensor(objectId: string, name: string, key: string, extra: Record<string, unknown>): Entity {
  return {
    component: 'sensor',
    objectId,
    config: { name, state_topic: '', value_template: `{{ value_json.${key} }}`, entity_category: 'diagnostic', ...extra },
  };
}

function entities(o: DiscoveryOptions): Entity[] {
  const state = o.topics.state;
  const list: Entity[] = [
    {
      component: 'switch',
      objectId: 'privacy',
      config: {
        name: 'Privacy',
        icon: 'mdi:eye-off',
        command_topic: o.topics.privacyCommand,
        state_topic: state,
        value_template: '{{ value_json.privacy }}',
        payload_on: PAYLOAD_ON,
        payload_off: PAYLOAD_OFF,
        state_on: PAYLOAD_ON,
        state_off: PAYLOAD_OFF,
        optimistic: false,
        qos: 1,
        retain: false,
      },
    },
    sensor('camera_state', 'Camera state', 'camera_state', { icon: 'mdi:camera' }),
    sensor('frame_rate', 'Frame rate', 'fps', {
      unit_of_measurement: 'fps',
      state_class: 'measurement',
      suggested_display_precision: 1,
      icon: 'mdi:filmstrip',
    }),
    sensor('viewers', 'Viewers', 'viewers', { state_class: 'measurement', icon: 'mdi:eye' }),
    sensor('restarts', 'Camera restarts', 'restarts', { state_class: 'total_increasing', icon: 'mdi:restart' }),
    sensor('uptime', 'Uptime', 'uptime_s', {
      device_class: 'duration',
      unit_of_measurement: 's',
      state_class: 'measurement',
      suggested_display_precision: 0,
    }),
    // null on a wired network: the template gives "None", which an MQTT sensor takes as unknown.
    sensor('wifi_signal', 'Wi-Fi signal', 'wifi_signal_dbm', {
      device_class: 'signal_strength',
      unit_of_measurement: 'dBm',
      state_class: 'measurement',
    }),
    // An enum sensor (HA 2023.1+): a full or read-only card can raise an automation before a save fails.
    sensor('storage', 'Memory card', 'storage', {
      device_class: 'enum',
      options: [...STORAGE_STATES],
      icon: 'mdi:micro-sd',
    }),
  ];
  for (const e of list) if (e.component === 'sensor') e.config.state_topic = state;
  list.push({ component: 'camera', objectId: 'camera', config: { name: 'Camera', topic: o.topics.snapshot } });
  return list;
}

/** Every discovery message, in publishing order (retained). */
export function buildDiscovery(o: DiscoveryOptions): DiscoveryMessage[] {
  const device: Record<string, unknown> = {
    identifiers: [`picamd_${o.device.id}`],
    name: o.device.name,
    manufacturer: 'picamd',
    model: o.device.model,
    sw_version: o.device.swVersion,
  };
  if (o.device.configurationUrl) device.configuration_url = o.device.configurationUrl;
  return entities(o).map((e) => {
    const topic = discoveryTopic(o.discoveryPrefix, e.component, o.device.id, e.objectId);
    if (e.component === 'camera' && !o.camera) return { topic, payload: '' };
    const config = {
      ...e.config,
      unique_id: `picamd_${o.device.id}_${e.objectId}`,
      availability_topic: o.topics.availability,
      payload_available: PAYLOAD_ONLINE,
      payload_not_available: PAYLOAD_OFFLINE,
      device,
      origin: { name: 'picamd', sw_version: o.device.swVersion },
    };
    return { topic, payload: JSON.stringify(config) };
  });
}

/** Empty retained configs for every entity: removes the device from Home Assistant. */
export function buildRemoval(o: DiscoveryOptions): DiscoveryMessage[] {
  return buildDiscovery(o).map((m) => ({ topic: m.topic, payload: '' }));
}
