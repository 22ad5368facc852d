import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { mqttSchema } from '../../../src/device/settings/mqtt-schema.js';
import { mqttPrivacyPort, mqttStatusSnapshot } from '../../../src/integrations/mqtt/adapters.js';
import { MqttService } from '../../../src/integrations/mqtt/service.js';
import { PrivacyController } from '../../../src/device/privacy/controller.js';
import { monotonicNow, realTimers } from '../../../src/platform/clock.js';
import { Broadcaster } from '../../../src/media/broadcaster.js';
import { snapshotOf } from '../../../src/media/snapshot.js';
import { freePort, projectRoot } from '../../fakes/app.js';
import { memoryLogger } from '../../fakes/logger.js';
import { FakeCamera, MemoryPrivacyStore } from '../../fakes/privacy.js';
import { publish, selfSignedCertificate, skipWithoutMosquitto, startBroker, subscribe, type Message } from '../../fakes/mosquitto.js';
import { createTestService, TEST_PREFIX, testJpeg } from '../../fakes/mqtt-service.js';
import { tempDir } from '../../fakes/temp-dir.js';
import { waitFor } from '../../fakes/wait.js';

// The MQTT service against a real Mosquitto broker, observed with mosquitto_sub.

const keys = JSON.parse(readFileSync(join(projectRoot, 'test/fixtures/homeassistant/mqtt-discovery-keys.json'), 'utf8')) as {
  common: string[];
  device: string[];
  origin: string[];
  entity_category: string[];
  sensor_state_class: string[];
  sensor_device_class_units: Record<string, string[]>;
} & Record<'switch' | 'sensor' | 'camera', { required: string[]; keys: string[] }>;

const topic = {
  availability: `${TEST_PREFIX}/availability`,
  state: `${TEST_PREFIX}/state`,
  command: `${TEST_PREFIX}/privacy/set`,
  snapshot: `${TEST_PREFIX}/snapshot`,
};
const text = (m: Message | undefined) => m?.payload.toString('utf8');
const stateOf = (m: Message) => JSON.parse(m.payload.toString('utf8')) as Record<string, unknown>;

async function connected(service: MqttService): Promise<void> {
  await waitFor(`MQTT connected (status: ${JSON.stringify(service.status())})`, () => service.status().state === 'connected');
}

