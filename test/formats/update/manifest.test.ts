import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { manifestProblems, parseManifest, serializeManifest, type UpdateManifest } from '../../../src/formats/update/manifest.js';

const good: UpdateManifest = {
  format: 1,
  version: '0.2.0',
  architecture: 'arm64',
  replacesFrom: '0.1.0',
  date: '2026-12-07T01:00:00Z',
  keyId: '0123456789abcdef',
  bundle: { size: 1234, sha256: 'a'.repeat(64) },
};

describe('update manifest', () => {
  it('round-trips through its bytes', () => {
    const bytes = serializeManifest(good);
    assert.deepEqual(parseManifest(bytes), { manifest: good });
    assert.equal(new TextDecoder().decode(bytes).startsWith('{"format":1,"version":"0.2.0",'), true);
  });

  it('lists every problem, with its key', () => {
    const bad = { ...good, version: '2', extra: 1, bundle: { size: -1, sha256: 'XY', more: true }, date: 'yesterday' } as Record<string, unknown>;
    delete bad.keyId;
    assert.deepEqual(manifestProblems(bad).sort(), [
      'bundle.more: unknown key',
      'bundle.sha256: not 64 lowercase hex digits',
      'bundle.size: not a positive whole number',
      'date: not an ISO 8601 UTC time',
      'extra: unknown key',
      'keyId: missing',
      'keyId: not 16 lowercase hex digits',
      'version: not a version (MAJOR.MINOR.PATCH)',
    ]);
  });

  it('refuses bytes that are not UTF-8 JSON of an object', () => {
    assert.deepEqual(parseManifest(Buffer.from([0x7b, 0xff, 0x7d])), { problems: ['the manifest is not UTF-8 JSON'] });
    assert.deepEqual(parseManifest(Buffer.from('[1]')), { problems: ['the manifest is not a JSON object'] });
    assert.throws(() => serializeManifest({ ...good, architecture: 'ARM 64' }), /architecture: not an architecture name/);
  });
});
