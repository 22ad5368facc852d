// The update file's container: every way a file can be wrong is refused with its own reason, and a
// good file reads the same however its bytes are split.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { HEAD_BYTES, MAGIC, signUpdateHead, UpdateFileError, UpdateReader, type ReaderOptions, type UpdateFileProblem } from '../../../src/formats/update/container.js';
import { keyIdOf, trustedKeys } from '../../../src/formats/update/keys.js';

const release = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const options: ReaderOptions = { keys: trustedKeys([release.publicKey]), architecture: 'arm64', maxBundleBytes: 1 << 20 };

function makeFile(bundle: Buffer, o: { key?: KeyObject; architecture?: string; size?: number } = {}): Buffer {
  const head = signUpdateHead(
    {
      format: 1,
      version: '0.2.0',
      architecture: o.architecture ?? 'arm64',
      replacesFrom: '0.1.0',
      date: '2026-12-07T01:00:00Z',
      bundle: { size: o.size ?? bundle.length, sha256: createHash('sha256').update(bundle).digest('hex') },
    },
    o.key ?? release.privateKey,
  );
  return Buffer.concat([head, bundle]);
}

/** Reads the file in the given pieces; the bundle bytes handed on, or the reason it was refused. */
function read(file: Buffer, cuts: number[] = [], o: ReaderOptions = options): { bundle: Buffer; version: string } | UpdateFileProblem {
  const reader = new UpdateReader(o);
  const out: Uint8Array[] = [];
  let at = 0;
  try {
    for (const cut of [...cuts.filter((c) => c > 0 && c < file.length).sort((a, b) => a - b), file.length]) {
      out.push(reader.push(file.subarray(at, cut)));
      at = cut;
    }
    const { manifest } = reader.end();
    return { bundle: Buffer.concat(out), version: manifest.version };
  } catch (err) {
    if (err instanceof UpdateFileError) return err.problem;
    throw err;
  }
}

function reason(file: Buffer, o: ReaderOptions = options): string {
  const reader = new UpdateReader(o);
  try {
    reader.push(file);
    reader.end();
  } catch (err) {
    return (err as Error).message;
  }
  return 'accepted';
}

/** The reasons a change of the byte at `at` may give, by the field it is in. */
function expectedFor(at: number, headAndManifest: number): string[] {
  if (at < 13) return ['not-an-update'];
  if (at === 13) return ['unsupported-layout'];
  if (at < 16) return ['corrupt'];
  if (at < 20) return ['corrupt', 'truncated', 'bad-signature']; // the manifest's length
  if (at < 28) return ['unknown-key'];
  if (at < headAndManifest) return ['bad-signature'];
  return ['hash-mismatch'];
}

const bundle = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff));
const good = makeFile(bundle);

