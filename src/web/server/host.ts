import { isIP } from 'node:net';

// Which Host names picamd answers to. A page on another name that its DNS points at the device
// (DNS rebinding) is same-origin in the visitor's browser, so the origin check cannot tell it apart:
// the Host header can. IP literals always pass: a page at an IP address is that device's own origin,
// which rebinding cannot fake.

/** The names a device answers to: localhost, its host name and <host>.local, and configured names. */
export function deviceHostNames(hostname: string, configured: ReadonlyArray<string>): string[] {
  const names = new Set(['localhost', ...configured.map((n) => n.toLowerCase())]);
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (host) {
    names.add(host);
    // A host name given fully qualified still answers as <short>.local over mDNS.
    names.add(`${host.split('.')[0]}.local`);
  }
  return [...names];
}

/** The host part of a Host header: lower case, without port or brackets; '' when malformed. */
export function hostOf(header: string): string {
  const value = header.trim().toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end > 0 ? value.slice(1, end) : '';
  }
  const colon = value.indexOf(':');
  return (colon < 0 ? value : value.slice(0, colon)).replace(/\.$/, '');
}

/** Whether a request with this Host header is for this device. `*` among the names allows any. */
export function hostAllowed(header: string, names: ReadonlyArray<string>): boolean {
  if (names.includes('*')) return true;
  const host = hostOf(header);
  if (!host) return false;
  return isIP(host) !== 0 || names.includes(host);
}