test('announces one Home Assistant device whose discovery payloads use only keys HA accepts', { skip: skipWithoutMosquitto }, async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const logger = memoryLogger();
  const { service } = createTestService({ url: `mqtt://127.0.0.1:${broker.port}` }, logger);
  t.after(() => service.stop());
  await service.start();
  await connected(service);

  // A subscriber arriving later gets the retained configs, availability and state.
  const sub = await subscribe(broker.port, 'homeassistant/#', `${TEST_PREFIX}/#`);
  t.after(() => sub.stop());
  const expected = ['switch/test_cam/privacy', 'sensor/test_cam/camera_state', 'sensor/test_cam/frame_rate', 'sensor/test_cam/viewers', 'sensor/test_cam/restarts', 'sensor/test_cam/uptime', 'sensor/test_cam/wifi_signal', 'sensor/test_cam/storage', 'camera/test_cam/camera'];
  for (const path of expected) await sub.waitFor(`homeassistant/${path}/config`);
  assert.equal(text(await sub.waitFor(topic.availability)), 'online');
  assert.equal(sub.last(topic.availability)?.retained, true);
  const state = await sub.waitFor(topic.state);
  assert.equal(state.retained, true);
  assert.deepEqual(stateOf(state), { privacy: 'OFF', camera_state: 'streaming', fps: 30, viewers: 2, restarts: 1, uptime_s: 12, wifi_signal_dbm: null, storage: null });

  const uniqueIds = new Set<string>();
  let device: unknown;
  for (const path of expected) {
    const m = sub.last(`homeassistant/${path}/config`)!;
    assert.equal(m.retained, true, `${path} is retained`);
    const component = path.split('/')[0] as 'switch' | 'sensor' | 'camera';
    const config = JSON.parse(m.payload.toString('utf8')) as Record<string, unknown>;
    const accepted = new Set([...keys.common, ...keys[component].keys]);
    for (const key of Object.keys(config)) assert.ok(accepted.has(key), `${path}: "${key}" is not a ${component} key`);
    for (const key of keys[component].required) assert.ok(config[key], `${path}: needs ${key}`);
    for (const key of Object.keys(config.device as object)) assert.ok(keys.device.includes(key), `${path}: device.${key}`);
    for (const key of Object.keys(config.origin as object)) assert.ok(keys.origin.includes(key), `${path}: origin.${key}`);
    assert.equal(config.availability_topic, topic.availability);
    if (config.entity_category !== undefined) assert.ok(keys.entity_category.includes(config.entity_category as string));
    if (config.state_class !== undefined) assert.ok(keys.sensor_state_class.includes(config.state_class as string));
    if (config.device_class === 'enum') {
      // HA's MQTT sensor: options only with the enum class, which takes no unit and no state class.
      assert.ok(Array.isArray(config.options) && config.options.length > 0, `${path}: options of enum`);
      assert.equal(config.unit_of_measurement ?? config.state_class, undefined, `${path}: an enum has no unit or state class`);
    } else if (config.device_class !== undefined && component === 'sensor') {
      assert.ok(keys.sensor_device_class_units[config.device_class as string]?.includes(config.unit_of_measurement as string), `${path}: unit of ${config.device_class}`);
    }
    // Every value_template reads a key the state document has.
    const templateKey = /value_json\.(\w+)/.exec(String(config.value_template ?? ''))?.[1];
    if (templateKey) assert.ok(templateKey in stateOf(state), `${path}: ${templateKey} in the state`);
    assert.ok(!uniqueIds.has(config.unique_id as string));
    uniqueIds.add(config.unique_id as string);
    device ??= config.device;
    assert.deepEqual(config.device, device, 'one device for all entities');
  }
  assert.deepEqual(device, {
    identifiers: ['picamd_test_cam'],
    name: 'Test Cam',
    manufacturer: 'picamd',
    model: 'Raspberry Pi Zero 2 W Rev 1.0',
    sw_version: '0.1.0',
    configuration_url: 'http://test-cam.local/',
  });
  const privacy = JSON.parse(text(sub.last('homeassistant/switch/test_cam/privacy/config'))!) as Record<string, unknown>;
  assert.equal(privacy.command_topic, topic.command);
  assert.equal(privacy.qos, 1);
  const camera = JSON.parse(text(sub.last('homeassistant/camera/test_cam/camera/config'))!) as Record<string, unknown>;
  assert.equal(camera.topic, topic.snapshot);

  // Snapshots: the JPEG itself, not retained.
  const snapshot = await sub.waitFor(topic.snapshot);
  assert.ok(snapshot.payload.equals(testJpeg));
  assert.equal(snapshot.retained, false);

  // A clean stop says offline (a clean DISCONNECT does not fire the will).
  const before = sub.messages.length;
  await service.stop();
  assert.equal(text(await sub.waitFor(topic.availability, () => true, before)), 'offline');
});

test('privacy over MQTT goes through the port; a latched switch refuses and the switch shows the real state', { skip: skipWithoutMosquitto }, async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const logger = memoryLogger();
  const { service, privacy, snapshotCalls } = createTestService({ url: `mqtt://127.0.0.1:${broker.port}` }, logger);
  t.after(() => service.stop());
  const sub = await subscribe(broker.port, `${TEST_PREFIX}/#`);
  t.after(() => sub.stop());
  await service.start();
  await connected(service);
  await sub.waitFor(topic.snapshot);

  let from = sub.messages.length;
  publish(broker.port, topic.command, 'ON');
  await sub.waitFor(topic.state, (m) => stateOf(m).privacy === 'ON', from);
  assert.deepEqual(privacy.calls, [{ enabled: true, source: 'mqtt' }]);
  assert.equal(privacy.enabled, true);

  // While private no snapshot is taken or sent: wait for several state publishes (500 ms apart),
  // longer than two snapshot intervals.
  const snapshotsBefore = sub.messages.filter((m) => m.topic === topic.snapshot).length;
  from = sub.messages.length;
  await waitFor('three state publishes', () => sub.messages.slice(from).filter((m) => m.topic === topic.state).length >= 5);
  assert.equal(sub.messages.filter((m) => m.topic === topic.snapshot).length, snapshotsBefore);
  assert.equal(snapshotCalls.whilePrivate, 0);

  // The hardware switch latches privacy on: OFF from Home Assistant is refused and the state stays ON.
  privacy.latched = true;
  from = sub.messages.length;
  publish(broker.port, topic.command, 'OFF');
  const after = await sub.waitFor(topic.state, () => privacy.calls.length === 2, from);
  assert.deepEqual(privacy.calls[1], { enabled: false, source: 'mqtt' });
  assert.equal(stateOf(after).privacy, 'ON');
  assert.equal(privacy.enabled, true);
  assert.ok(logger.lines.some((l) => /privacy off from MQTT refused: the privacy switch is on/.test(l)));

  // Nonsense payloads are ignored with a warning, never passed on.
  publish(broker.port, topic.command, 'maybe');
  await waitFor('the warning', () => logger.lines.some((l) => l.includes('ignored privacy command "maybe"')));
  assert.equal(privacy.calls.length, 2);

  // Switch released: OFF works and snapshots resume.
  privacy.latched = false;
  from = sub.messages.length;
  publish(broker.port, topic.command, 'OFF');
  await sub.waitFor(topic.state, (m) => stateOf(m).privacy === 'OFF', from);
  await sub.waitFor(topic.snapshot, () => true, from);
});

