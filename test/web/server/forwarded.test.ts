import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configSchema } from '../../../src/device/settings/schema.js';
import {
  cameThroughProxy,
  nodeAddress,
  parseForwarded,
  resolveForwarded,
  type ForwardingHeaders,
} from '../../../src/web/server/forwarded.js';
import { proxyEntryProblem, trustedProxies } from '../../../src/platform/net-address.js';
import { json } from '../../../src/web/server/response.js';
import { Router, type Route } from '../../../src/web/server/router.js';
import { memoryLogger } from '../../fakes/logger.js';
import { makeRequest } from '../../fakes/request.js';

const none: ForwardingHeaders = { 'x-forwarded-for': '', 'x-forwarded-proto': '', 'x-forwarded-host': '', forwarded: '', via: '' };
const h = (over: Partial<ForwardingHeaders>): ForwardingHeaders => ({ ...none, ...over });
const proxies = trustedProxies(['10.0.0.1', '192.168.1.0/24', 'fd00::/8', '::1']);

test('trusted proxies: addresses and prefixes, IPv4 and IPv6, IPv4-mapped peers', () => {
  for (const a of ['10.0.0.1', '192.168.1.200', 'fd12:3456::1', '::1', '0000:0000:0000:0000:0000:0000:0000:0001', '::ffff:10.0.0.1']) {
    assert.equal(proxies.has(a), true, a);
  }
  for (const a of ['10.0.0.2', '192.168.2.1', 'fe80::1', '2001:db8::1', 'unknown', '']) assert.equal(proxies.has(a), false, a);
  assert.equal(trustedProxies([]).has('127.0.0.1'), false);
});

test('config: trustedProxies takes addresses and CIDR prefixes, and says what is wrong with anything else', () => {
  const ok = configSchema.parse({ server: { trustedProxies: ['127.0.0.1', '10.0.0.0/8', 'fd00::/8', '::1'] } });
  assert.deepEqual(ok.server.trustedProxies, ['127.0.0.1', '10.0.0.0/8', 'fd00::/8', '::1']);
  assert.deepEqual(configSchema.parse({}).server.trustedProxies, []);
  for (const [entry, message] of [
    ['proxy.local', /not an IP address or a CIDR prefix/],
    ['10.0.0.0/33', /prefix length must be 0 to 32/],
    ['fd00::/129', /prefix length must be 0 to 128/],
    ['10.0.0.0/', /prefix length/],
    ['10.0.0/8', /not an IP address/],
  ] as const) {
    const result = configSchema.safeParse({ server: { trustedProxies: [entry] } });
    assert.equal(result.success, false, entry);
    const issue = result.error!.issues[0]!;
    assert.deepEqual(issue.path, ['server', 'trustedProxies', 0]);
    assert.match(issue.message, message);
  }
  assert.equal(proxyEntryProblem('2001:db8::/32'), undefined);
});

