import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { DigestNonces, expectedResponse, parseDigestAuthorization } from '../../../src/formats/digest/http-digest.js';

test("Digest: RFC 2617's own example (qop=auth), and the RFC 2069 form RTSP clients send", () => {
  const header =
    'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"';
  const p = parseDigestAuthorization(header)!;
  assert.equal(p.username, 'Mufasa');
  assert.equal(p.qop, 'auth');
  const ha1 = createHash('md5').update('Mufasa:testrealm@host.com:Circle Of Life').digest('hex');
  assert.equal(expectedResponse(ha1, 'GET', p), p.response);
  // Without qop: MD5(HA1:nonce:HA2).
  const md5 = (s: string) => createHash('md5').update(s).digest('hex');
  assert.equal(expectedResponse(ha1, 'DESCRIBE', { nonce: 'n', uri: 'rtsp://cam/stream' }), md5(`${ha1}:n:${md5('DESCRIBE:rtsp://cam/stream')}`));
  assert.equal(parseDigestAuthorization('Basic abc'), undefined);
  assert.equal(parseDigestAuthorization('Digest username="a", realm="b"'), undefined, 'fields missing');
  assert.equal(parseDigestAuthorization('Digest username="a, realm=b, nonce=c, uri=d, response=e'), undefined, 'an unclosed quote');
  assert.equal(parseDigestAuthorization(`Digest username="${'a'.repeat(3000)}"`), undefined, 'too long');
  assert.equal(parseDigestAuthorization('Digest username="a\\"b", realm="r", nonce="n", uri="u", response="x"')?.username, 'a"b');
});

test('nonces: good for their connection until they expire, then stale; forged or foreign ones invalid', () => {
  const nonces = new DigestNonces(60_000);
  const nonce = nonces.issue(7, 1_000);
  assert.equal(nonces.check(nonce, 7, 30_000), 'valid');
  assert.equal(nonces.check(nonce, 7, 62_000), 'stale');
  assert.equal(nonces.check(nonce, 8, 30_000), 'invalid', 'another connection');
  const [expiry, conn, mac] = nonce.split('.');
  assert.equal(nonces.check(`${(parseInt(expiry!, 36) + 100_000).toString(36)}.${conn}.${mac}`, 7, 62_000), 'invalid', 'a forged expiry');
  assert.equal(new DigestNonces(60_000).check(nonce, 7, 30_000), 'invalid', 'another process');
  assert.equal(nonces.check('garbage', 7, 0), 'invalid');
});