test('SIGKILL of the process makes the broker publish the last will "offline"', { skip: skipWithoutMosquitto }, async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const sub = await subscribe(broker.port, topic.availability);
  t.after(() => sub.stop());
  const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'test/fakes/mqtt-child.ts'), `mqtt://127.0.0.1:${broker.port}`], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(`the child to connect (output: ${out})`, () => out.includes('connected\n'), 30_000);
  await sub.waitFor(topic.availability, (m) => text(m) === 'online');
  const from = sub.messages.length;
  child.kill('SIGKILL');
  await exited;
  const will = await sub.waitFor(topic.availability, () => true, from);
  assert.equal(text(will), 'offline');
  // Retained: whoever subscribes later also sees the device offline.
  const late = await subscribe(broker.port, topic.availability);
  t.after(() => late.stop());
  const seen = await late.waitFor(topic.availability);
  assert.equal(text(seen), 'offline');
  assert.equal(seen.retained, true);
});

test('after a broker restart the service reconnects, subscribes again and republishes everything', { skip: skipWithoutMosquitto }, async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const logger = memoryLogger();
  const { service, privacy } = createTestService({ url: `mqtt://127.0.0.1:${broker.port}` }, logger);
  t.after(() => service.stop());
  await service.start();
  await connected(service);

  await broker.restart(); // no persistence: the retained messages are gone
  await waitFor('the loss to be seen', () => service.status().state !== 'connected' || logger.lines.some((l) => l.includes('connected to') && l.includes('again')));
  await connected(service);
  const sub = await subscribe(broker.port, 'homeassistant/#', `${TEST_PREFIX}/#`);
  t.after(() => sub.stop());
  await sub.waitFor('homeassistant/switch/test_cam/privacy/config');
  assert.equal(text(await sub.waitFor(topic.availability)), 'online');
  await sub.waitFor(topic.state);
  const from = sub.messages.length;
  publish(broker.port, topic.command, 'ON');
  await sub.waitFor(topic.state, (m) => stateOf(m).privacy === 'ON', from);
  assert.deepEqual(privacy.calls, [{ enabled: true, source: 'mqtt' }]);
  assert.ok(logger.lines.some((l) => /^warn mqtt|^warn .*connection lost/.test(l)), logger.lines.join('\n'));
});

test('wrong credentials: one clear log line, an error status, retries without flooding, no crash', { skip: skipWithoutMosquitto }, async (t) => {
  const broker = await startBroker({ users: { picamd: 'correct horse battery' } });
  t.after(() => broker.stop());
  const logger = memoryLogger();
  const { service } = createTestService({ url: `mqtt://127.0.0.1:${broker.port}`, username: 'picamd', password: 'wrong password' }, logger);
  t.after(() => service.stop());
  await service.start();
  await waitFor('five refused attempts', () => logger.lines.filter((l) => l.startsWith('debug') && l.includes('refused')).length >= 4, 30_000);
  const status = service.status();
  assert.equal(status.state, 'error');
  assert.match(status.message, /refused the login/);
  const loud = logger.lines.filter((l) => !l.startsWith('debug') && !l.startsWith('info'));
  assert.equal(loud.length, 1, loud.join('\n'));
  assert.match(loud[0]!, /^warn cannot connect to mqtt:\/\/127\.0\.0\.1:\d+: the broker refused the login .*check mqtt\.username/);

  // The right password from a file connects.
  const dir = await tempDir(t, 'mqtt');
  writeFileSync(join(dir, 'password'), 'correct horse battery\n', { mode: 0o600 });
  await service.reconfigure(
    mqttSchema.parse({ url: `mqtt://127.0.0.1:${broker.port}`, topicPrefix: TEST_PREFIX, username: 'picamd', passwordFile: join(dir, 'password') }),
  );
  await connected(service);
});

