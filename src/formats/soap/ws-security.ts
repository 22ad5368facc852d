import { createHash, timingSafeEqual } from 'node:crypto';

// WS-Security UsernameToken Profile 1.0 (OASIS 2004), section 3.1: a PasswordDigest is
// Base64(SHA-1(nonce + created + password)), the nonce as raw bytes, Created and the password as
// UTF-8. Only a device that holds the password itself can check one (picamd does for its recorder
// credential, device/accounts/recorder.ts). Section 3.2's advice against replay is kept here as a
// pure window: a Created too far from the device's clock is refused, and a nonce seen within the
// window is refused again. Pure: the caller passes the time.

/** Base64(SHA-1(nonce + created + password)). */
export function passwordDigestOf(nonce: Uint8Array, created: string, password: string): string {
  return createHash('sha1').update(nonce).update(created, 'utf8').update(password, 'utf8').digest('base64');
}

/** Whether `sent` (a token's Password text) is the digest of `password`; constant time over the digest. */
export function samePasswordDigest(sent: string, nonce: Uint8Array, created: string, password: string): boolean {
  const expected = Buffer.from(passwordDigestOf(nonce, created, password), 'base64');
  const got = Buffer.from(sent.trim(), 'base64');
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** xs:dateTime as tokens carry it (2026-12-07T05:53:16Z, with fractions or an offset); NaN otherwise. */
export function parseCreated(created: string): number {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.test(created.trim())) return Number.NaN;
  return Date.parse(created.trim());
}

export type TokenVerdict = 'fresh' | 'stale' | 'replayed' | 'full';

/**
 * The nonces of accepted tokens, each kept until its Created leaves the window. Bounded: once it
 * holds `capacity` live nonces it refuses more ('full') rather than forget one that could then be
 * replayed. Only tokens whose digest matched are recorded, so only the credential's holder fills it.
 */
export class TokenReplayWindow {
  private readonly seen = new Map<string, number>();

  constructor(
    /** How far Created may be from the device's clock, either way. */
    readonly windowMs = 5 * 60_000,
    readonly capacity = 2048,
  ) {}

  /** Whether a token with this nonce and Created (ms since the epoch) is fresh at `nowMs`; records it if so. */
  admit(nonce: Uint8Array, createdMs: number, nowMs: number): TokenVerdict {
    if (!Number.isFinite(createdMs) || Math.abs(nowMs - createdMs) > this.windowMs) return 'stale';
    this.forget(nowMs);
    const key = Buffer.from(nonce).toString('base64');
    if (this.seen.has(key)) return 'replayed';
    if (this.seen.size >= this.capacity) return 'full';
    // Kept until its Created is out of the window: after that the token is refused as stale anyway.
    this.seen.set(key, createdMs + this.windowMs);
    return 'fresh';
  }

  get size(): number {
    return this.seen.size;
  }

  private forget(nowMs: number): void {
    for (const [key, until] of this.seen) if (until < nowMs) this.seen.delete(key);
  }
}
