import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { test } from 'node:test';
import { NS } from '../../../src/formats/soap/namespaces.js';
import { parseXml, child } from '../../../src/formats/soap/xml.js';
import type { Target } from '../../../src/formats/ws-discovery/messages.js';
import { WsDiscovery } from '../../../src/integrations/onvif/discovery.js';
import { ReplyBudget } from '../../../src/integrations/onvif/reply-budget.js';
import { memoryLogger } from '../../fakes/logger.js';

const target: Target = {
  address: 'urn:uuid:3f1c2c9e-0000-5000-8000-000000000001',
  scopes: ['onvif://www.onvif.org/Profile/Streaming'],
  xaddrs: ['http://127.0.0.1:8080/onvif/device_service'],
  metadataVersion: 1,
};

const probe = (id: string, types = 'dn:NetworkVideoTransmitter') =>
  Buffer.from(
    `<s:Envelope xmlns:s="${NS.soap}" xmlns:a="${NS.wsa}" xmlns:d="${NS.wsd}" xmlns:dn="${NS.dn}"><s:Header><a:MessageID>${id}</a:MessageID>` +
      `<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action></s:Header><s:Body><d:Probe><d:Types>${types}</d:Types></d:Probe></s:Body></s:Envelope>`,
  );

/** A client socket on loopback that collects what it receives. */
async function client(): Promise<{ socket: Socket; received: Buffer[]; port: number }> {
  const socket = createSocket('udp4');
  const received: Buffer[] = [];
  socket.on('message', (msg) => received.push(msg));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, received, port: socket.address().port };
}

const settle = (ms = 200) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => boolean, ms = 5_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await settle(20);
  }
}

async function discovery(t: import('node:test').TestContext, over: { budget?: ReplyBudget; isLocal?: (a: string) => boolean } = {}) {
  const announcements = await client();
  const logger = memoryLogger();
  const service = new WsDiscovery({
    target: () => target,
    isLocal: over.isLocal ?? (() => true),
    interfaceAddresses: () => [],
    logger,
    now: () => Date.now(),
    port: 0,
    bindAddress: '127.0.0.1',
    announceTo: { address: '127.0.0.1', port: announcements.port },
    budget: over.budget,
  });
  t.after(async () => {
    await service.stop();
    announcements.socket.close();
  });
  await service.start();
  return { service, announcements, logger };
}

test('Hello at start, ProbeMatches to a unicast Probe on loopback, ResolveMatches, Bye at stop', async (t) => {
  const { service, announcements } = await discovery(t);
  await until('Hello', () => announcements.received.length === 1);
  assert.match(announcements.received[0]!.toString(), /discovery\/Hello<\/a:Action>/);
  const asker = await client();
  t.after(() => asker.socket.close());
  asker.socket.send(probe('urn:uuid:probe-1'), service.port, '127.0.0.1');
  await until('ProbeMatches', () => asker.received.length === 1);
  const answer = parseXml(asker.received[0]!);
  assert.ok(answer.ok);
  const header = child(answer.root, NS.soap, 'Header');
  assert.equal(child(header, NS.wsa, 'RelatesTo')!.text, 'urn:uuid:probe-1');
  const match = child(child(child(answer.root, NS.soap, 'Body'), NS.wsd, 'ProbeMatches'), NS.wsd, 'ProbeMatch')!;
  assert.equal(child(match, NS.wsd, 'XAddrs')!.text, 'http://127.0.0.1:8080/onvif/device_service');
  asker.socket.send(
    Buffer.from(
      `<s:Envelope xmlns:s="${NS.soap}" xmlns:a="${NS.wsa}" xmlns:d="${NS.wsd}"><s:Header><a:MessageID>urn:uuid:r</a:MessageID></s:Header>` +
        `<s:Body><d:Resolve><a:EndpointReference><a:Address>${target.address}</a:Address></a:EndpointReference></d:Resolve></s:Body></s:Envelope>`,
    ),
    service.port,
    '127.0.0.1',
  );
  await until('ResolveMatches', () => asker.received.length === 2);
  assert.match(asker.received[1]!.toString(), /<d:ResolveMatches>/);
  await service.stop();
  await until('Bye', () => announcements.received.length === 2);
  assert.match(announcements.received[1]!.toString(), /discovery\/Bye<\/a:Action>/);
  await service.stop();
});

test('no answer to other types, malformed or huge datagrams, senders beyond the local networks, or beyond the budget', async (t) => {
  const budget = new ReplyBudget({ perSecond: 0.001, burst: 3, perSenderPerSecond: 0.001, senderBurst: 3 }, Date.now());
  const sender = await client();
  t.after(() => sender.socket.close());
  const { service } = await discovery(t, { budget, isLocal: (a) => a === '127.0.0.1' });
  const send = (data: Buffer) => sender.socket.send(data, service.port, '127.0.0.1');
  send(probe('urn:uuid:printer', 'd:Printer'));
  send(Buffer.from('<not xml'));
  send(Buffer.concat([probe('urn:uuid:huge'), Buffer.alloc(10_000, 0x20)]));
  send(Buffer.from(`<!DOCTYPE x [<!ENTITY a "a">]>${probe('urn:uuid:dtd')}`));
  await settle(300);
  assert.equal(sender.received.length, 0, 'nothing answered');
  for (let i = 0; i < 20; i++) send(probe(`urn:uuid:flood-${i}`));
  await until('three replies', () => sender.received.length >= 3);
  await settle(300);
  assert.equal(sender.received.length, 3, 'the budget holds a flood to its burst');

  const { service: strict } = await discovery(t, { isLocal: () => false });
  sender.socket.send(probe('urn:uuid:far'), strict.port, '127.0.0.1');
  await settle(300);
  assert.equal(sender.received.length, 3, 'a sender beyond the local networks gets nothing');
});

test('the reply budget refills with time, per sender and in all', () => {
  const budget = new ReplyBudget({ perSecond: 10, burst: 4, perSenderPerSecond: 1, senderBurst: 2 }, 0);
  assert.deepEqual([budget.take('a', 0), budget.take('a', 0), budget.take('a', 0)], [true, true, false]);
  assert.deepEqual([budget.take('b', 0), budget.take('c', 0), budget.take('d', 0)], [true, true, false], 'four in all');
  assert.equal(budget.take('a', 1_000), true, 'a second later');
});

test('a flood is read only up to the read budget: past it, even a good Probe waits', async (t) => {
  const readBudget = new ReplyBudget({ perSecond: 0.001, burst: 2, perSenderPerSecond: 0.001, senderBurst: 2 }, Date.now());
  const sender = await client();
  t.after(() => sender.socket.close());
  const announcements = await client();
  const service = new WsDiscovery({
    target: () => target,
    isLocal: () => true,
    interfaceAddresses: () => [],
    logger: memoryLogger(),
    now: () => Date.now(),
    port: 0,
    bindAddress: '127.0.0.1',
    announceTo: { address: '127.0.0.1', port: announcements.port },
    readBudget,
  });
  t.after(async () => {
    await service.stop();
    announcements.socket.close();
  });
  await service.start();
  sender.socket.send(Buffer.from('<garbage/>'), service.port, '127.0.0.1');
  sender.socket.send(probe('urn:uuid:first'), service.port, '127.0.0.1');
  await until('the first answer', () => sender.received.length === 1);
  sender.socket.send(probe('urn:uuid:second'), service.port, '127.0.0.1');
  await settle(300);
  assert.equal(sender.received.length, 1, 'the third datagram is not read');
});