test('a broker that is down: an error status and one log line, then it connects when the broker comes', { skip: skipWithoutMosquitto }, async (t) => {
  const port = await freePort();
  const logger = memoryLogger();
  const { service } = createTestService({ url: `mqtt://127.0.0.1:${port}` }, logger);
  t.after(() => service.stop());
  await service.start();
  await waitFor('three attempts', () => logger.lines.filter((l) => l.startsWith('debug')).length >= 2, 30_000);
  assert.equal(service.status().state, 'error');
  assert.match(service.status().message, /connection refused/);
  assert.equal(logger.lines.filter((l) => l.startsWith('warn')).length, 1);
  const broker = await startBroker({ port });
  t.after(() => broker.stop());
  await connected(service);
});

test('TLS with a self-signed broker certificate: trusted through caFile, refused without it', { skip: skipWithoutMosquitto }, async (t) => {
  const dir = await tempDir(t, 'mqtt-tls');
  const certificate = selfSignedCertificate(dir);
  const broker = await startBroker({ tls: certificate });
  t.after(() => broker.stop());
  const sub = await subscribe(broker.port, topic.availability);
  t.after(() => sub.stop());

  const untrusted = createTestService({ url: `mqtts://127.0.0.1:${broker.tlsPort}`, clientId: 'untrusted' }, memoryLogger());
  t.after(() => untrusted.service.stop());
  await untrusted.service.start();
  await waitFor('the certificate to be refused', () => untrusted.service.status().state === 'error');
  assert.match(untrusted.service.status().message, /TLS: .*self[- ]signed.*caFile/i);
  await untrusted.service.stop();

  const logger = memoryLogger();
  const trusted = createTestService({ url: `mqtts://localhost:${broker.tlsPort}`, tls: { caFile: certificate.cert, rejectUnauthorized: true } }, logger);
  t.after(() => trusted.service.stop());
  await trusted.service.start();
  await connected(trusted.service);
  assert.equal(text(await sub.waitFor(topic.availability, (m) => text(m) === 'online')), 'online');
});

test('settings apply live: a new config reconnects; no snapshots removes the camera entity, discovery off removes all', { skip: skipWithoutMosquitto }, async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const logger = memoryLogger();
  const { service } = createTestService({ url }, logger);
  t.after(() => service.stop());
  const sub = await subscribe(broker.port, 'homeassistant/#', `${TEST_PREFIX}/#`);
  t.after(() => sub.stop());
  await service.start();
  await connected(service);
  const cameraConfig = 'homeassistant/camera/test_cam/camera/config';
  const privacyConfig = 'homeassistant/switch/test_cam/privacy/config';
  await sub.waitFor(cameraConfig, (m) => m.payload.length > 0);

  // The same config again changes nothing (no reconnect).
  const connects = () => logger.lines.filter((l) => l.startsWith('info connected to')).length;
  await service.reconfigure(mqttSchema.parse({ url, topicPrefix: TEST_PREFIX, snapshotIntervalS: 1 }));
  assert.equal(connects(), 1);

  // Home Assistant restarting asks for discovery again through homeassistant/status.
  let from = sub.messages.length;
  publish(broker.port, 'homeassistant/status', 'online');
  await sub.waitFor(privacyConfig, (m) => m.payload.length > 0, from);

  from = sub.messages.length;
  await service.reconfigure(mqttSchema.parse({ url, topicPrefix: TEST_PREFIX, snapshotIntervalS: 0 }));
  await sub.waitFor(cameraConfig, (m) => m.payload.length === 0, from);
  await connected(service);
  assert.equal(connects(), 2);
  assert.ok(sub.messages.slice(from).some((m) => m.topic === topic.availability && text(m) === 'offline'), 'the old session said goodbye');

  from = sub.messages.length;
  await service.reconfigure(mqttSchema.parse({ url, topicPrefix: TEST_PREFIX, discovery: false }));
  await sub.waitFor(privacyConfig, (m) => m.payload.length === 0, from);
  // A late subscriber finds no retained config any more, only the device's own topics.
  await waitFor('the state after reconnecting', () => sub.messages.slice(from).some((m) => m.topic === topic.state));
  const late = await subscribe(broker.port, 'homeassistant/+/test_cam/#');
  t.after(() => late.stop());
  assert.deepEqual(late.messages.filter((m) => !m.topic.startsWith('picamd-test/')), []);

  // MQTT off: status off, nothing connected.
  await service.reconfigure(mqttSchema.parse({ url: null }));
  assert.deepEqual(service.status(), { state: 'off', message: 'MQTT is off (no mqtt.url)' });
});

