import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseJsonDocument } from './json-document.js';

// What HTTP and RTSP Digest authentication (RFC 7616, RFC 2326) need of a password: HA1 =
// MD5(user ":" realm ":" password). The accounts keep scrypt hashes, from which no HA1 can be
// derived, so the accounts store also keeps each user's HA1 for picamd's one realm, in its own small
// file beside accounts.json (accounts-digest.json), written when a password is set and filled in at
// the user's next successful password login for accounts that predate it. The trade-off, and why a
// file of its own: docs/security.md#digest-authentication.
//
// Each entry is bound to the scrypt hash it was made with (a SHA-256 of the hash's text), so an HA1
// stops counting the moment the password changes by any path (the page, picamd-setup.txt, the owner
// reset, an older picamd that does not know this file), and a stale entry can never log anyone in.
// Pure: no I/O.

/** The realm of every Digest challenge picamd sends (RTSP, ONVIF): HA1s are only valid for it. */
export const DIGEST_REALM = 'picamd';

export const DIGEST_FORMAT = 1;

export interface DigestEntry {
  name: string;
  /** MD5(name:realm:password), 32 lower-case hex digits. */
  ha1: string;
  /** SHA-256 (hex) of the scrypt hash text the password had when the HA1 was made. */
  boundTo: string;
}

/** HA1 for `name` and `password` in picamd's realm, as RFC 7616 3.4.2 computes it (MD5, UTF-8). */
export function digestHa1For(name: string, password: string, realm = DIGEST_REALM): string {
  return createHash('md5').update(`${name}:${realm}:${password}`, 'utf8').digest('hex');
}

/** What an HA1 entry is bound to: the user's current scrypt hash. */
export function bindingOf(passwordHash: string): string {
  return createHash('sha256').update(passwordHash, 'utf8').digest('hex');
}

const documentSchema = z.strictObject({
  format: z.literal(DIGEST_FORMAT),
  realm: z.string(),
  savedAt: z.string().optional(),
  users: z
    .array(
      z.strictObject({
        name: z.string().min(1).max(64),
        ha1: z.string().regex(/^[0-9a-f]{32}$/),
        boundTo: z.string().regex(/^[0-9a-f]{64}$/),
      }),
    )
    .max(64),
});

/**
 * The entries of accounts-digest.json, or why it is not one. A file of another realm holds nothing
 * usable (every HA1 depends on the realm): its entries are dropped, not an error.
 */
export function parseDigestText(text: string): { ok: true; entries: DigestEntry[] } | { ok: false; reason: string } {
  const parsed = parseJsonDocument(text, documentSchema, 'a digest file');
  if (!parsed.ok) return parsed;
  if (parsed.doc.realm !== DIGEST_REALM) return { ok: true, entries: [] };
  return { ok: true, entries: parsed.doc.users.map((u) => ({ name: u.name, ha1: u.ha1, boundTo: u.boundTo })) };
}

export function serializeDigest(entries: ReadonlyArray<DigestEntry>, now: Date): string {
  const users = entries.map((e) => ({ name: e.name, ha1: e.ha1, boundTo: e.boundTo }));
  return `${JSON.stringify({ format: DIGEST_FORMAT, realm: DIGEST_REALM, savedAt: now.toISOString(), users }, null, 2)}\n`;
}
