// An update file checked from disk: the copy the root helper unpacks is the checked bytes and
// nothing of a refused file is left; the keys folder; the listing of a real .tar.gz inside the file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { signUpdateHead, UpdateFileError } from '../../../src/formats/update/container.js';
import { keyIdOf } from '../../../src/formats/update/keys.js';
import { loadKeysDir } from '../../../src/device/update/keys-dir.js';
import { checkBundleListing, verifyUpdateFile } from '../../../src/device/update/verify-file.js';

const release = generateKeyPairSync('ed25519');

describe('update file on disk', () => {
  let work: string;
  let bundle: Buffer;
  let updateFile: string;
  const options = () => ({ keys: loadKeysDir(join(work, 'keys')), architecture: 'arm64', maxBundleBytes: 1 << 26 });
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'picamd-verify-'));
    mkdirSync(join(work, 'keys'));
    writeFileSync(join(work, 'keys/release.pem'), release.publicKey.export({ type: 'spki', format: 'pem' }));
    mkdirSync(join(work, 'picamd-1.0.0/dist'), { recursive: true });
    // Incompressible data, so the bundle spans many read chunks.
    writeFileSync(join(work, 'picamd-1.0.0/dist/main.js'), Buffer.from(Array.from({ length: 1 << 20 }, () => Math.floor(Math.random() * 256))));
    const tar = spawnSync('tar', ['--sort=name', '--owner=0', '--group=0', '--mode=go-w', '-C', work, '-czf', '-', 'picamd-1.0.0'], { maxBuffer: 1 << 26 });
    assert.equal(tar.status, 0, String(tar.stderr));
    bundle = tar.stdout;
    const head = signUpdateHead(
      { format: 1, version: '1.0.0', architecture: 'arm64', replacesFrom: '0.1.0', date: '2026-12-07T01:00:00Z', bundle: { size: bundle.length, sha256: createHash('sha256').update(bundle).digest('hex') } },
      release.privateKey,
    );
    updateFile = join(work, 'picamd-1.0.0-linux-arm64.update');
    writeFileSync(updateFile, Buffer.concat([head, bundle]));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('verifies the file, copies exactly the bundle, and lists it', async () => {
    const copy = join(work, 'copy.tar.gz');
    const verified = await verifyUpdateFile(updateFile, options(), copy);
    assert.equal(verified.manifest.version, '1.0.0');
    assert.equal(verified.manifest.keyId, keyIdOf(release.publicKey));
    assert.ok(readFileSync(copy).equals(bundle));
    const entries = await checkBundleListing(copy, { root: 'picamd-1.0.0', maxBytes: 1 << 24, maxEntries: 10 });
    assert.deepEqual(entries.map((e) => e.path), ['picamd-1.0.0', 'picamd-1.0.0/dist', 'picamd-1.0.0/dist/main.js']);
    const inPlace = await checkBundleListing(updateFile, { root: 'picamd-1.0.0', maxBytes: 1 << 24, maxEntries: 10 }, verified.bundleOffset);
    assert.deepEqual(inPlace, entries);
    await assert.rejects(checkBundleListing(copy, { root: 'picamd-1.0.0', maxBytes: 1000, maxEntries: 10 }), /more than 1000 bytes unpacked/);
    await assert.rejects(checkBundleListing(copy, { root: 'picamd-2.0.0', maxBytes: 1 << 24, maxEntries: 10 }), /outside the folder picamd-2\.0\.0/);
  });

  it('leaves no copy of a file whose bundle was changed, and says why', async () => {
    const bad = readFileSync(updateFile);
    bad[bad.length - 100]! ^= 0x40;
    const tampered = join(work, 'tampered.update');
    writeFileSync(tampered, bad);
    const copy = join(work, 'tampered-copy.tar.gz');
    await assert.rejects(verifyUpdateFile(tampered, options(), copy), (err: UpdateFileError) => err.problem === 'hash-mismatch');
    assert.equal(existsSync(copy), false);
    await assert.rejects(verifyUpdateFile(join(work, 'keys/release.pem'), options()), (err: UpdateFileError) => err.problem === 'not-an-update');
    await assert.rejects(verifyUpdateFile(join(work, 'absent.update'), options()), /ENOENT/);
  });

  it('trusts every key in the folder, none without one, and refuses a folder with a bad key file', () => {
    const other = generateKeyPairSync('ed25519');
    const dir = join(work, 'keys2');
    mkdirSync(dir);
    assert.equal(loadKeysDir(join(work, 'no-such-folder')).size, 0);
    writeFileSync(join(dir, 'a.pem'), release.publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(dir, 'b.pem'), other.publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(dir, 'README.md'), 'not a key, not read');
    assert.deepEqual([...loadKeysDir(dir).keys()].sort(), [keyIdOf(release.publicKey), keyIdOf(other.publicKey)].sort());
    writeFileSync(join(dir, 'c.pem'), generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }));
    assert.throws(() => loadKeysDir(dir), /c\.pem is not an Ed25519 public key/);
  });
});
