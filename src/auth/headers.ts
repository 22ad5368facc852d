import { decodeUtf8Strict } from './utf8.js';

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
  const clean = name.replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(clean.length > 64 ? `${clean.slice(0, 64)}...` : clean);
}

/**
 * The part of a client address that rate limiting counts: an IPv4 address, or the /64 prefix of an
 * IPv6 address (one subscriber usually holds a whole /64 and can pick any address in it).
 */
export function clientKey(address: string): string {
  const v4 = /^(?:::ffff:)?(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (v4) return v4[1]!;
  if (!address.includes(':')) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') && tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
