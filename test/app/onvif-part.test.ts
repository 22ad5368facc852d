import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import type { AccountsStore } from '../../src/device/accounts/store.js';
import { deviceEvents } from '../../src/device/events.js';
import { configSchema, type Config } from '../../src/device/settings/schema.js';
import { NS } from '../../src/formats/soap/namespaces.js';
import { OnvifPart } from '../../src/app/onvif.js';
import { LoginLimiter } from '../../src/web/server/auth/limiter.js';
import { memoryLogger } from '../fakes/logger.js';
import { makeRequest } from '../fakes/request.js';
import { waitFor } from '../fakes/wait.js';

// The ONVIF part follows its settings live: off, nothing is served or announced; on, the services
// answer and discovery answers Probes (once there is an owner); discovery off, it says Bye and stops.

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

const probe = Buffer.from(
  `<s:Envelope xmlns:s="${NS.soap}" xmlns:a="${NS.wsa}" xmlns:d="${NS.wsd}" xmlns:dn="${NS.dn}"><s:Header><a:MessageID>urn:uuid:p</a:MessageID></s:Header>` +
    '<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body></s:Envelope>',
);

test('ONVIF follows onvif.enabled and onvif.discovery live, and announces nothing before an owner', async (t) => {
  const discoveryPort = await freeUdpPort();
  let config: Config = configSchema.parse({ server: { host: '127.0.0.1' }, onvif: { enabled: false, discovery: true, discoveryPort } });
  let claimed = false;
  const settings = new EventEmitter();
  const accounts = Object.assign(new EventEmitter(), { digestHa1: () => undefined, roleOf: () => 'owner', list: () => [] }) as unknown as AccountsStore;
  const events = deviceEvents({ camera: new EventEmitter(), privacy: new EventEmitter(), settings, accounts });
  const part = new OnvifPart({
    current: () => config,
    accounts,
    claimed: () => claimed,
    openViewing: () => false,
    authenticator: () => undefined,
    limiter: new LoginLimiter(),
    deviceName: () => 'Garden',
    version: '0.1.0',
    httpPort: () => 8080,
    rtspPort: () => 0,
    logger: memoryLogger(),
    now: () => Date.now(),
  });
  const unfollow = part.follow(events);
  t.after(async () => {
    unfollow();
    await part.stop();
  });
  const change = (onvif: Partial<Config['onvif']>) => {
    const previous = config;
    config = { ...config, onvif: { ...config.onvif, ...onvif } };
    settings.emit('change', config, previous, Object.keys(onvif).map((k) => `onvif.${k}`));
  };
  const asker = createSocket('udp4');
  const answers: string[] = [];
  asker.on('message', (m) => answers.push(m.toString()));
  await new Promise<void>((resolve) => asker.bind(0, '127.0.0.1', resolve));
  t.after(() => asker.close());
  const ask = async () => {
    const before = answers.length;
    asker.send(probe, discoveryPort, '127.0.0.1');
    await new Promise((resolve) => setTimeout(resolve, 300));
    return answers.length > before;
  };

  await part.start();
  assert.equal(part.handler(), undefined, 'off: the routes have no handler');
  assert.equal(await ask(), false);

  change({ enabled: true });
  const handler = await waitFor('the services loaded', () => part.handler());
  const res = await handler.handle('device', makeRequest({ method: 'post', body: Buffer.from(`<s:Envelope xmlns:s="${NS.soap}"><s:Body><GetSystemDateAndTime xmlns="${NS.tds}"/></s:Body></s:Envelope>`) }));
  assert.equal(res.status, 503, 'no owner yet: a fault, even for the time');
  assert.equal(await ask(), false, 'no owner yet: discovery is silent');

  claimed = true;
  accounts.emit('change', [], []);
  await waitFor('a ProbeMatch', () => ask());
  assert.match(answers.at(-1)!, /<d:XAddrs>http:\/\/127\.0\.0\.1:8080\/onvif\/device_service<\/d:XAddrs>/);

  change({ discovery: false });
  await waitFor('discovery stopped', async () => !(await ask()));
  assert.ok(part.handler(), 'the services stay while ONVIF is on');

  change({ enabled: false });
  await waitFor('the services off', () => part.handler() === undefined);
});
