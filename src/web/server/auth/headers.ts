import { decodeUtf8Strict } from '../../../formats/utf8.js';
import { escapeForLog } from '../../../platform/log/escape.js';

// Parsing of the request headers that carry credentials. Pure functions of header text.

export interface BasicCredentials {
  user: string;
  password: string;
}

/** Longer Authorization headers are not credentials worth a scrypt run. */
const MAX_AUTHORIZATION = 1024;

/**
 * `Authorization: Basic base64(user:password)` (RFC 7617), UTF-8. Undefined for another scheme, a
 * malformed value or bytes that are not UTF-8. The password may contain colons; the user name may not.
 */
export function parseBasicAuthorization(header: string): BasicCredentials | undefined {
  if (!header || header.length > MAX_AUTHORIZATION) return undefined;
  const m = /^basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(header);
  if (!m) return undefined;
  const decoded = decodeUtf8Strict(Buffer.from(m[1]!, 'base64'));
  if (decoded === undefined) return undefined;
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The value of one cookie in a `Cookie:` header, or '' when absent. */
export function cookieValue(header: string, name: string): string {
  if (!header) return '';
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    if (pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return '';
}

/**
 * A user name as it may appear in a log line: printable, quoted and short, so a crafted name
 * cannot forge or flood log lines.
 */
export function loggableName(name: string): string {
  return `"${escapeForLog(name, 64).replaceAll('"', '\\"')}"`;
}

/**
 * The key rate limiting counts a client address by: an IPv4 address (also when IPv4-mapped), or the
 * whole IPv6 address in its short form (RFC 5952). Not the /64: the hosts of one LAN share its /64
 * (SLAAC and privacy addresses), and this device mostly serves its own LAN, so a /64 key would let
 * one host's wrong passwords lock every other host out. What a /64 key was for, a client that picks
 * a fresh address for every guess, is covered by clientGroup. Anything unparseable is its own key.
 */
export function clientKey(address: string): string {
  const text = address.trim();
  if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(text)) return text;
  const groups = parseIpv6(text);
  if (!groups) return text;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi = 0, lo = 0] = groups.slice(6);
    return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
  }
  return formatIpv6(groups);
}

/**
 * The /64 an IPv6 key belongs to, whose failures also add up (LoginLimiter, with a much larger
 * allowance than one address): someone holding a /64 can pick any of its 2^64 addresses. Undefined
 * for IPv4 and for the loopback address, which are single addresses.
 */
export function clientGroup(key: string): string | undefined {
  const groups = parseIpv6(key);
  if (!groups || groups.slice(0, 7).every((g) => g === 0)) return undefined;
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address (zone dropped, IPv4 tail allowed), or undefined. */
function parseIpv6(address: string): number[] | undefined {
  let text = address.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const v4 = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const bytes = v4.slice(2).map(Number);
    if (bytes.some((b) => b > 255)) return undefined;
    text = `${v4[1]}${((bytes[0]! << 8) | bytes[1]!).toString(16)}:${((bytes[2]! << 8) | bytes[3]!).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const split = (part: string | undefined) => (part ? part.split(':') : []);
  const left = split(halves[0]);
  const right = split(halves[1]);
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return all.map((g) => parseInt(g, 16));
}

/** RFC 5952: lower case, no leading zeros, the longest run of two or more zero groups as '::'. */
function formatIpv6(groups: number[]): string {
  let best = { at: -1, length: 1 };
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { at: i, length: j - i };
    i = Math.max(i, j);
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.length).join(':')}`;
}
