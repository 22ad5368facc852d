// The device's trusted update keys: every *.pem file of a keys folder (the release's own `keys/`),
// each an Ed25519 public key. A file that is not one is an error, not skipped: a keys folder the
// device cannot read completely must not quietly trust less or more than its owner thinks.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { publicKeyFromPem, trustedKeys, type TrustedKeys } from '../../formats/update/keys.js';

export function loadKeysDir(dir: string): TrustedKeys {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.pem')).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new Error(`cannot read the keys folder ${dir}: ${(err as Error).message}`);
  }
  const keys = names.map((name) => {
    try {
      return publicKeyFromPem(readFileSync(join(dir, name), 'utf8'));
    } catch (err) {
      throw new Error(`${join(dir, name)} is not an Ed25519 public key in PEM: ${(err as Error).message}`);
    }
  });
  return trustedKeys(keys);
}
