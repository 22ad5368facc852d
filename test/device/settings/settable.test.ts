import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configSchema } from '../../../src/device/settings/schema.js';
import { appliesClasses, settingGroups } from '../../../src/device/settings/meta.js';
import { appliesOf, keyProblems, pickSettable, settableLeaves, settingsJsonSchema } from '../../../src/device/settings/settable.js';

type JsonNode = { properties?: Record<string, JsonNode>; anyOf?: JsonNode[]; [key: string]: unknown };

/** The JSON Schema node at a dotted path, through nullable (anyOf) objects. */
function nodeAt(schema: JsonNode, path: string): JsonNode | undefined {
  let node: JsonNode | undefined = schema;
  for (const key of path.split('.')) {
    const object: JsonNode | undefined = node?.properties ? node : node?.anyOf?.find((n) => n.properties);
    node = object?.properties?.[key];
  }
  return node;
}

function leafPaths(node: JsonNode, prefix = ''): string[] {
  const object = node.properties ? node : node.anyOf?.find((n) => n.properties);
  if (!object?.properties) return [prefix];
  return Object.entries(object.properties).flatMap(([k, child]) => leafPaths(child, prefix ? `${prefix}.${k}` : k));
}

test('the device settings are settable, and what must not be is not', () => {
  const keys = settableLeaves.map((l) => l.key);
  for (const key of [
    'server.deviceName', 'server.maxViewers', 'server.viewerStallTimeoutMs', 'server.openViewing', 'privacy.startPaused',
    'gpio.enabled', 'gpio.led.pin', 'gpio.led.activeLow', 'gpio.privacy.pin', 'gpio.privacy.mode',
    'gpio.privacy.activeLow', 'gpio.privacy.debounceMs', 'log.level',
  ]) assert.ok(keys.includes(key), key);
  for (const key of keys) {
    assert.doesNotMatch(key, /^(camera\.(command|extraArgs)|server\.(host|port|tls|auth)|privacy\.stateFile|gpio\.sysfsRoot|settings)/, key);
  }
  for (const leaf of settableLeaves) {
    assert.ok(settingGroups.includes(leaf.meta.group), leaf.key);
    assert.ok(appliesClasses.includes(leaf.meta.applies), leaf.key);
    assert.ok(leaf.meta.title.length > 0 && leaf.meta.description.length > 0, `${leaf.key} has a title and a description`);
  }
  assert.equal(settableLeaves.find((l) => l.key === 'gpio.led.pin')?.meta.applies, 'gpio');
  assert.equal(settableLeaves.find((l) => l.key === 'log.level')?.meta.applies, 'live');
});

test('the JSON Schema for the page has exactly the settable leaves, with meta, bounds, enums and defaults', () => {
  const schema = settingsJsonSchema() as JsonNode;
  assert.deepEqual(leafPaths(schema).sort(), settableLeaves.map((l) => l.key).sort());
  assert.deepEqual(
    { ...nodeAt(schema, 'server.maxViewers') },
    {
      type: 'integer', minimum: 1, maximum: 1000, default: 16, group: 'Device', title: 'Maximum viewers',
      description: 'How many may watch at once; one more is turned away until someone leaves.', applies: 'live',
    },
  );
  assert.equal(nodeAt(schema, 'server.viewerStallTimeoutMs')?.unit, 'ms');
  assert.deepEqual(nodeAt(schema, 'log.level')?.enum, ['debug', 'info', 'warn', 'error']);
  assert.deepEqual(nodeAt(schema, 'gpio.privacy.mode')?.enum, ['button', 'switch']);
  assert.equal(nodeAt(schema, 'server.deviceName')?.maxLength, 64);
  // A nullable section (no LED) stays nullable.
  assert.ok(nodeAt(schema, 'gpio.led')?.anyOf?.some((n) => n.type === 'null'));
  const text = JSON.stringify(schema);
  // The HTTP port is the administrator's (the page could lock itself out); rtsp.port is the page's.
  assert.equal(nodeAt(schema, 'server.port'), undefined);
  assert.equal(nodeAt(schema, 'rtsp.port')?.group, 'RTSP / ONVIF');
  for (const hidden of ['command', 'extraArgs', 'auth', 'passwordHash', 'stateFile', 'sysfsRoot', 'caFile', 'passwordFile']) {
    assert.ok(!text.includes(`"${hidden}"`), hidden);
  }
  // server.tls is the administrator's; mqtt.tls has one settable leaf (rejectUnauthorized), not its file.
  assert.equal(nodeAt(schema, 'server.tls'), undefined);
  assert.deepEqual(Object.keys(nodeAt(schema, 'mqtt.tls')?.properties ?? {}), ['rejectUnauthorized']);
});

test('pickSettable keeps the settable tree of a config, with a null section as null', () => {
  const config = configSchema.parse({ gpio: { led: null }, server: { port: 81 } });
  const values = pickSettable(config) as { server: Record<string, unknown>; gpio: Record<string, unknown> };
  assert.equal(values.gpio.led, null);
  assert.ok(!('port' in values.server));
  assert.ok(!('sysfsRoot' in values.gpio));
  assert.ok(!('settings' in values));
});

test('keyProblems names unknown and non-settable keys, and takes allowed paths as they are', () => {
  assert.deepEqual(keyProblems({ server: { port: 1, typo: 2, deviceName: 'x' }, nope: 1 }), [
    'server.port: cannot be set from the page',
    'server.typo: unknown key',
    'nope: unknown key',
  ]);
  assert.deepEqual(keyProblems({ server: { auth: null } }, ['server.auth']), []);
  assert.deepEqual(keyProblems({ gpio: { led: null, privacy: { pin: 3 } } }), []);
});

test('appliesOf: a leaf its own class, a subtree every class under it, the users live, the rest restart', () => {
  assert.deepEqual([...appliesOf([])], []);
  assert.deepEqual([...appliesOf(['server.deviceName', 'log.level'])], ['live']);
  assert.deepEqual([...appliesOf(['gpio.led'])], ['gpio']);
  assert.deepEqual([...appliesOf(['server.auth.users'])], ['live']);
  assert.deepEqual([...appliesOf(['server.port'])], ['restart']);
  assert.deepEqual([...appliesOf(['gpio.privacy.mode', 'privacy.startPaused'])].sort(), ['gpio', 'live']);
});
