// Ed25519 keys as the update format names them. A key's id is the first 8 bytes of the SHA-256 of
// its 32 raw public key bytes, in hex: short enough to read in a log line, and the file says which
// trusted key must verify it (several may be trusted at once while a key is being replaced).
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

/** Trusted public keys by id. */
export type TrustedKeys = ReadonlyMap<string, KeyObject>;

export function rawPublicKey(key: KeyObject): Buffer {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new Error(`not an Ed25519 key (${publicKey.asymmetricKeyType ?? publicKey.type})`);
  const { x } = publicKey.export({ format: 'jwk' });
  return Buffer.from(x!, 'base64url');
}

/** The id of a public key, or of the public half of a private one. */
export function keyIdOf(key: KeyObject): string {
  return createHash('sha256').update(rawPublicKey(key)).digest().subarray(0, 8).toString('hex');
}

/** A public key from its PEM text; throws when it is not an Ed25519 public key. */
export function publicKeyFromPem(pem: string): KeyObject {
  const key = createPublicKey({ key: pem, format: 'pem' });
  rawPublicKey(key);
  return key;
}

/** A private key from its PEM text; throws when it is not an Ed25519 private key. */
export function privateKeyFromPem(pem: string): KeyObject {
  const key = createPrivateKey({ key: pem, format: 'pem' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`not an Ed25519 private key (${key.asymmetricKeyType})`);
  return key;
}

/** The keys by id; throws for a key that is not Ed25519. */
export function trustedKeys(keys: Iterable<KeyObject>): TrustedKeys {
  const map = new Map<string, KeyObject>();
  for (const key of keys) map.set(keyIdOf(key), key.type === 'private' ? createPublicKey(key) : key);
  return map;
}
