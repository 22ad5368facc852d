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

/** The default client id: picamd-<device id>. Brokers drop the older of two clients with one id. */
export function defaultClientId(deviceName: string): string {
  return `picamd-${nodeId(deviceName)}`;
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
