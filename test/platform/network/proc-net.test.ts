import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ipv4DefaultRoute, ipv6DefaultRoute, wirelessSignalDbm } from '../../../src/platform/network/proc-net.js';
import { IPV6_ROUTES_ETH0, IPV6_ROUTES_NONE, ROUTE_HEADER, routeLine, WIFI_ROUTES, WIRELESS_HEADER, WIRELESS_WLAN0, wirelessLine } from '../../fakes/net-root.js';

// The kernel's formats: net/ipv4/fib_trie.c fib_route_seq_show(), net/ipv6/ip6_fib.c
// ipv6_route_native_seq_show(), net/wireless/wext-proc.c wireless_seq_printf_stats().

test('/proc/net/route: the default route of a Pi on Wi-Fi, its LAN route beside it ignored', () => {
  assert.deepEqual(ipv4DefaultRoute(WIFI_ROUTES), { interface: 'wlan0', metric: 600 });
});

test('/proc/net/route as read on a Debian host (header padded to 127 characters, tabs)', () => {
  const text =
    'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT                                                       \n' +
    'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0                                                                               \n' +
    'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0                                                                               \n';
  assert.deepEqual(ipv4DefaultRoute(text), { interface: 'eth0', metric: 0 });
});

test('/proc/net/route: with Ethernet and Wi-Fi both up the lower metric wins (NetworkManager: 100 and 600), whatever the order', () => {
  const eth = routeLine('eth0', '00000000', '0101A8C0', 0x0003, 100, '00000000');
  const wlan = routeLine('wlan0', '00000000', '0101A8C0', 0x0003, 600, '00000000');
  assert.equal(ipv4DefaultRoute(ROUTE_HEADER + wlan + eth)?.interface, 'eth0');
  assert.equal(ipv4DefaultRoute(ROUTE_HEADER + eth + wlan)?.interface, 'eth0');
});

test('/proc/net/route: no default, a header only, an unreachable default (RTF_REJECT, device "*"), a route that is down', () => {
  assert.equal(ipv4DefaultRoute(ROUTE_HEADER + routeLine('eth0', '0001A8C0', '00000000', 0x0001, 100, '00FFFFFF')), undefined);
  assert.equal(ipv4DefaultRoute(ROUTE_HEADER), undefined);
  assert.equal(ipv4DefaultRoute(''), undefined);
  assert.equal(ipv4DefaultRoute(ROUTE_HEADER + routeLine('*', '00000000', '00000000', 0x0201, 0, '00000000')), undefined);
  assert.equal(ipv4DefaultRoute(ROUTE_HEADER + routeLine('eth0', '00000000', '0101A8C0', 0x0002, 100, '00000000')), undefined);
});

test('/proc/net/ipv6_route: the default via eth0; the unreachable ::/0 on lo never counts', () => {
  assert.deepEqual(ipv6DefaultRoute(IPV6_ROUTES_ETH0), { interface: 'eth0', metric: 0x400 });
  assert.equal(ipv6DefaultRoute(IPV6_ROUTES_NONE), undefined);
  assert.equal(ipv6DefaultRoute(''), undefined);
});

test('/proc/net/ipv6_route: the lowest metric of two defaults', () => {
  const line = (iface: string, metric: number) =>
    `00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 ${metric.toString(16).padStart(8, '0')} 00000001 00000000 00000003 ${iface.padStart(8)}\n`;
  assert.equal(ipv6DefaultRoute(line('wlan0', 600) + line('eth0', 100) + IPV6_ROUTES_NONE)?.interface, 'eth0');
});

test('/proc/net/wireless: the signal in dBm of the interface asked for', () => {
  assert.equal(wirelessSignalDbm(WIRELESS_WLAN0, 'wlan0'), -52);
  // A literal line as the format prints it, for a second interface.
  const two = WIRELESS_WLAN0 + ' wlan1: 0000   70.  -40.  -256        0      0      0      0      0        0\n';
  assert.equal(wirelessSignalDbm(two, 'wlan1'), -40);
  assert.equal(wirelessSignalDbm(two, 'wlan2'), null);
});

test('/proc/net/wireless: no signal when it is not fresh, not in dBm, not associated, or the file is empty', () => {
  // Not associated: cfg80211 lists the radio with zeros and no markers.
  assert.equal(wirelessSignalDbm(WIRELESS_HEADER + wirelessLine('wlan0', [0, false], [0, false], [0, false]), 'wlan0'), null);
  // A level without its '.': the driver did not update it.
  assert.equal(wirelessSignalDbm(WIRELESS_HEADER + wirelessLine('wlan0', [58, true], [-52, false], [-256, false]), 'wlan0'), null);
  // A relative level (a driver without IW_QUAL_DBM): 0..255, not dBm.
  assert.equal(wirelessSignalDbm(WIRELESS_HEADER + wirelessLine('wlan0', [58, true], [180, true], [0, false]), 'wlan0'), null);
  assert.equal(wirelessSignalDbm('', 'wlan0'), null);
  assert.equal(wirelessSignalDbm(WIRELESS_HEADER, 'wlan0'), null);
});
