// Signed update files for tests: a small bundle (picamd-<version>/ with a main.js and `padding`
// bytes of incompressible data, so an upload takes more than one chunk) signed with a throwaway key,
// and a keys folder that trusts that key.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signUpdateFile } from '../../src/device/update/sign-file.js';

export interface TestSigner {
  privateKey: KeyObject;
  /** A folder holding only this key's public half (release.pem). */
  keysDir: string;
}

export function testSigner(dir: string): TestSigner {
  const pair = generateKeyPairSync('ed25519');
  const keysDir = join(dir, 'keys');
  mkdirSync(keysDir, { recursive: true });
  writeFileSync(join(keysDir, 'release.pem'), pair.publicKey.export({ type: 'spki', format: 'pem' }));
  return { privateKey: pair.privateKey, keysDir };
}

export async function makeUpdateFile(
  dir: string,
  signer: TestSigner,
  o: { version: string; replacesFrom?: string; architecture?: string; padding?: number; name?: string },
): Promise<string> {
  const name = o.name ?? o.version;
  const src = join(dir, `src-${name}`);
  const folder = `picamd-${o.version}`;
  mkdirSync(join(src, folder, 'dist'), { recursive: true });
  writeFileSync(join(src, folder, 'dist/main.js'), `// picamd ${o.version}\n`);
  if (o.padding) writeFileSync(join(src, folder, 'padding.bin'), randomBytes(o.padding));
  const tarball = join(dir, `${name}.tar.gz`);
  const tar = spawnSync('tar', ['--owner=0', '--group=0', '--mode=go-w', '-C', src, '-czf', tarball, folder]);
  assert.equal(tar.status, 0, String(tar.stderr));
  const out = join(dir, `${name}.update`);
  await signUpdateFile({
    bundle: tarball,
    out,
    privateKey: signer.privateKey,
    version: o.version,
    replacesFrom: o.replacesFrom ?? '0.0.1',
    architecture: o.architecture ?? process.arch,
    date: '2026-12-07T01:00:00Z',
  });
  return out;
}
