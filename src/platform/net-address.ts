import { BlockList, isIP } from 'node:net';

// IP addresses and CIDR prefixes as the config names them (server.trustedProxies) and as sockets
// report them.

/** The configured proxies, as addresses and CIDR prefixes. */
export interface TrustedProxies {
  readonly size: number;
  has(address: string): boolean;
}

/** An IP address, or a prefix such as 192.168.1.0/24 or fd00::/8: why it is not, or undefined. */
export function proxyEntryProblem(entry: string): string | undefined {
  const slash = entry.indexOf('/');
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const family = isIP(address);
  if (family === 0) return `${JSON.stringify(entry)} is not an IP address or a CIDR prefix (such as 192.168.1.0/24 or fd00::/8)`;
  if (slash < 0) return undefined;
  const bits = entry.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return `${JSON.stringify(entry)}: the prefix length must be 0 to ${max}`;
  return undefined;
}

/** The list from config; entries are checked by the config schema (proxyEntryProblem). */
export function trustedProxies(entries: ReadonlyArray<string>): TrustedProxies {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, bits] = entry.split('/') as [string, string | undefined];
    const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return {
    size: entries.length,
    has: (address) => {
      const plain = unmapped(address);
      const family = isIP(plain);
      return family !== 0 && list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

export const NO_PROXIES: TrustedProxies = { size: 0, has: () => false };

/** An IPv4-mapped IPv6 address (a dual-stack socket's view of an IPv4 peer) as plain IPv4. */
export function unmapped(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}
