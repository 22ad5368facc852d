import { BlockList } from 'node:net';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { unmapped } from './net-address.js';

// The device's own network interfaces and addresses, for ONVIF (GetNetworkInterfaces, the XAddrs
// WS-Discovery announces) and for telling a sender on the device's own networks from one beyond.

export interface LocalInterface {
  name: string;
  mac: string;
  ipv4: Array<{ address: string; prefixLength: number }>;
}

type List = () => NodeJS.Dict<NetworkInterfaceInfo[]>;

/** Interfaces with an IPv4 address, loopback left out. */
export function localInterfaces(list: List = networkInterfaces): LocalInterface[] {
  const result: LocalInterface[] = [];
  for (const [name, infos] of Object.entries(list())) {
    const ipv4 = (infos ?? []).filter((i) => i.family === 'IPv4' && !i.internal);
    if (ipv4.length === 0) continue;
    result.push({ name, mac: ipv4[0]!.mac, ipv4: ipv4.map((i) => ({ address: i.address, prefixLength: Number(i.cidr?.split('/')[1] ?? 32) })) });
  }
  return result;
}

/**
 * Whether an address is on one of the device's own IPv4 networks, link-local or loopback: WS-Discovery
 * is for the local network, and answering anyone beyond it would only serve spoofed senders.
 */
export function isLocalAddress(address: string, list: List = networkInterfaces): boolean {
  const plain = unmapped(address);
  const block = new BlockList();
  block.addSubnet('127.0.0.0', 8, 'ipv4');
  block.addSubnet('169.254.0.0', 16, 'ipv4');
  for (const i of localInterfaces(list)) for (const a of i.ipv4) block.addSubnet(a.address, a.prefixLength, 'ipv4');
  try {
    return block.check(plain, 'ipv4');
  } catch {
    return false;
  }
}
