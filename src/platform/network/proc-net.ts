// The kernel's text tables of routes and Wi-Fi signal, as plain functions of their text (no files
// here: network-status.ts reads them). Formats as the kernel prints them:
//   /proc/net/route       net/ipv4/fib_trie.c fib_route_seq_show(): a header line, then per route
//                         "%s\t%08X\t%08X\t%04X\t%d\t%u\t%d\t%08X\t%d\t%u\t%u" (Iface, Destination,
//                         Gateway, Flags, RefCnt, Use, Metric, Mask, MTU, Window, IRTT), padded to 127
//   /proc/net/ipv6_route  net/ipv6/ip6_fib.c ipv6_route_native_seq_show(): no header; destination
//                         (32 hex digits) and its prefix length, source and its length, next hop,
//                         then " %08x %08x %08x %08x %8s" (metric, refcount, use, flags, device)
//   /proc/net/wireless    net/wireless/wext-proc.c wireless_seq_printf_stats(): two header lines,
//                         then "%6s: %04x  %3d%c  %3d%c  %3d%c ..." (interface, status, link
//                         quality, signal level, noise); a '.' after a value means it is fresh, and
//                         with IW_QUAL_DBM the level is printed as dBm (the unsigned byte minus 256)

const RTF_UP = 0x0001;
const RTF_REJECT = 0x0200;

export interface DefaultRoute {
  interface: string;
  metric: number;
}

/** The IPv4 default route with the lowest metric (the one the kernel uses), or undefined. */
export function ipv4DefaultRoute(text: string): DefaultRoute | undefined {
  let best: DefaultRoute | undefined;
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const [iface, destination, , flagsHex, , , metricText, mask] = f as [string, string, string, string, string, string, string, string];
    const flags = parseInt(flagsHex, 16);
    const metric = Number(metricText);
    if (destination !== '00000000' || mask !== '00000000' || !Number.isInteger(metric)) continue;
    // An unreachable or prohibit default has RTF_REJECT and no device ("*").
    if (!(flags & RTF_UP) || flags & RTF_REJECT || iface === '*') continue;
    if (!best || metric < best.metric) best = { interface: iface, metric };
  }
  return best;
}

/**
 * The IPv6 default route (::/0) with the lowest metric, or undefined. The kernel keeps an
 * unreachable ::/0 on `lo` (flags 00200200, RTF_REJECT) on every machine: never a network.
 */
export function ipv6DefaultRoute(text: string): DefaultRoute | undefined {
  let best: DefaultRoute | undefined;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [destination, prefix, , , , metricHex, , , flagsHex, iface] = f as [string, string, string, string, string, string, string, string, string, string];
    if (!/^0{32}$/.test(destination) || prefix !== '00') continue;
    const flags = parseInt(flagsHex, 16);
    const metric = parseInt(metricHex, 16);
    if (!(flags & RTF_UP) || flags & RTF_REJECT || iface === 'lo' || Number.isNaN(metric)) continue;
    if (!best || metric < best.metric) best = { interface: iface, metric };
  }
  return best;
}

/**
 * The signal level of `iface` in dBm, or null: not listed, not fresh (no '.'), or not in dBm (a
 * driver reporting a relative level prints it as 0..255, which says nothing in dBm).
 */
export function wirelessSignalDbm(text: string, iface: string): number | null {
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.slice(0, colon).trim() !== iface) continue;
    // status, link quality, signal level, noise: the level is the second value with its marker.
    const m = /^\s*[0-9a-f]+\s+(-?\d+)([. ])\s*(-?\d+)([. ])/i.exec(line.slice(colon + 1));
    if (!m || m[4] !== '.') return null;
    const level = Number(m[3]);
    return level < 0 && level > -256 ? level : null;
  }
  return null;
}
