// Writes an update file from a release bundle and an Ed25519 private key (deploy/bundle.sh runs it
// through deploy/sign-update.mjs). The bundle is read twice from disk, once for its hash and once to
// copy it after the signed head, so a bundle of any size costs no memory; the file appears under its
// name only when complete.
import { createHash, type KeyObject } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { signUpdateHead } from '../../formats/update/container.js';
import { keyIdOf } from '../../formats/update/keys.js';
import type { UpdateManifest } from '../../formats/update/manifest.js';

export interface SignRequest {
  bundle: string;
  out: string;
  privateKey: KeyObject;
  version: string;
  replacesFrom: string;
  architecture: string;
  /** ISO 8601 UTC; the last commit's time keeps equal inputs giving equal files. */
  date: string;
}

export async function signUpdateFile(r: SignRequest): Promise<UpdateManifest> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(r.bundle), hash);
  const { size } = await stat(r.bundle);
  const manifest = { format: 1 as const, version: r.version, architecture: r.architecture, replacesFrom: r.replacesFrom, date: r.date, bundle: { size, sha256: hash.digest('hex') } };
  const head = signUpdateHead(manifest, r.privateKey);
  const tmp = `${r.out}.tmp`;
  try {
    const out = createWriteStream(tmp, { mode: 0o644 });
    out.write(head);
    await pipeline(createReadStream(r.bundle), out);
    const handle = await open(tmp, 'r');
    await handle.sync().finally(() => handle.close());
    if ((await stat(tmp)).size !== head.length + size) throw new Error(`${r.bundle} changed while it was signed`);
    await rename(tmp, r.out);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return { ...manifest, keyId: keyIdOf(r.privateKey) };
}
