import { createHash } from 'node:crypto';

// Topic and id naming, pure. One device, one prefix:
//   <prefix>/availability   "online" | "offline" (retained; "offline" is the last will)
//   <prefix>/state          JSON state document (retained)
//   <prefix>/privacy/set    "ON" | "OFF" commands (subscribed with QoS 1)
//   <prefix>/snapshot       JPEG bytes (not retained: a private device must not leave a picture behind)
//   <discoveryPrefix>/<component>/<nodeId>/<objectId>/config   Home Assistant discovery (retained)

export interface Topics {
  availability: string;
  state: string;
  privacyCommand: string;
  snapshot: string;
}

/** A device name as one topic level: no wildcards, separators or control characters, never empty. */
export function topicLevel(name: string): string {
  const cleaned = name
    .trim()
    .replace(/[/+#\u0000-\u001f\u007f]/g, '_')
    .slice(0, 64);
  return cleaned.length > 0 ? cleaned : 'picamd';
}

/**
 * An id for Home Assistant: its discovery node_id and object_id allow only [a-zA-Z0-9_-].
 * Lower case, anything else becomes '_'.
 */
export function nodeId(name: string): string {
  const cleaned = name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 64);
  return cleaned.length > 0 ? cleaned : 'picamd';
}

/** The default topic prefix for a device: picamd/<device name>. */
export function defaultTopicPrefix(deviceName: string): string {
  return `picamd/${topicLevel(deviceName)}`;
}

/** Every broker must accept client ids of 1 to 23 characters of [0-9a-zA-Z] (MQTT-3.1.3-5). */
export const PORTABLE_CLIENT_ID_LENGTH = 23;

/**
 * The default client id: picamd<device name>, letters and digits only, at most 23 characters, so
 * any broker accepts it (MQTT-3.1.3-5). A longer name keeps its start and a short hash of the whole
 * name, so two long names that share a start still get two ids (a broker drops the older of two
 * clients with one id).
 */
export function defaultClientId(deviceName: string): string {
  const name = deviceName.trim().toLowerCase().replace(/[^a-z0-9]+/g, '');
  const id = `picamd${name}`;
  if (id.length <= PORTABLE_CLIENT_ID_LENGTH) return id;
  const hash = createHash('sha256').update(deviceName.trim()).digest('hex').slice(0, 6);
  return `${id.slice(0, PORTABLE_CLIENT_ID_LENGTH - hash.length)}${hash}`;
}

export function topicsFor(prefix: string): Topics {
  return {
    availability: `${prefix}/availability`,
    state: `${prefix}/state`,
    privacyCommand: `${prefix}/privacy/set`,
    snapshot: `${prefix}/snapshot`,
  };
}

export function discoveryTopic(discoveryPrefix: string, component: string, node: string, objectId: string): string {
  return `${discoveryPrefix}/${component}/${node}/${objectId}/config`;
}
