import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { NetworkInterfaceInfo } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { addressesOf, NetworkReader, type NetworkReaderOptions } from '../../../src/platform/network/network-status.js';
import { runCommand } from '../../../src/platform/network/ssid.js';
import { IPV6_ROUTES_ETH0, IPV6_ROUTES_NONE, ROUTE_HEADER, routeLine, WIFI_ROUTES, WIRELESS_HEADER, WIRELESS_WLAN0, wirelessLine, writeIwgetid, writeNetRoot } from '../../fakes/net-root.js';
import { tempDir } from '../../fakes/temp-dir.js';

const info = (family: 'IPv4' | 'IPv6', address: string): NetworkInterfaceInfo =>
  (family === 'IPv4'
    ? { family, address, netmask: '255.255.255.0', mac: '00:00:5e:00:53:01', internal: false, cidr: `${address}/24` }
    : { family, address, netmask: 'ffff:ffff:ffff:ffff::', mac: '00:00:5e:00:53:01', internal: false, cidr: `${address}/64`, scopeid: 0 });

const WLAN0_ADDRESSES = { wlan0: [info('IPv6', 'fe80::1c2:3ff:fe04:506'), info('IPv4', '192.168.1.23'), info('IPv6', '2001:db8::23')] };

async function setup(t: { after(fn: () => Promise<void>): void }, iwgetid: Parameters<typeof writeIwgetid>[1] = { ssid: 'Home' }) {
  const root = await tempDir(t, 'net-root');
  const bin = await tempDir(t, 'net-bin');
  await writeIwgetid(bin, iwgetid);
  let clock = 1_000;
  const logged: string[] = [];
  const options: NetworkReaderOptions = {
    root,
    run: runCommand,
    env: { PATH: `${bin}:${process.env.PATH ?? ''}` },
    interfaces: () => WLAN0_ADDRESSES,
    now: () => clock,
    maxAgeMs: 5_000,
    ssidMaxAgeMs: 30_000,
    ssidTimeoutMs: 10_000,
    log: (line) => logged.push(line),
  };
  const calls = () => (existsSync(join(bin, 'calls')) ? readFileSync(join(bin, 'calls'), 'utf8').split('\n').filter(Boolean) : []);
  return { root, bin, options, calls, logged, advance: (ms: number) => (clock += ms) };
}

const WIFI_PI = { route: WIFI_ROUTES, ipv6Route: IPV6_ROUTES_NONE, wireless: WIRELESS_WLAN0, interfaces: { eth0: { type: 1 }, wlan0: { wifi: true, type: 1 } } };

test('a Pi on Wi-Fi: wlan0, its signal and addresses at once, its network name once iwgetid has answered', async (t) => {
  const s = await setup(t);
  await writeNetRoot(s.root, WIFI_PI);
  const reader = new NetworkReader(s.options);
  assert.deepEqual(s.calls(), [], 'nothing is read before someone asks');
  assert.deepEqual(reader.current(), { interface: 'wlan0', kind: 'wifi', ssid: null, signalDbm: -52, addresses: ['192.168.1.23', '2001:db8::23'] });
  await reader.settled();
  assert.equal(reader.current()?.ssid, 'Home');
  assert.deepEqual(s.calls(), ['-r wlan0']);
});

test('readings are cached: the tables at most every 5 s, iwgetid at most every 30 s, one at a time, and only when asked', async (t) => {
  const s = await setup(t);
  await writeNetRoot(s.root, WIFI_PI);
  const reader = new NetworkReader(s.options);
  for (let i = 0; i < 5; i++) reader.current();
  await reader.settled();
  assert.deepEqual(s.calls(), ['-r wlan0'], 'five status documents at once start one iwgetid');
  writeFileSync(join(s.root, 'proc/net/wireless'), WIRELESS_HEADER + wirelessLine('wlan0', [40, true], [-71, true], [-256, false]));
  assert.equal(reader.current()?.signalDbm, -52, 'within 5 s the last reading serves');
  s.advance(5_000);
  assert.equal(reader.current()?.signalDbm, -71);
  await reader.settled();
  assert.equal(s.calls().length, 1, 'the name is not asked for again within 30 s');
  s.advance(30_000);
  assert.equal(reader.current()?.ssid, 'Home', 'the last name serves while the next is asked for');
  await reader.settled();
  assert.equal(s.calls().length, 2);
  // Nobody asks: nothing runs, however long.
  s.advance(600_000);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(s.calls().length, 2);
});

test('a Pi on Ethernet with Wi-Fi beside it: the lower metric (eth0) wins; no Wi-Fi name, no signal, no iwgetid', async (t) => {
  const s = await setup(t);
  await writeNetRoot(s.root, {
    ...WIFI_PI,
    route: ROUTE_HEADER + routeLine('eth0', '00000000', '0101A8C0', 0x0003, 100, '00000000') + routeLine('wlan0', '00000000', '0101A8C0', 0x0003, 600, '00000000'),
  });
  const reader = new NetworkReader({ ...s.options, interfaces: () => ({ eth0: [info('IPv4', '192.168.1.24')] }) });
  assert.deepEqual(reader.current(), { interface: 'eth0', kind: 'ethernet', ssid: null, signalDbm: null, addresses: ['192.168.1.24'] });
  await reader.settled();
  assert.deepEqual(s.calls(), []);
});

test('IPv6 only: the interface of the IPv6 default; no default at all: null', async (t) => {
  const s = await setup(t);
  await writeNetRoot(s.root, { route: ROUTE_HEADER, ipv6Route: IPV6_ROUTES_ETH0, interfaces: { eth0: { type: 1 } } });
  const reader = new NetworkReader({ ...s.options, interfaces: () => ({}) });
  assert.deepEqual(reader.current(), { interface: 'eth0', kind: 'ethernet', ssid: null, signalDbm: null, addresses: [] });
  writeFileSync(join(s.root, 'proc/net/ipv6_route'), IPV6_ROUTES_NONE);
  s.advance(5_000);
  assert.equal(reader.current(), null);
});

test('unreadable tables (no /proc/net at all) fail closed: no network', async (t) => {
  const s = await setup(t);
  assert.equal(new NetworkReader(s.options).current(), null);
});

test('an interface that is neither Wi-Fi nor Ethernet (a WireGuard tunnel, ARPHRD_NONE) is "other"', async (t) => {
  const s = await setup(t);
  await writeNetRoot(s.root, { route: ROUTE_HEADER + routeLine('wg0', '00000000', '00000000', 0x0001, 0, '00000000'), interfaces: { wg0: { type: 65534 } } });
  assert.equal(new NetworkReader(s.options).current()?.kind, 'other');
});

test('iwgetid failing gives ssid null, never an error, and one log line however often it fails', async (t) => {
  const s = await setup(t, { exit: 1 });
  await writeNetRoot(s.root, WIFI_PI);
  const reader = new NetworkReader(s.options);
  for (let i = 0; i < 3; i++) {
    const network = reader.current();
    await reader.settled();
    assert.equal(network?.ssid, null);
    assert.equal(network?.signalDbm, -52);
    s.advance(30_000);
  }
  assert.equal(s.calls().length, 3);
  assert.deepEqual(s.logged, ['the Wi-Fi name of wlan0 cannot be read (iwgetid -r wlan0 exited with 1)']);
});

test('addresses: IPv4 first, IPv6 link-local left out', () => {
  assert.deepEqual(addressesOf(WLAN0_ADDRESSES.wlan0), ['192.168.1.23', '2001:db8::23']);
  assert.deepEqual(addressesOf([]), []);
});
