import { isIP } from 'node:net';
import { unmapped, type TrustedProxies } from '../../platform/net-address.js';

// Who a request is from when it came through a reverse proxy. Pure functions of the TCP peer, the
// forwarding headers and the configured proxies (server.trustedProxies). A proxy's headers say who
// its client was, which scheme and which Host; they are believed only from a configured proxy: from
// anyone else they are the client's own words and ignored, so a client cannot pick the address the
// login limiter counts its failures against, nor the scheme or host the CSRF checks compare.

/** The forwarding headers as they came ('' when absent; a repeated header's values joined by commas). */
export interface ForwardingHeaders {
  'x-forwarded-for': string;
  'x-forwarded-proto': string;
  'x-forwarded-host': string;
  forwarded: string;
  via: string;
}

/** What a trusted proxy said about its client; `client` is the TCP peer when no proxy is trusted. */
export interface ForwardedView {
  client: string;
  /** The scheme the client used, when a trusted proxy said so. */
  scheme?: 'http:' | 'https:';
  /** The Host the client asked for, when a trusted proxy said so. */
  host?: string;
}

/**
 * The client of a request from `peer`. Only when the peer is a trusted proxy: the client is the
 * right-most address of X-Forwarded-For (or else Forwarded's for=) that is not itself a trusted
 * proxy (the left-most, when all are), and the scheme and host are X-Forwarded-Proto and
 * X-Forwarded-Host (or Forwarded's proto= and host=), the first value of each. An entry that is not
 * an address (`unknown`, an obfuscated `_name`) ends the walk: the last trusted hop is then the
 * client, which keys the login limiter on that proxy rather than on a name anyone could send.
 */
export function resolveForwarded(peer: string, headers: ForwardingHeaders, trusted: TrustedProxies): ForwardedView {
  if (trusted.size === 0 || !trusted.has(peer)) return { client: peer };
  const elements = headers.forwarded ? parseForwarded(headers.forwarded) : [];
  const chain = headers['x-forwarded-for'] ? splitList(headers['x-forwarded-for']) : elements.map((e) => e.for ?? '');
  let client = peer;
  for (let i = chain.length - 1; i >= 0; i--) {
    const address = nodeAddress(chain[i]!);
    if (!address) break;
    client = address;
    if (!trusted.has(address)) break;
  }
  const view: ForwardedView = { client };
  const proto = (headers['x-forwarded-proto'] ? splitList(headers['x-forwarded-proto'])[0] : elements[0]?.proto)?.toLowerCase();
  if (proto === 'http' || proto === 'https') view.scheme = `${proto}:`;
  const host = headers['x-forwarded-host'] ? splitList(headers['x-forwarded-host'])[0] : elements[0]?.host;
  if (host) view.host = host;
  return view;
}

/**
 * Every host a proxy chain names: each X-Forwarded-Host entry and each Forwarded host=, not only
 * the first. A proxy that passes its client's own header on (nginx does unless told otherwise)
 * puts the client's words among them, so the Host check must hold for all of them.
 */
export function forwardedHosts(headers: Pick<ForwardingHeaders, 'x-forwarded-host' | 'forwarded'>): string[] {
  const hosts = headers['x-forwarded-host'] ? splitList(headers['x-forwarded-host']) : [];
  if (headers.forwarded) for (const e of parseForwarded(headers.forwarded)) if (e.host !== undefined) hosts.push(e.host);
  return hosts;
}

/**
 * Whether the request came through any proxy at all: every common proxy adds one of these (Caddy and
 * Go's ReverseProxy X-Forwarded-For, nginx configured as the docs say X-Forwarded-For, RFC 7239
 * proxies Forwarded, HTTP/1.1 gateways Via). Only for how the stream is framed: a client that sends
 * one itself gets a chunked stream, which it can read as well, so it needs no trust.
 */
export function cameThroughProxy(headers: ForwardingHeaders): boolean {
  return headers['x-forwarded-for'] !== '' || headers.forwarded !== '' || headers.via !== '';
}

function splitList(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

interface ForwardedElement {
  for?: string;
  proto?: string;
  host?: string;
}

/** RFC 7239 Forwarded: comma-separated elements of `;`-separated name=value pairs, values maybe quoted. */
export function parseForwarded(value: string): ForwardedElement[] {
  const elements: ForwardedElement[] = [];
  // Commas and semicolons inside quoted values ("[2001:db8::1]:80" has none, but be exact).
  const tokens = value.match(/(?:[^,;"]+|"(?:[^"\\]|\\.)*")+|[,;]/g) ?? [];
  let current: ForwardedElement = {};
  for (const token of tokens) {
    if (token === ',') {
      elements.push(current);
      current = {};
      continue;
    }
    if (token === ';') continue;
    const eq = token.indexOf('=');
    if (eq < 0) continue;
    const name = token.slice(0, eq).trim().toLowerCase();
    let v = token.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    if ((name === 'for' || name === 'proto' || name === 'host') && current[name] === undefined) current[name] = v;
  }
  elements.push(current);
  return elements;
}

/**
 * The address in an X-Forwarded-For entry or a Forwarded for= node: `1.2.3.4`, `1.2.3.4:5678`,
 * `2001:db8::1`, `[2001:db8::1]:5678`; undefined for anything else (`unknown`, `_hidden`).
 */
export function nodeAddress(node: string): string | undefined {
  let value = node.trim();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    value = end > 0 ? value.slice(1, end) : '';
  } else if (isIP(value) === 0 && /^[\d.]+:\d+$/.test(value)) {
    value = value.slice(0, value.lastIndexOf(':'));
  }
  value = unmapped(value);
  return isIP(value) === 0 ? undefined : value;
}
