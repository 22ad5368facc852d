import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { checkNonce, digestChallenge, digestMatches, makeNonce, parseDigestAuthorization } from '../../src/formats/digest-auth.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const key = Buffer.alloc(32, 7);

/** What a client computes (RFC 7616 3.4.1), written out independently of the module. */
function clientHeader(user: string, password: string, nonce: string, uri: string, qop: boolean) {
  const ha1 = md5(`${user}:picamd:${password}`);
  const ha2 = md5(`POST:${uri}`);
  const response = qop ? md5(`${ha1}:${nonce}:00000001:abcd:auth:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
  return `Digest username="${user}",realm="picamd",nonce="${nonce}",uri="${uri}",algorithm=MD5,` + (qop ? 'qop=auth,nc=00000001,cnonce="abcd",' : '') + `response="${response}"`;
}

test('a client answer with and without qop matches the stored HA1; a wrong password does not', () => {
  const nonce = makeNonce(key, 1_000);
  const ha1 = md5('admin:picamd:right password');
  for (const qop of [true, false]) {
    const good = parseDigestAuthorization(clientHeader('admin', 'right password', nonce, '/onvif/device_service', qop))!;
    assert.ok(good, 'parsed');
    assert.equal(digestMatches(good, 'POST', ha1), true);
    assert.equal(digestMatches(good, 'GET', ha1), false, 'the method is part of the answer');
    const bad = parseDigestAuthorization(clientHeader('admin', 'wrong password', nonce, '/onvif/device_service', qop))!;
    assert.equal(digestMatches(bad, 'POST', ha1), false);
  }
  const sha = parseDigestAuthorization(clientHeader('admin', 'x', nonce, '/', false).replace('algorithm=MD5', 'algorithm=SHA-256'))!;
  assert.equal(digestMatches(sha, 'POST', ha1), false, 'only MD5');
});

test('malformed or foreign headers are not credentials', () => {
  for (const h of ['', 'Basic YTpi', 'Digest', 'Digest username="a"', 'Digest username="a", username="b", realm="r", nonce="n", uri="/", response="x"', `Digest ${'a'.repeat(3000)}`, 'Digest username="a" realm="r"']) {
    assert.equal(parseDigestAuthorization(h), undefined, h.slice(0, 40));
  }
  assert.equal(parseDigestAuthorization('Digest username="a\\"b", realm="r", nonce="n", uri="/", response="x"')?.username, 'a"b');
});

test('nonces: ours and fresh ok, ours and old stale, anything else invalid', () => {
  const nonce = makeNonce(key, 10_000);
  assert.equal(checkNonce(key, nonce, 10_500, 1_000), 'ok');
  assert.equal(checkNonce(key, nonce, 20_000, 1_000), 'stale');
  assert.equal(checkNonce(Buffer.alloc(32, 8), nonce, 10_500, 1_000), 'invalid');
  assert.equal(checkNonce(key, nonce.replace(/^[0-9a-f]+/, 'ffff'), 10_500, 1_000), 'invalid');
  assert.equal(checkNonce(key, 'garbage', 10_500, 1_000), 'invalid');
  assert.match(digestChallenge('picamd', nonce, true), /^Digest realm="picamd", qop="auth", algorithm=MD5, nonce="[^"]+", stale=true$/);
});
