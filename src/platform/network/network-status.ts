import { existsSync, readFileSync } from 'node:fs';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { join } from 'node:path';
import type { Now } from '../clock.js';
import { ipv4DefaultRoute, ipv6DefaultRoute, wirelessSignalDbm } from './proc-net.js';
import { readSsid, runCommand, type CommandRunner } from './ssid.js';

// The network the device is on, for /api/status: the interface of the default route (IPv4 first,
// else IPv6), what kind it is, its addresses and, on Wi-Fi, the network's name and signal.
//
// Read only when someone asks (a status document), never on a timer: an unused feature costs
// nothing while nobody looks (issue 26). The files are small kernel tables read synchronously, at
// most once per `maxAgeMs`; the Wi-Fi name needs a child process (ssid.ts), so it is asked for in
// the background, one at a time and with a time limit, and the status carries the last answer
// (null until the first one, or for another interface).

export type NetworkKind = 'wifi' | 'ethernet' | 'other';

export interface NetworkStatus {
  interface: string;
  kind: NetworkKind;
  /** The Wi-Fi network's name; null on a wired interface, while not known yet, or when it cannot be read. */
  ssid: string | null;
  /** The Wi-Fi signal in dBm (e.g. -52), from /proc/net/wireless; null on a wired interface or when the driver gives none. */
  signalDbm: number | null;
  /** The interface's addresses, IPv4 first; IPv6 link-local ones left out. */
  addresses: string[];
}

export interface NetworkReaderOptions {
  /** Where /proc and /sys are; tests give a directory that holds fake ones. */
  root: string;
  run: CommandRunner;
  /** The environment the SSID tool runs with (its PATH finds it). */
  env: NodeJS.ProcessEnv;
  interfaces: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
  now: Now;
  /** How long one reading of the kernel's tables serves. */
  maxAgeMs: number;
  /** How long a Wi-Fi name serves before it is asked for again (it changes only when the device joins another network). */
  ssidMaxAgeMs: number;
  ssidTimeoutMs: number;
  log: (line: string) => void;
}

interface Reading {
  at: number;
  value: Omit<NetworkStatus, 'ssid'> | null;
}

/** The options of a device: the real /proc and /sys, unless PICAMD_NET_ROOT names a stand-in (tests). */
export function networkReaderOptions(env: NodeJS.ProcessEnv, now: Now, log: (line: string) => void): NetworkReaderOptions {
  return {
    root: env.PICAMD_NET_ROOT || '/',
    run: runCommand,
    // iwgetid is in /sbin (wireless-tools); a user's PATH (npm run demo) may not have it.
    env: { PATH: `${env.PATH ?? '/usr/bin:/bin'}:/usr/sbin:/sbin`, LC_ALL: 'C' },
    interfaces: networkInterfaces,
    now,
    maxAgeMs: 5_000,
    ssidMaxAgeMs: 30_000,
    ssidTimeoutMs: 3_000,
    log,
  };
}

export class NetworkReader {
  private reading: Reading | undefined;
  private ssid: { iface: string; value: string | null; at: number } | undefined;
  private asking: Promise<void> | undefined;
  private lastFailure = '';

  constructor(private readonly options: NetworkReaderOptions) {}

  /** The network now (from a reading at most maxAgeMs old); null when there is no default route. */
  current(): NetworkStatus | null {
    const now = this.options.now();
    if (!this.reading || now - this.reading.at >= this.options.maxAgeMs) this.reading = { at: now, value: this.read() };
    const value = this.reading.value;
    if (!value) return null;
    return { ...value, ssid: value.kind === 'wifi' ? this.ssidOf(value.interface, now) : null };
  }

  /** Resolves when no Wi-Fi name is being asked for (for tests and an orderly stop). */
  async settled(): Promise<void> {
    await this.asking;
  }

  private read(): Omit<NetworkStatus, 'ssid'> | null {
    const route = ipv4DefaultRoute(this.file('proc/net/route')) ?? ipv6DefaultRoute(this.file('proc/net/ipv6_route'));
    if (!route) return null;
    const iface = route.interface;
    const kind = this.kindOf(iface);
    return {
      interface: iface,
      kind,
      signalDbm: kind === 'wifi' ? wirelessSignalDbm(this.file('proc/net/wireless'), iface) : null,
      addresses: addressesOf(this.options.interfaces()[iface] ?? []),
    };
  }

  /** A kernel table's text; empty when it cannot be read (no IPv6, no wireless extensions). */
  private file(path: string): string {
    try {
      return readFileSync(join(this.options.root, path), 'utf8');
    } catch {
      return '';
    }
  }

  /** wireless/ (wireless extensions) or phy80211 (cfg80211) make it Wi-Fi; type 1 (ARPHRD_ETHER) else Ethernet. */
  private kindOf(iface: string): NetworkKind {
    // The name comes from a kernel table; it never holds a slash, but a fake root might.
    if (iface.includes('/') || iface === '.' || iface === '..') return 'other';
    const dir = join(this.options.root, 'sys/class/net', iface);
    if (existsSync(join(dir, 'wireless')) || existsSync(join(dir, 'phy80211'))) return 'wifi';
    return this.file(join('sys/class/net', iface, 'type')).trim() === '1' ? 'ethernet' : 'other';
  }

  private ssidOf(iface: string, now: number): string | null {
    const known = this.ssid?.iface === iface ? this.ssid : undefined;
    if (!known || now - known.at >= this.options.ssidMaxAgeMs) this.ask(iface);
    return known?.value ?? null;
  }

  /** One iwgetid at a time; its answer serves the next status documents. */
  private ask(iface: string): void {
    if (this.asking) return;
    const { run, env, ssidTimeoutMs } = this.options;
    this.asking = readSsid(iface, run, { timeoutMs: ssidTimeoutMs, env }, (why) => {
      // Once per distinct failure: a page open all day must not fill the journal.
      if (why !== this.lastFailure) this.options.log(`the Wi-Fi name of ${iface} cannot be read (${why})`);
      this.lastFailure = why;
    }).then((value) => {
      if (value !== null) this.lastFailure = '';
      this.ssid = { iface, value, at: this.options.now() };
    }).finally(() => {
      this.asking = undefined;
    });
  }
}

/** IPv4 first, then IPv6 without link-local (fe80::/10), each in the kernel's order. */
export function addressesOf(infos: readonly NetworkInterfaceInfo[]): string[] {
  const v4 = infos.filter((i) => i.family === 'IPv4').map((i) => i.address);
  const v6 = infos.filter((i) => i.family === 'IPv6' && !/^fe[89ab]/i.test(i.address)).map((i) => i.address);
  return [...v4, ...v6];
}
