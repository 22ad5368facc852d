import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// Digest access authentication as RTSP (RFC 2326) and HTTP (RFC 7616, the ONVIF services) use it,
// with MD5, the algorithm their clients implement: the Authorization header's parameters, the
// response a client computes from HA1 (the accounts keep it: AccountsStore.digestHa1), and nonces
// that are stateless but bound to a connection (or any number the caller chooses) and an expiry by
// an HMAC under a key of this process, so a response seen on the network cannot be replayed
// elsewhere or after the nonce expired. Both RFC 2069 responses (no qop: what live555/VLC and
// GStreamer send) and qop=auth are checked. Pure computation: no I/O, the clock is an argument.

export interface DigestParams {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
  algorithm?: string;
}

const MAX_AUTHORIZATION = 2048;

/**
 * The parameters of `Authorization: Digest ...`, or undefined for another scheme or a malformed
 * one. Header text arrives as latin1; the user name is read back as UTF-8, as clients send it.
 */
export function parseDigestAuthorization(header: string): DigestParams | undefined {
  if (header.length > MAX_AUTHORIZATION) return undefined;
  const m = /^digest\s+(.*)$/is.exec(header.trim());
  if (!m) return undefined;
  const fields = authParams(m[1]!);
  if (!fields) return undefined;
  const need = ['username', 'realm', 'nonce', 'uri', 'response'] as const;
  if (!need.every((k) => fields.has(k))) return undefined;
  const username = Buffer.from(fields.get('username')!, 'latin1').toString('utf8');
  return {
    username,
    realm: fields.get('realm')!,
    nonce: fields.get('nonce')!,
    uri: fields.get('uri')!,
    response: fields.get('response')!.toLowerCase(),
    ...optional(fields, 'qop'),
    ...optional(fields, 'nc'),
    ...optional(fields, 'cnonce'),
    ...optional(fields, 'algorithm'),
  };
}

/** `key=value` and `key="quoted \\"value\\""` pairs separated by commas (RFC 7235 auth-param), or undefined. */
function authParams(text: string): Map<string, string> | undefined {
  const fields = new Map<string, string>();
  let i = 0;
  const space = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === ',')) i++;
  };
  for (space(); i < text.length; space()) {
    const key = /^[A-Za-z0-9_-]+/.exec(text.slice(i))?.[0];
    if (!key) return undefined;
    i += key.length;
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] !== '=') return undefined;
    i++;
    while (text[i] === ' ' || text[i] === '\t') i++;
    let value = '';
    if (text[i] === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        value += text[i++];
      }
      if (text[i] !== '"') return undefined;
      i++;
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== ' ' && text[i] !== '\t') value += text[i++];
    }
    fields.set(key.toLowerCase(), value);
  }
  return fields;
}

function optional(fields: Map<string, string>, key: 'qop' | 'nc' | 'cnonce' | 'algorithm'): Partial<DigestParams> {
  const value = fields.get(key);
  return value === undefined ? {} : { [key]: value };
}

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

/** The response a client with `ha1` computes for this request (RFC 7616 3.4.1, RFC 2069 without qop). */
export function expectedResponse(ha1: string, method: string, p: Pick<DigestParams, 'nonce' | 'uri' | 'qop' | 'nc' | 'cnonce'>): string {
  const ha2 = md5(`${method}:${p.uri}`);
  if (p.qop === 'auth') return md5(`${ha1}:${p.nonce}:${p.nc ?? ''}:${p.cnonce ?? ''}:auth:${ha2}`);
  return md5(`${ha1}:${p.nonce}:${ha2}`);
}

/** Constant-time comparison of two hex responses. */
export function sameResponse(a: string, b: string): boolean {
  const x = Buffer.from(a, 'latin1');
  const y = Buffer.from(b, 'latin1');
  return x.length === y.length && timingSafeEqual(x, y);
}

export type NonceCheck = 'valid' | 'stale' | 'invalid';

/** Nonces bound to a connection and an expiry, checked without keeping any. */
export class DigestNonces {
  private readonly key: Buffer;

  constructor(
    private readonly lifetimeMs: number,
    random: (bytes: number) => Buffer = randomBytes,
  ) {
    this.key = random(32);
  }

  issue(connection: number, nowMs: number): string {
    const expiry = Math.floor(nowMs + this.lifetimeMs);
    return `${expiry.toString(36)}.${connection.toString(36)}.${this.mac(expiry, connection)}`;
  }

  check(nonce: string, connection: number, nowMs: number): NonceCheck {
    const m = /^([0-9a-z]{1,12})\.([0-9a-z]{1,12})\.([A-Za-z0-9_-]{22})$/.exec(nonce);
    if (!m) return 'invalid';
    const expiry = parseInt(m[1]!, 36);
    const owner = parseInt(m[2]!, 36);
    if (owner !== connection || !sameResponse(m[3]!, this.mac(expiry, owner))) return 'invalid';
    return nowMs <= expiry ? 'valid' : 'stale';
  }

  private mac(expiry: number, connection: number): string {
    return createHmac('sha256', this.key).update(`${expiry}.${connection}`).digest('base64url').slice(0, 22);
  }
}
