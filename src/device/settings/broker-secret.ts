import { parseBrokerUrl } from './mqtt-schema.js';
import { deepMerge, isPlainObject, type Tree } from './tree.js';

// A broker password is kept for the broker it was entered for. Whoever can change mqtt.url from the
// page must not be able to send the kept password (or the contents of mqtt.passwordFile) to a broker
// of their own: a change of host or port drops it unless a password comes with the change.

/** The broker a URL names, as host:port (a different scheme on one host and port is the same broker); null for none. */
export function brokerOf(url: unknown): string | null {
  if (typeof url !== 'string') return null;
  const parsed = parseBrokerUrl(url);
  return parsed.ok ? `${parsed.host.toLowerCase()}:${parsed.port}` : null;
}

function mqttOf(tree: Tree): Tree {
  return isPlainObject(tree.mqtt) ? tree.mqtt : {};
}

/**
 * mqtt.passwordFile is the administrator's, for the broker the config file names: in a merged tree
 * whose mqtt.url names another broker (or where the config file names none), it is dropped.
 */
export function passwordFileForItsBroker(base: Tree, merged: Tree): Tree {
  const mqtt = mqttOf(merged);
  if (mqtt.passwordFile === undefined || mqtt.passwordFile === null) return merged;
  const own = brokerOf(mqttOf(base).url);
  const now = brokerOf(mqtt.url);
  if (now === null || now === own) return merged;
  return deepMerge(merged, { mqtt: { passwordFile: null } }) as Tree;
}

/**
 * A settings layer about to be saved, with the kept password dropped when the change points MQTT at
 * another broker and brings no password of its own (`sent`). Turning MQTT off keeps it: it goes
 * nowhere, and turning MQTT on at another broker later drops it then.
 */
export function forgetPasswordOnNewBroker(candidate: Tree, previousUrl: string | null, nextUrl: string | null, sent: boolean): Tree {
  const next = brokerOf(nextUrl);
  if (sent || next === null || next === brokerOf(previousUrl)) return candidate;
  return deepMerge(candidate, { mqtt: { password: null } }) as Tree;
}

/** Whether a settings body sends a password of its own (not absent, not the kept one put back). */
export function sendsPassword(body: Tree, kept: readonly string[]): boolean {
  return typeof mqttOf(body).password === 'string' && !kept.includes('mqtt.password');
}
