import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { metricsSchema } from '../../../src/device/settings/metrics-schema.js';
import { mqttSchema, parseBrokerUrl } from '../../../src/device/settings/mqtt-schema.js';
import { configSchema } from '../../../src/device/settings/schema.js';

test('mqtt and metrics are off by default and part of the config', () => {
  const config = configSchema.parse({});
  assert.deepEqual(config.mqtt, {
    url: null,
    username: null,
    password: null,
    passwordFile: null,
    clientId: null,
    topicPrefix: null,
    discovery: true,
    discoveryPrefix: 'homeassistant',
    snapshotIntervalS: 10,
    tls: { caFile: null, rejectUnauthorized: true },
  });
  assert.deepEqual(config.metrics, { open: false });
});

test('broker URLs: mqtt:// or mqtts://, default ports, nothing else', () => {
  assert.deepEqual(parseBrokerUrl('mqtt://broker.local'), { ok: true, tls: false, host: 'broker.local', port: 1883 });
  assert.deepEqual(parseBrokerUrl('mqtts://10.0.0.2'), { ok: true, tls: true, host: '10.0.0.2', port: 8883 });
  assert.deepEqual(parseBrokerUrl('mqtt://[::1]:1884/'), { ok: true, tls: false, host: '::1', port: 1884 });
  const problems = (input: object) => {
    const result = mqttSchema.safeParse(input);
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  assert.deepEqual(problems({ url: 'http://broker' }), ['url: must start with mqtt:// or mqtts://']);
  assert.deepEqual(problems({ url: 'mqtt://u:p@broker' }), ['url: must not contain a user name or password; use mqtt.username and mqtt.password']);
  assert.deepEqual(problems({ url: 'mqtt://broker/x' }), ['url: must not have a path, query or fragment']);
  assert.deepEqual(problems({ url: 'broker' }), ['url: must be a URL like mqtt://broker.local or mqtts://broker.local:8883']);
  assert.deepEqual(problems({ username: 'u', password: 'a', passwordFile: '/run/credentials/p' }), ['passwordFile: set either password or passwordFile, not both']);
  assert.deepEqual(problems({ topicPrefix: 'a/#' }), ['topicPrefix: must not contain "+", "#" or NUL']);
  assert.deepEqual(problems({ topicPrefix: 'a/' }), ['topicPrefix: must not start or end with "/"']);
  assert.deepEqual(problems({ snapshotIntervalS: -1 }).length, 1);
  assert.deepEqual(problems({ brokr: 'x' }).length, 1, 'unknown keys are errors');
});

test('settable leaves carry Device meta applied live; file paths do not', () => {
  const schema = z.toJSONSchema(z.strictObject({ mqtt: mqttSchema, metrics: metricsSchema }), { io: 'input' }) as {
    properties: Record<string, { properties: Record<string, Record<string, unknown> & { properties?: Record<string, Record<string, unknown>> }> }>;
  };
  const mqtt = schema.properties.mqtt!.properties;
  for (const key of ['url', 'username', 'password', 'clientId', 'topicPrefix', 'discovery', 'discoveryPrefix', 'snapshotIntervalS']) {
    assert.equal(mqtt[key]?.group, 'Device', key);
    assert.equal(mqtt[key]?.applies, 'live', key);
    assert.equal(typeof mqtt[key]?.title, 'string', key);
    assert.equal(typeof mqtt[key]?.description, 'string', key);
  }
  assert.equal(mqtt.password?.secret, true);
  assert.equal(mqtt.tls?.properties?.rejectUnauthorized?.group, 'Device');
  assert.equal(mqtt.passwordFile?.group, undefined);
  assert.equal(mqtt.tls?.properties?.caFile?.group, undefined);
  assert.equal(schema.properties.metrics!.properties.open?.group, 'Device');
});

test('a password or password file needs a user name (MQTT-3.1.2-22)', () => {
  const problems = (input: object) => {
    const result = mqttSchema.safeParse(input);
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  assert.deepEqual(problems({ password: 'secret' }), ['password: needs mqtt.username too (MQTT sends no password without a user name)']);
  assert.deepEqual(problems({ passwordFile: '/run/credentials/p' }), ['passwordFile: needs mqtt.username too (MQTT sends no password without a user name)']);
  assert.deepEqual(problems({ username: 'cam', password: 'secret' }), []);
  assert.deepEqual(problems({ username: 'cam' }), [], 'a user name alone is allowed');
});

test('the topic and discovery prefixes may not start with $, the broker\'s own topics (MQTT-4.7.2-1)', () => {
  for (const key of ['topicPrefix', 'discoveryPrefix']) {
    const result = mqttSchema.safeParse({ [key]: '$SYS/picamd' });
    assert.equal(result.success, false, key);
    assert.match(result.error!.issues[0]!.message, /must not start with "\$"/);
    assert.equal(mqttSchema.safeParse({ [key]: 'home/$cam' }).success, true, 'a $ further in is an ordinary character');
  }
});
