import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

// HTTP Digest authentication (RFC 7616, MD5, qop "auth" or none as RFC 2069 clients send): the
// header parsed, the expected response computed from the stored HA1 = MD5(user:realm:password), and
// stateless nonces (the time they were made, signed with a key the caller keeps), so a server
// remembers nothing per client. Pure: the key and the clock are arguments.

export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
  algorithm?: string;
  opaque?: string;
}

/** Longer headers are not credentials. */
const MAX_HEADER = 2048;

/** `Authorization: Digest k=v, k="v", ...`; undefined for another scheme or a malformed one. */
export function parseDigestAuthorization(header: string): DigestCredentials | undefined {
  if (!header || header.length > MAX_HEADER) return undefined;
  const m = /^digest[ \t]+(.*)$/is.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*(?:,|$)/gy;
  const rest = m[1]!;
  let match: RegExpExecArray | null;
  while (re.lastIndex < rest.length && (match = re.exec(rest))) {
    const key = match[1]!.toLowerCase();
    if (key in params) return undefined;
    params[key] = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3]!;
  }
  if (re.lastIndex !== rest.length && rest.slice(re.lastIndex).trim() !== '') return undefined;
  const { username, realm, nonce, uri, response } = params;
  if (!username || realm === undefined || !nonce || !uri || !response) return undefined;
  return { username, realm, nonce, uri, response, qop: params.qop, nc: params.nc, cnonce: params.cnonce, algorithm: params.algorithm, opaque: params.opaque };
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

/**
 * Whether the credentials answer the challenge for this method with this HA1. MD5 only (what every
 * ONVIF and RTSP client sends); qop "auth" or absent.
 */
export function digestMatches(credentials: DigestCredentials, method: string, ha1: string): boolean {
  const { algorithm, qop, nc, cnonce, nonce, uri, response } = credentials;
  if (algorithm !== undefined && algorithm.toUpperCase() !== 'MD5') return false;
  const ha2 = md5(`${method}:${uri}`);
  let expected: string;
  if (qop === undefined) expected = md5(`${ha1}:${nonce}:${ha2}`);
  else if (qop === 'auth' && nc && cnonce) expected = md5(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`);
  else return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(response.toLowerCase());
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A nonce: when it was made (ms, hex) and its signature. */
export function makeNonce(key: Buffer, nowMs: number): string {
  const time = Math.floor(nowMs).toString(16);
  return `${time}.${sign(key, time)}`;
}

export type NonceCheck = 'ok' | 'stale' | 'invalid';

/** Ours and younger than maxAgeMs: ok; ours but older: stale (the client retries with a fresh one). */
export function checkNonce(key: Buffer, nonce: string, nowMs: number, maxAgeMs: number): NonceCheck {
  const m = /^([0-9a-f]{1,13})\.([A-Za-z0-9_-]{43})$/.exec(nonce);
  if (!m) return 'invalid';
  const expected = Buffer.from(sign(key, m[1]!));
  const given = Buffer.from(m[2]!);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'invalid';
  const age = nowMs - parseInt(m[1]!, 16);
  return age >= 0 && age <= maxAgeMs ? 'ok' : 'stale';
}

function sign(key: Buffer, time: string): string {
  return createHmac('sha256', key).update(time).digest('base64url');
}

/** The WWW-Authenticate value of a challenge. */
export function digestChallenge(realm: string, nonce: string, stale = false): string {
  return `Digest realm="${realm}", qop="auth", algorithm=MD5, nonce="${nonce}"${stale ? ', stale=true' : ''}`;
}