test('from a peer that is not a trusted proxy, every forwarding header is ignored', () => {
  const spoof = h({ 'x-forwarded-for': '1.2.3.4', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example', forwarded: 'for=5.6.7.8;proto=https;host=evil.example' });
  assert.deepEqual(resolveForwarded('203.0.113.9', spoof, proxies), { client: '203.0.113.9' });
  assert.deepEqual(resolveForwarded('203.0.113.9', spoof, trustedProxies([])), { client: '203.0.113.9' });
});

test('from a trusted proxy: the right-most address that is not itself a proxy', () => {
  assert.equal(resolveForwarded('10.0.0.1', h({ 'x-forwarded-for': '198.51.100.7' }), proxies).client, '198.51.100.7');
  // What the client sent itself is left of what the proxy appended: never believed.
  assert.equal(resolveForwarded('10.0.0.1', h({ 'x-forwarded-for': '1.2.3.4, 198.51.100.7' }), proxies).client, '198.51.100.7');
  // Through two proxies of ours.
  assert.equal(resolveForwarded('10.0.0.1', h({ 'x-forwarded-for': '1.2.3.4, 198.51.100.7, 192.168.1.5' }), proxies).client, '198.51.100.7');
  // All proxies: the left-most.
  assert.equal(resolveForwarded('10.0.0.1', h({ 'x-forwarded-for': '192.168.1.9, 192.168.1.5' }), proxies).client, '192.168.1.9');
  // No header: the proxy itself.
  assert.equal(resolveForwarded('10.0.0.1', none, proxies).client, '10.0.0.1');
  // Not an address: the walk stops at the last trusted hop.
  assert.equal(resolveForwarded('10.0.0.1', h({ 'x-forwarded-for': '198.51.100.7, unknown' }), proxies).client, '10.0.0.1');
  assert.equal(resolveForwarded('10.0.0.1', h({ 'x-forwarded-for': '198.51.100.7, garbage, 192.168.1.5' }), proxies).client, '192.168.1.5');
  // IPv6, with ports and brackets.
  assert.equal(resolveForwarded('::1', h({ 'x-forwarded-for': '[2001:db8::7]:4711' }), proxies).client, '2001:db8::7');
  assert.equal(resolveForwarded('::1', h({ 'x-forwarded-for': '2001:db8::7' }), proxies).client, '2001:db8::7');
  assert.equal(resolveForwarded('10.0.0.1', h({ 'x-forwarded-for': '198.51.100.7:5000' }), proxies).client, '198.51.100.7');
});

test('from a trusted proxy: scheme and host from X-Forwarded-Proto/-Host, or Forwarded', () => {
  assert.deepEqual(resolveForwarded('10.0.0.1', h({ 'x-forwarded-for': '198.51.100.7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'cam.example.org' }), proxies), {
    client: '198.51.100.7',
    scheme: 'https:',
    host: 'cam.example.org',
  });
  assert.deepEqual(resolveForwarded('10.0.0.1', h({ forwarded: 'for=198.51.100.7;proto=https;host="cam.example.org:8443", for=192.168.1.5' }), proxies), {
    client: '198.51.100.7',
    scheme: 'https:',
    host: 'cam.example.org:8443',
  });
  assert.equal(resolveForwarded('10.0.0.1', h({ 'x-forwarded-proto': 'gopher' }), proxies).scheme, undefined);
  assert.equal(resolveForwarded('10.0.0.1', h({ 'x-forwarded-proto': 'HTTPS, http' }), proxies).scheme, 'https:');
});

test('Forwarded and node syntax (RFC 7239)', () => {
  assert.deepEqual(parseForwarded('for=192.0.2.43, for="[2001:db8:cafe::17]:4711";proto=http;by=203.0.113.43'), [
    { for: '192.0.2.43' },
    { for: '[2001:db8:cafe::17]:4711', proto: 'http' },
  ]);
  assert.deepEqual(parseForwarded('For="_gazonk"'), [{ for: '_gazonk' }]);
  assert.equal(nodeAddress('[2001:db8:cafe::17]:4711'), '2001:db8:cafe::17');
  assert.equal(nodeAddress('_gazonk'), undefined);
  assert.equal(nodeAddress('unknown'), undefined);
  assert.equal(nodeAddress('::ffff:192.0.2.1'), '192.0.2.1');
});

test('any proxy header makes a request proxied, for the stream’s framing only', () => {
  assert.equal(cameThroughProxy(none), false);
  assert.equal(cameThroughProxy(h({ 'x-forwarded-for': '1.2.3.4' })), true);
  assert.equal(cameThroughProxy(h({ forwarded: 'for=1.2.3.4' })), true);
  assert.equal(cameThroughProxy(h({ via: '1.1 caddy' })), true);
  assert.equal(cameThroughProxy(h({ 'x-forwarded-proto': 'https' })), false);
});

test('the router: a direct client cannot choose its address, scheme or Host; a trusted proxy names them', async () => {
  const logger = memoryLogger();
  let trusted = trustedProxies([]);
  const seen: string[] = [];
  const r = new Router({
    authenticator: () => undefined,
    logger,
    now: () => performance.now(),
    secure: false,
    hosts: () => ['picamd', 'picamd.local', 'localhost'],
    trustedProxies: () => trusted,
  });
  r.post('/api/thing', (req) => {
    seen.push(req.remote);
    return json(200, {});
  }, {});
  const route = r.find('post', '/api/thing') as Route;
  const post = (remote: string, headers: Record<string, string>) =>
    r.handle(route, makeRequest({ method: 'post', path: '/api/thing', remote, headers: { host: 'picamd.local', ...headers } })) as { status: number };

  const spoofing = { 'x-forwarded-for': '1.2.3.4', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'cam.example.org', origin: 'https://cam.example.org' };
  // Not trusted: the Origin is compared with the real Host and scheme, and refused.
  assert.equal(post('127.0.0.1', spoofing).status, 403);
  assert.match(logger.lines.at(-1)!, /from 127\.0\.0\.1: a request from another site/);
  assert.equal(post('127.0.0.1', { 'x-forwarded-for': '1.2.3.4' }).status, 200);
  assert.deepEqual(seen, ['127.0.0.1'], 'the address is the peer, whatever X-Forwarded-For says');

  trusted = trustedProxies(['127.0.0.1']);
  // Trusted, but the forwarded Host is not one of the device's names: 421.
  assert.equal(post('127.0.0.1', spoofing).status, 421);
  assert.match(logger.lines.at(-1)!, /from 1\.2\.3\.4 \(via 127\.0\.0\.1\)/);
  // With the name allowed, the page at https://cam.example.org is the device's own.
  assert.equal(post('127.0.0.1', { ...spoofing, 'x-forwarded-host': 'picamd.local', origin: 'https://picamd.local' }).status, 200);
  assert.equal(seen.at(-1), '1.2.3.4');
  // The same page over http is another origin once the proxy says the client used https.
  assert.equal(post('127.0.0.1', { ...spoofing, 'x-forwarded-host': 'picamd.local', origin: 'http://picamd.local' }).status, 403);
  // Another peer is still not believed.
  assert.equal(post('127.0.0.2', { 'x-forwarded-for': '5.6.7.8' }).status, 200);
  assert.equal(seen.at(-1), '127.0.0.2');
});

test('the router: the Host header and every host a trusted proxy forwards must be names of the device', async () => {
  const logger = memoryLogger();
  const r = new Router({
    authenticator: () => undefined,
    logger,
    now: () => performance.now(),
    secure: false,
    hosts: () => ['picamd.local', 'localhost'],
    trustedProxies: () => trustedProxies(['127.0.0.1']),
  });
  r.get('/snapshot.jpg', () => json(200, {}));
  const route = r.find('get', '/snapshot.jpg') as Route;
  const get = (remote: string, headers: Record<string, string>) =>
    (r.handle(route, makeRequest({ method: 'get', path: '/snapshot.jpg', remote, headers })) as { status: number }).status;
  // A rebound page (Host evil.example) adds a forwarded host of the device: the proxy passed it on.
  assert.equal(get('127.0.0.1', { host: 'evil.example', 'x-forwarded-for': '1.2.3.4', 'x-forwarded-host': 'picamd.local' }), 421);
  assert.match(logger.lines.at(-1)!, /Host "evil\.example" is not a name of this device/);
  assert.equal(get('127.0.0.1', { host: 'evil.example', forwarded: 'for=1.2.3.4;host=picamd.local' }), 421);
  // Every forwarded host counts, not only the first.
  assert.equal(get('127.0.0.1', { host: 'picamd.local', 'x-forwarded-host': 'picamd.local, evil.example' }), 421);
  assert.match(logger.lines.at(-1)!, /forwarded host "evil\.example"/);
  assert.equal(get('127.0.0.1', { host: 'picamd.local', forwarded: 'host=picamd.local, host=evil.example' }), 421);
  // All names of the device: served.
  assert.equal(get('127.0.0.1', { host: 'picamd.local', 'x-forwarded-host': 'picamd.local', forwarded: 'host="localhost:8443"' }), 200);
  assert.equal(get('127.0.0.1', { host: '192.168.1.2:8080', 'x-forwarded-for': '1.2.3.4' }), 200);
  // From a peer that is not trusted the forwarding headers mean nothing; its Host is checked.
  assert.equal(get('127.0.0.2', { host: 'picamd.local', 'x-forwarded-host': 'evil.example' }), 200);
  assert.equal(get('127.0.0.2', { host: 'evil.example', 'x-forwarded-host': 'picamd.local' }), 421);
});
