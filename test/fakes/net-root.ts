import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

// A stand-in for the /proc and /sys that src/platform/network/ reads, and for iwgetid, in the
// kernel's own formats (the sources are named in src/platform/network/proc-net.ts and ssid.ts).

/** /proc/net/route's header as fib_route_seq_show() prints it: padded with spaces to 127 characters. */
export const ROUTE_HEADER = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT'.padEnd(127) + '\n';

/** One IPv4 route as the kernel prints it ("%s\t%08X\t%08X\t%04X\t%d\t%u\t%d\t%08X\t%d\t%u\t%u", padded to 127). */
export function routeLine(iface: string, destination: string, gateway: string, flags: number, metric: number, mask: string): string {
  const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, '0');
  return `${iface}\t${destination}\t${gateway}\t${hex(flags, 4)}\t0\t0\t${metric}\t${mask}\t0\t0\t0`.padEnd(127) + '\n';
}

/** A Pi on Wi-Fi as NetworkManager sets it up: the default via 192.168.1.1 on wlan0 (metric 600), the LAN beside it. */
export const WIFI_ROUTES = ROUTE_HEADER + routeLine('wlan0', '00000000', '0101A8C0', 0x0003, 600, '00000000') + routeLine('wlan0', '0001A8C0', '00000000', 0x0001, 600, '00FFFFFF');

/**
 * /proc/net/ipv6_route of a machine with an IPv6 default on eth0 (as read on a Debian 12 host), with
 * the unreachable ::/0 on lo (flags 00200200) that every kernel lists.
 */
export const IPV6_ROUTES_ETH0 = [
  'fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0',
  'fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000000 00000001     eth0',
  '00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000003 00000000 00000003     eth0',
  '00000000000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000004 00000000 80200001       lo',
  'ff000000000000000000000000000000 08 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000005 00000000 00000001     eth0',
  '00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo',
].join('\n') + '\n';

/** Only the unreachable ::/0 on lo: a machine without an IPv6 default. */
export const IPV6_ROUTES_NONE = '00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n';

/** wireless_dev_seq_show()'s two header lines (WIRELESS_EXT 22). */
export const WIRELESS_HEADER =
  'Inter-| sta-|   Quality        |   Discarded packets               | Missed | WE\n' +
  ' face | tus | link level noise |  nwid  crypt   frag  retry   misc | beacon | 22\n';

/**
 * One line of /proc/net/wireless as wireless_seq_printf_stats() prints it:
 * "%6s: %04x  %3d%c  %3d%c  %3d%c  %6d %6d %6d %6d %6d   %6d\n"; a value's '.' says it is fresh.
 */
export function wirelessLine(iface: string, quality: [number, boolean], level: [number, boolean], noise: [number, boolean]): string {
  const v = ([n, fresh]: [number, boolean]) => `${String(n).padStart(3)}${fresh ? '.' : ' '}`;
  const d = (n: number) => String(n).padStart(6);
  return `${iface.padStart(6)}: ${'0000'}  ${v(quality)}  ${v(level)}  ${v(noise)}  ${d(0)} ${d(0)} ${d(0)} ${d(0)} ${d(14)}   ${d(0)}\n`;
}

/** wlan0 joined at -52 dBm (cfg80211 sets IW_QUAL_DBM; the noise it has none of prints as -256 without a '.'). */
export const WIRELESS_WLAN0 = WIRELESS_HEADER + wirelessLine('wlan0', [58, true], [-52, true], [-256, false]);

export interface NetRootFiles {
  route?: string;
  ipv6Route?: string;
  wireless?: string;
  /** Interfaces under /sys/class/net: their kind (wifi: a phy80211 link and a wireless/ directory, as cfg80211 makes them) and type. */
  interfaces?: Record<string, { wifi?: boolean; type: number }>;
}

/** Writes the files into `root` (proc/net/..., sys/class/net/...). */
export async function writeNetRoot(root: string, files: NetRootFiles): Promise<string> {
  const put = async (path: string, content: string) => {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  };
  if (files.route !== undefined) await put('proc/net/route', files.route);
  if (files.ipv6Route !== undefined) await put('proc/net/ipv6_route', files.ipv6Route);
  if (files.wireless !== undefined) await put('proc/net/wireless', files.wireless);
  for (const [name, iface] of Object.entries(files.interfaces ?? {})) {
    const dir = join(root, 'sys/class/net', name);
    await put(join('sys/class/net', name, 'type'), `${iface.type}\n`);
    if (iface.wifi) {
      await mkdir(join(dir, 'wireless'), { recursive: true });
      await mkdir(join(root, 'sys/class/ieee80211/phy0'), { recursive: true });
      await symlink(join(root, 'sys/class/ieee80211/phy0'), join(dir, 'phy80211'));
    }
  }
  return root;
}

/**
 * A stand-in `iwgetid` in `dir` (put it first on PATH): prints `ssid` and a newline for `-r <iface>`
 * as wireless-tools' iwgetid does, exits 255 with no output otherwise (an interface without wireless
 * extensions); `exit` makes it fail, `sleepS` makes it hang (it never answers). Each run appends its arguments to `dir`/calls.
 */
export async function writeIwgetid(dir: string, behaviour: { ssid?: string; iface?: string; exit?: number; sleepS?: number }): Promise<string> {
  const path = join(dir, 'iwgetid');
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  await mkdir(dir, { recursive: true });
  await writeFile(
    path,
    [
      '#!/bin/sh',
      `echo "$*" >> ${q(join(dir, 'calls'))}`,
      // exec: the time limit's SIGKILL reaches the sleep itself, nothing outlives the test.
      behaviour.sleepS ? `exec sleep ${behaviour.sleepS}` : '',
      behaviour.exit !== undefined ? `exit ${behaviour.exit}` : '',
      `[ "$1" = "-r" ] && [ "$2" = ${q(behaviour.iface ?? 'wlan0')} ] || exit 255`,
      `printf '%s\\n' ${q(behaviour.ssid ?? '')}`,
      '',
    ].join('\n'),
  );
  await chmod(path, 0o755);
  return path;
}
