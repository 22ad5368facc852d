import { z } from 'zod';

// The `mqtt` section: a broker to report to (Home Assistant discovery, state, commands, snapshots).
// Every leaf the page may change carries .meta({ group, title, description, applies }); file paths
// (passwordFile, tls.caFile) are the administrator's and stay in the config file.

const device = (title: string, description: string, extra: Record<string, unknown> = {}) =>
  ({ group: 'Device', title, description, applies: 'live', ...extra }) as const;

/** mqtt://host[:port] or mqtts://host[:port], nothing else. */
export function parseBrokerUrl(value: string): { ok: true; tls: boolean; host: string; port: number } | { ok: false; message: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, message: 'must be a URL like mqtt://broker.local or mqtts://broker.local:8883' };
  }
  if (url.protocol !== 'mqtt:' && url.protocol !== 'mqtts:') return { ok: false, message: 'must start with mqtt:// or mqtts://' };
  if (!url.hostname) return { ok: false, message: 'has no host name' };
  if (url.username || url.password) return { ok: false, message: 'must not contain a user name or password; use mqtt.username and mqtt.password' };
  if ((url.pathname && url.pathname !== '/') || url.search || url.hash) return { ok: false, message: 'must not have a path, query or fragment' };
  const tls = url.protocol === 'mqtts:';
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { ok: true, tls, host, port: url.port ? Number(url.port) : tls ? 8883 : 1883 };
}

// A host name is at most 253 characters; the cap keeps settings.json's size bounded (test/device/settings/file-bounds.test.ts).
const brokerUrl = z.string().max(1024).superRefine((value, ctx) => {
  const parsed = parseBrokerUrl(value);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message });
});

/**
 * Topic levels we build on: no wildcards, no NUL, no empty level at either end, and not the
 * broker's own `$` topics ($SYS/...), which clients must not use (MQTT-4.7.2-1).
 */
const topicPrefix = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^+#\u0000]+$/, 'must not contain "+", "#" or NUL')
  .refine((v) => !v.startsWith('/') && !v.endsWith('/'), 'must not start or end with "/"')
  .refine((v) => !v.startsWith('$'), 'must not start with "$" (topics of the broker itself, such as $SYS)');

const mqttTlsSchema = z.strictObject({
  /** PEM file with the CA (or the broker's self-signed certificate) to trust; null: the system's CAs. */
  caFile: z.string().min(1).nullable().default(null),
  rejectUnauthorized: z
    .boolean()
    .default(true)
    .meta(device('Check the broker certificate', 'Refuse a broker whose certificate is not trusted; turn off only for a test broker.')),
});

export const mqttSchema = z
  .strictObject({
    url: brokerUrl
      .nullable()
      .default(null)
      .meta(device('MQTT broker', 'mqtt://host[:port] or mqtts://host[:port] of the broker, e.g. the Home Assistant Mosquitto add-on; empty turns MQTT off.')),
    username: z
      .string()
      .min(1)
      .max(256)
      .nullable()
      .default(null)
      .meta(device('MQTT user', 'User name for the broker; empty for an anonymous login.')),
    password: z
      .string()
      .min(1)
      .max(1024)
      .nullable()
      .default(null)
      .meta(device('MQTT password', 'Password for the broker.', { secret: true })),
    /** File holding the password (first line), e.g. a systemd credential; instead of `password`. */
    passwordFile: z.string().min(1).nullable().default(null),
    clientId: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
      .nullable()
      .default(null)
      .meta(device('MQTT client id', 'Client id at the broker; empty means picamd<device name> (letters and digits, at most 23 characters).')),
    topicPrefix: topicPrefix
      .nullable()
      .default(null)
      .meta(device('MQTT topic prefix', 'Topics start with this; empty means picamd/<device name>.')),
    discovery: z
      .boolean()
      .default(true)
      .meta(device('Home Assistant discovery', 'Announce the camera, privacy switch and sensors to Home Assistant.')),
    discoveryPrefix: topicPrefix
      .default('homeassistant')
      .meta(device('Discovery prefix', 'Home Assistant\'s discovery prefix (its MQTT integration setting).')),
    snapshotIntervalS: z
      .number()
      .int()
      .min(0)
      .max(86_400)
      .default(10)
      .meta(device('Snapshot interval (s)', 'Publish a still picture this many seconds apart for the MQTT camera entity; 0 publishes none.')),
    tls: mqttTlsSchema.prefault({}),
  })
  .superRefine((value, ctx) => {
    if (value.password !== null && value.passwordFile !== null) {
      ctx.addIssue({ code: 'custom', path: ['passwordFile'], message: 'set either password or passwordFile, not both' });
    }
    // A password flag without the user name flag is a malformed CONNECT (MQTT-3.1.2-22).
    if (value.username === null && (value.password !== null || value.passwordFile !== null)) {
      const key = value.password !== null ? 'password' : 'passwordFile';
      ctx.addIssue({ code: 'custom', path: [key], message: 'needs mqtt.username too (MQTT sends no password without a user name)' });
    }
  });

export type MqttConfig = z.infer<typeof mqttSchema>;
