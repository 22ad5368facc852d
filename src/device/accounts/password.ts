import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

// Password hashes for server.auth.users, in the PHC string format that other tools also read:
//   $scrypt$ln=13,r=8,p=10$<salt, base64>$<hash, base64>
// The parameters travel with the hash, so a device can verify hashes made with other costs, and the
// defaults can change without invalidating old configs.

export interface ScryptParams {
  /** log2 of N, the CPU/memory cost. */
  ln: number;
  /** Block size. */
  r: number;
  /** Parallelism. */
  p: number;
}

/**
 * One of OWASP's equivalent scrypt settings, the one with the least memory (N=2^13, r=8, p=10:
 * 8 MiB), because memory is what a Pi Zero lacks: the cost goes into p instead. About 0.2 s on a
 * desktop core, more than a second on a Pi Zero 2 W; verified passwords are cached (see
 * Authenticator), so a device pays it once per client, not per request. glibc keeps the freed 8 MiB
 * in the thread's arena unless MALLOC_MMAP_THRESHOLD_ is set (docs/security.md).
 */
export const DEFAULT_SCRYPT: ScryptParams = { ln: 13, r: 8, p: 10 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** No hash in a config may make the device allocate more than this for one verification. */
const MAX_SCRYPT_MEMORY = 64 * 1024 * 1024;

export interface PasswordHash extends ScryptParams {
  salt: Buffer;
  hash: Buffer;
}

const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{11,88})\$([A-Za-z0-9+/]{22,88})$/;

/** Bytes of memory one scrypt run with these parameters needs. */
function scryptMemory({ ln, r }: ScryptParams): number {
  return 128 * 2 ** ln * r;
}

/**
 * Parses a hash made by `picamd hash-password`, or returns why it is not one. Parameters are
 * bounded, so a hand-edited hash cannot make verification take the device down.
 */
export function parsePasswordHash(text: string): PasswordHash | string {
  const m = PHC.exec(text);
  if (!m) {
    if (text.startsWith('$scrypt$')) return 'not a valid scrypt hash; make a new one with `picamd hash-password`';
    return 'must be a password hash from `picamd hash-password`, not a password (plain-text passwords are refused)';
  }
  const [ln, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (ln < 10 || ln > 20 || r < 1 || r > 32 || p < 1 || p > 16) {
    return `scrypt parameters out of range (ln 10-20, r 1-32, p 1-16): ln=${ln},r=${r},p=${p}`;
  }
  if (scryptMemory({ ln, r, p }) > MAX_SCRYPT_MEMORY) {
    return `scrypt parameters need more than ${MAX_SCRYPT_MEMORY / 1024 / 1024} MiB of memory: ln=${ln},r=${r}`;
  }
  const salt = Buffer.from(m[4]!, 'base64');
  const hash = Buffer.from(m[5]!, 'base64');
  if (salt.length < 8 || hash.length < 16) return 'salt or hash too short; make a new one with `picamd hash-password`';
  return { ln, r, p, salt, hash };
}

function b64(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}

export function formatPasswordHash(h: PasswordHash): string {
  return `$scrypt$ln=${h.ln},r=${h.r},p=${h.p}$${b64(h.salt)}$${b64(h.hash)}`;
}

/** scrypt on the libuv thread pool: the event loop (and every stream) keeps running meanwhile. */
function derive(password: string, salt: Buffer, length: number, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { N: 2 ** params.ln, r: params.r, p: params.p, maxmem: scryptMemory(params) + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(
  password: string,
  params: ScryptParams = DEFAULT_SCRYPT,
  salt: Buffer = randomBytes(SALT_BYTES),
): Promise<string> {
  const hash = await derive(password, salt, KEY_BYTES, params);
  return formatPasswordHash({ ...params, salt, hash });
}

/** Constant-time comparison of the derived key with the stored one. */
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const derived = await derive(password, stored.salt, stored.hash.length, stored);
  return timingSafeEqual(derived, stored.hash);
}
