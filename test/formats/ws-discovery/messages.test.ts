import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NS } from '../../../src/formats/soap/namespaces.js';
import { parseXml } from '../../../src/formats/soap/xml.js';
import {
  byeMessage,
  helloMessage,
  parseDiscovery,
  probeMatches,
  probeMatchesMessage,
  resolveMatchesMessage,
  scopeMatches,
  type Target,
} from '../../../src/formats/ws-discovery/messages.js';

const target: Target = {
  address: 'urn:uuid:3f1c2c9e-0000-5000-8000-000000000001',
  scopes: ['onvif://www.onvif.org/Profile/Streaming', 'onvif://www.onvif.org/name/Garden%20cam', 'onvif://www.onvif.org/type/video_encoder'],
  xaddrs: ['http://192.168.1.20/onvif/device_service'],
  metadataVersion: 1,
};

/** The Probe the `onvif` npm client (0.8) sends, byte for byte in structure: default namespaces, dn: declared on the Envelope. */
const npmProbe = (types = 'dn:NetworkVideoTransmitter', scopes = '<Scopes />') =>
  Buffer.from(
    `<Envelope xmlns="${NS.soap}" xmlns:dn="${NS.dn}"><Header>` +
      `<wsa:MessageID xmlns:wsa="${NS.wsa}">urn:uuid:1234</wsa:MessageID><wsa:To xmlns:wsa="${NS.wsa}">urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>` +
      `<wsa:Action xmlns:wsa="${NS.wsa}">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</wsa:Action></Header>` +
      `<Body><Probe xmlns="${NS.wsd}"><Types>${types}</Types>${scopes}</Probe></Body></Envelope>`,
  );

test('the npm client\'s Probe for a NetworkVideoTransmitter matches; other types and foreign scopes do not', () => {
  const probe = parseDiscovery(npmProbe());
  assert.ok(probe?.kind === 'probe');
  assert.equal(probe.messageId, 'urn:uuid:1234');
  assert.equal(probeMatches(probe, target), true);
  const any = parseDiscovery(npmProbe(''));
  assert.ok(any?.kind === 'probe' && probeMatches(any, target), 'no types: any device');
  const declaring = (types: string, xmlns: string) => Buffer.from(npmProbe(types).toString().replace('<Types>', `<Types ${xmlns}>`));
  const device = parseDiscovery(declaring('tds:Device dn:NetworkVideoTransmitter', `xmlns:tds="${NS.tds}"`));
  assert.ok(device?.kind === 'probe' && probeMatches(device, target), 'both ONVIF types');
  const printer = parseDiscovery(declaring('p:Printer', 'xmlns:p="urn:printers"'));
  assert.ok(printer?.kind === 'probe' && !probeMatches(printer, target));
  const unbound = parseDiscovery(npmProbe('zz:NetworkVideoTransmitter'));
  assert.ok(unbound?.kind === 'probe' && !probeMatches(unbound, target), 'an unbound prefix matches nothing');
  const scoped = parseDiscovery(npmProbe(undefined, '<Scopes>onvif://www.onvif.org/name</Scopes>'));
  assert.ok(scoped?.kind === 'probe' && probeMatches(scoped, target));
  const elsewhere = parseDiscovery(npmProbe(undefined, '<Scopes>onvif://www.onvif.org/location/kitchen</Scopes>'));
  assert.ok(elsewhere?.kind === 'probe' && !probeMatches(elsewhere, target));
});

test('rfc3986 scope matching is by whole path segments', () => {
  const rfc = 'http://schemas.xmlsoap.org/ws/2005/04/discovery/rfc3986';
  assert.equal(scopeMatches('onvif://www.onvif.org/name', 'onvif://www.onvif.org/name/Garden', rfc), true);
  assert.equal(scopeMatches('onvif://www.onvif.org/na', 'onvif://www.onvif.org/name/Garden', rfc), false);
  assert.equal(scopeMatches('ONVIF://WWW.onvif.org/name', 'onvif://www.onvif.org/name', rfc), true);
  assert.equal(scopeMatches('onvif://other.org/name', 'onvif://www.onvif.org/name', rfc), false);
  assert.equal(scopeMatches('a', 'a', 'http://schemas.xmlsoap.org/ws/2005/04/discovery/strcmp0'), true);
  assert.equal(scopeMatches('a', 'a', 'urn:unknown-rule'), false);
});

test('not WS-Discovery, malformed or oversized: nothing to answer', () => {
  for (const bad of ['', 'hello', '<a/>', `<s:Envelope xmlns:s="${NS.soap}"><s:Body/></s:Envelope>`, '<!DOCTYPE x><x/>', npmProbe().toString().replace('urn:uuid:1234', 'u'.repeat(300))]) {
    assert.equal(parseDiscovery(Buffer.from(bad)), undefined, bad.slice(0, 40));
  }
  assert.equal(parseDiscovery(Buffer.from(`<s:Envelope xmlns:s="${NS.soap}" xmlns:a="${NS.wsa}"><s:Header><a:MessageID>m</a:MessageID></s:Header><s:Body><x/></s:Body></s:Envelope>`))?.kind, 'other');
});

test('ProbeMatches, ResolveMatches, Hello and Bye are well-formed and carry the device', () => {
  const seq = { instanceId: 7, messageNumber: 3 };
  for (const text of [
    probeMatchesMessage(target, 'urn:uuid:1234', 'urn:uuid:5', seq),
    resolveMatchesMessage(target, 'urn:uuid:1234', 'urn:uuid:5', seq),
    helloMessage(target, 'urn:uuid:5', seq),
    byeMessage(target, 'urn:uuid:5', seq),
  ]) {
    const parsed = parseXml(text);
    assert.ok(parsed.ok, text);
    assert.match(text, new RegExp(target.address));
    assert.match(text, /InstanceId="7" MessageNumber="3"/);
  }
  const matches = probeMatchesMessage(target, 'urn:uuid:1234', 'urn:uuid:5', seq);
  assert.match(matches, /<a:RelatesTo>urn:uuid:1234<\/a:RelatesTo>/);
  assert.match(matches, /<d:XAddrs>http:\/\/192.168.1.20\/onvif\/device_service<\/d:XAddrs>/);
  assert.match(matches, /<d:Types>dn:NetworkVideoTransmitter tds:Device<\/d:Types>/);
  const resolve = parseDiscovery(
    Buffer.from(
      `<s:Envelope xmlns:s="${NS.soap}" xmlns:a="${NS.wsa}" xmlns:d="${NS.wsd}"><s:Header><a:MessageID>urn:uuid:9</a:MessageID></s:Header>` +
        `<s:Body><d:Resolve><a:EndpointReference><a:Address>${target.address}</a:Address></a:EndpointReference></d:Resolve></s:Body></s:Envelope>`,
    ),
  );
  assert.deepEqual(resolve, { kind: 'resolve', messageId: 'urn:uuid:9', address: target.address });
});