test('a broker that accepts the connection but never answers: the attempt times out and is retried', { skip: skipWithoutMosquitto }, async (t) => {
  const sockets: Socket[] = [];
  let closedByPeer = 0;
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.resume(); // read (and ignore) the CONNECT
    socket.on('close', () => closedByPeer++);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const port = (server.address() as { port: number }).port;
  const logger = memoryLogger();
  const { service } = createTestService({ url: `mqtt://127.0.0.1:${port}` }, logger, { connectTimeoutMs: 300 });
  t.after(() => service.stop());
  await service.start();
  await waitFor('three timed-out attempts', () => sockets.length >= 3 && service.status().state === 'error', 30_000);
  assert.match(service.status().message, /no answer from the broker within 0\.3 s/);
  assert.equal(logger.lines.filter((l) => l.startsWith('warn')).length, 1, logger.lines.join('\n'));
  // Every timed-out attempt's socket was closed by picamd, not left open.
  await waitFor('the timed-out sockets to be closed', () => closedByPeer >= 2);
});

test('wired as the composition root will: the real privacy controller, broadcaster and snapshot rule', { skip: skipWithoutMosquitto }, async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const privacy = new PrivacyController({ store: new MemoryPrivacyStore(), startPaused: false, logger: memoryLogger() });
  const camera = new FakeCamera();
  privacy.bindCamera(camera);
  await privacy.start();
  const broadcaster = new Broadcaster(monotonicNow, 4);
  const frames = setInterval(() => broadcaster.publish(testJpeg, true), 50);
  t.after(() => clearInterval(frames));
  const cameraState = () => (privacy.enabled ? 'paused' : 'streaming') as 'paused' | 'streaming';
  const startedAtMs = monotonicNow();
  const mqtt = new MqttService(mqttSchema.parse({ url: `mqtt://127.0.0.1:${broker.port}`, snapshotIntervalS: 1 }), {
    logger: memoryLogger(),
    timers: realTimers,
    now: monotonicNow,
    device: () => ({ name: 'Porch', model: 'Raspberry Pi 4 Model B Rev 1.5', version: '0.1.0', configurationUrl: 'http://porch.local/' }),
    readStatus: () =>
      mqttStatusSnapshot({ camera: { state: cameraState(), restarts: 0 }, fpsIn: 20, viewers: broadcaster.viewerCount, nowMs: monotonicNow(), startedAtMs, privacy }),
    setPrivacy: mqttPrivacyPort(privacy),
    snapshot: () => {
      const r = snapshotOf({ privacy: privacy.enabled, camera: { state: cameraState(), detail: '' }, framerate: 20, latestLive: (ms) => broadcaster.latestLive(ms) });
      return 'jpeg' in r ? r.jpeg : undefined;
    },
  });
  privacy.on('change', () => mqtt.stateChanged());
  t.after(() => mqtt.stop());
  const sub = await subscribe(broker.port, 'picamd/Porch/#');
  t.after(() => sub.stop());
  await mqtt.start();
  await connected(mqtt);
  assert.ok((await sub.waitFor('picamd/Porch/snapshot')).payload.equals(testJpeg));

  let from = sub.messages.length;
  publish(broker.port, 'picamd/Porch/privacy/set', 'ON');
  await sub.waitFor('picamd/Porch/state', (m) => stateOf(m).privacy === 'ON' && stateOf(m).camera_state === 'paused', from);
  assert.equal(camera.paused, true, 'the camera was stopped');
  assert.equal(privacy.state.source, 'mqtt');

  // The button (same controller) turns it off: the switch in Home Assistant follows.
  from = sub.messages.length;
  privacy.toggle('button');
  await sub.waitFor('picamd/Porch/state', (m) => stateOf(m).privacy === 'OFF', from);
  assert.equal(camera.paused, false);
  await privacy.stop();
});