describe('update file container', () => {
  it('reads a good file and hands on exactly the bundle, split at every offset', () => {
    assert.deepEqual(read(good), { bundle, version: '0.2.0' });
    for (let cut = 0; cut <= good.length; cut++) {
      assert.deepEqual(read(good, [cut]), { bundle, version: '0.2.0' }, `cut at ${cut}`);
    }
    fc.assert(fc.property(fc.array(fc.nat({ max: good.length }), { maxLength: 12 }), (cuts) => {
      assert.deepEqual(read(good, cuts), { bundle, version: '0.2.0' });
    }));
  });

  it('hands on nothing of the bundle before the signature holds', () => {
    const reader = new UpdateReader(options);
    const manifestEnd = good.indexOf('}}') + 2;
    assert.equal(reader.push(good.subarray(0, manifestEnd - 1)).length, 0);
    const manifest = () => reader.manifest;
    assert.equal(manifest(), undefined);
    assert.equal(reader.push(good.subarray(manifestEnd - 1, manifestEnd)).length, 0);
    assert.equal(manifest()?.keyId, keyIdOf(release.publicKey));
  });

  it('refuses a file with any one byte changed, by the signature or by the hash', () => {
    const headAndManifest = good.indexOf('}}') + 2;
    fc.assert(
      fc.property(fc.nat({ max: good.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const bad = Buffer.from(good);
        bad[at]! ^= xor;
        const got = read(bad);
        assert.equal(typeof got, 'string', `byte ${at} ^ ${xor} was accepted`);
        assert.ok(expectedFor(at, headAndManifest).includes(got as string), `byte ${at}: ${String(got)}`);
      }),
      { numRuns: 500 },
    );
    // Every byte of the head and the manifest, each flipped once.
    for (let at = 0; at < headAndManifest; at++) {
      const bad = Buffer.from(good);
      bad[at]! ^= 0x01;
      assert.ok(expectedFor(at, headAndManifest).includes(read(bad) as string), `byte ${at}`);
    }
  });

  it('names the reason: unknown key, bad signature, wrong architecture, too large', () => {
    assert.match(reason(makeFile(bundle, { key: other.privateKey })), new RegExp(`signed with key ${keyIdOf(other.publicKey)}, which this device does not trust`));
    assert.equal(read(makeFile(bundle, { key: other.privateKey })), 'unknown-key');
    // Both keys trusted (a key being replaced): either signs.
    assert.deepEqual(read(makeFile(bundle, { key: other.privateKey }), [], { ...options, keys: trustedKeys([release.publicKey, other.publicKey]) }), { bundle, version: '0.2.0' });
    // The right key id, the wrong key's signature.
    const forged = makeFile(bundle, { key: other.privateKey });
    Buffer.from(keyIdOf(release.publicKey), 'hex').copy(forged, 20);
    assert.equal(read(forged), 'bad-signature');
    assert.match(reason(forged), /the signature does not verify with key/);
    assert.equal(read(makeFile(bundle, { architecture: 'x64' })), 'wrong-architecture');
    assert.match(reason(makeFile(bundle, { architecture: 'x64' })), /built for x64; this device is arm64/);
    assert.equal(read(good, [], { ...options, maxBundleBytes: bundle.length - 1 }), 'too-large');
    assert.equal(read(good, [], { ...options, keys: new Map() }), 'unknown-key');
  });

  it('refuses an oversized announcement before reading its bundle', () => {
    const reader = new UpdateReader({ ...options, maxBundleBytes: 100 });
    const head = good.subarray(0, good.indexOf('}}') + 2);
    assert.throws(() => reader.push(head), (err: UpdateFileError) => err.problem === 'too-large' && /a bundle of 3000 bytes; at most 100/.test(err.message));
  });

  it('refuses a file cut short anywhere, and one that goes on past its bundle', () => {
    for (let length = 1; length < good.length; length++) {
      const got = read(good.subarray(0, length));
      assert.equal(got, 'truncated', `cut to ${length}`);
    }
    assert.equal(read(Buffer.concat([good, Buffer.from([0])])), 'corrupt');
    assert.match(reason(good.subarray(0, good.length - 10)), /ends after 2990 of the bundle's 3000 bytes/);
    // A manifest that announces more than the file holds.
    assert.equal(read(makeFile(bundle, { size: bundle.length + 1 })), 'truncated');
  });

  it('tells a file that is no update at all, a newer layout and a text-mode transfer apart', () => {
    for (const other of [Buffer.alloc(0), Buffer.from('hello'), Buffer.from('\x1f\x8b\x08\x00 a gzip file'), Buffer.alloc(5000, 0x41)]) {
      assert.equal(read(other), 'not-an-update', JSON.stringify(other.subarray(0, 8).toString()));
    }
    assert.match(reason(Buffer.from('<html>')), /not a picamd update file/);
    const newer = Buffer.from(good);
    newer[13] = 2;
    assert.equal(read(newer), 'unsupported-layout');
    assert.equal(read(newer.subarray(0, 15)), 'unsupported-layout');
    const text = Buffer.concat([good.subarray(0, 14), good.subarray(15)]); // \r\n → \n
    assert.equal(read(text), 'corrupt');
    assert.equal(MAGIC.length, 16);
    assert.ok(good.length === HEAD_BYTES + (good.indexOf('}}') + 2 - HEAD_BYTES) + bundle.length);
  });

  it('refuses a head that announces a huge manifest without waiting for it', () => {
    const bad = Buffer.from(good);
    bad.writeUInt32BE(1 << 30, 16);
    const reader = new UpdateReader(options);
    assert.throws(() => reader.push(bad.subarray(0, HEAD_BYTES)), (err: UpdateFileError) => err.problem === 'corrupt');
  });
});