test('a privacy change is published once, within 2 s, with the camera paused and no frame rate', { skip: skipWithoutMosquitto }, async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const privacy = new PrivacyController({ store: new MemoryPrivacyStore(), startPaused: false, logger: memoryLogger() });
  privacy.bindCamera(new FakeCamera());
  await privacy.start();
  t.after(() => privacy.stop());
  const cameraState = () => (privacy.enabled ? 'paused' : 'streaming') as 'paused' | 'streaming';
  const startedAtMs = monotonicNow();
  const mqtt = new MqttService(mqttSchema.parse({ url: `mqtt://127.0.0.1:${broker.port}` }), {
    logger: memoryLogger(),
    timers: realTimers,
    now: monotonicNow,
    device: () => ({ name: 'Porch', model: 'Raspberry Pi 4 Model B Rev 1.5', version: '0.1.0', configurationUrl: 'http://porch.local/' }),
    // The incoming rate still averages 30 fps for a while after the camera stopped.
    readStatus: () => mqttStatusSnapshot({ camera: { state: cameraState(), restarts: 0 }, fpsIn: 30, viewers: 0, nowMs: monotonicNow(), startedAtMs, privacy }),
    setPrivacy: mqttPrivacyPort(privacy),
    snapshot: () => undefined,
  });
  // As the device's events come: privacy, then the camera pausing, then its state again.
  privacy.on('change', () => {
    mqtt.stateChanged();
    setTimeout(() => mqtt.stateChanged(), 20);
    setTimeout(() => mqtt.stateChanged(), 40);
  });
  t.after(() => mqtt.stop());
  const sub = await subscribe(broker.port, 'picamd/Porch/state');
  t.after(() => sub.stop());
  await mqtt.start();
  await connected(mqtt);
  await sub.waitFor('picamd/Porch/state');

  const from = sub.messages.length;
  const t0 = performance.now();
  publish(broker.port, 'picamd/Porch/privacy/set', 'ON');
  const first = await sub.waitFor('picamd/Porch/state', (m) => stateOf(m).privacy === 'ON', from);
  assert.ok(performance.now() - t0 < 2000, `published ${Math.round(performance.now() - t0)} ms after the command`);
  assert.equal(stateOf(first).camera_state, 'paused');
  assert.equal(stateOf(first).fps, 0);
  // Nothing more for that one change.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal(sub.messages.slice(from).filter((m) => m.topic === 'picamd/Porch/state').length, 1, JSON.stringify(sub.messages.slice(from).map((m) => m.payload.toString())));
});

test('a retained privacy command is ignored: a stale OFF does not switch privacy off at every connect', { skip: skipWithoutMosquitto }, async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  // Someone left a retained OFF on the command topic before picamd connected.
  publish(broker.port, topic.command, 'OFF', { retain: true });
  const logger = memoryLogger();
  const { service, privacy } = createTestService({ url: `mqtt://127.0.0.1:${broker.port}` }, logger);
  privacy.enabled = true;
  t.after(() => service.stop());
  await service.start();
  await connected(service);
  await waitFor('the retained command noticed', () => logger.lines.some((l) => l.includes('ignored a retained privacy command')));
  assert.deepEqual(privacy.calls, []);
  assert.equal(privacy.enabled, true);
  // A command sent while connected still works, even with the retain flag (the broker delivers it live).
  const sub = await subscribe(broker.port, topic.state);
  t.after(() => sub.stop());
  publish(broker.port, topic.command, 'ON');
  await waitFor('the live command', () => privacy.calls.length === 1);
  assert.deepEqual(privacy.calls, [{ enabled: true, source: 'mqtt' }]);
});

test('a privacy command payload is logged escaped: no line separator or bidi control reaches the log', { skip: skipWithoutMosquitto }, async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const logger = memoryLogger();
  const { service, privacy } = createTestService({ url: `mqtt://127.0.0.1:${broker.port}` }, logger);
  t.after(() => service.stop());
  await service.start();
  await connected(service);
  publish(broker.port, topic.command, 'x\u2028error forged\u202e');
  await waitFor('the warning', () => logger.lines.some((l) => l.includes('ignored privacy command')));
  const line = logger.lines.find((l) => l.includes('ignored privacy command'))!;
  assert.ok(line.includes('"x\\u{2028}error forged\\u{202e}"'), line);
  assert.ok(!logger.lines.some((l) => /[\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(l)));
  assert.deepEqual(privacy.calls, []);
});
