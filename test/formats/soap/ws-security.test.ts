import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCreated, passwordDigestOf, samePasswordDigest, TokenReplayWindow } from '../../../src/formats/soap/ws-security.js';

// The example widely quoted for UsernameToken Profile 1.0's PasswordDigest (nonce, Created, password
// "userpassword"), computed independently of this code.
const NONCE = Buffer.from('LKqI6G/AikKCQrN0zqZFlg==', 'base64');
const CREATED = '2010-09-16T07:50:45Z';

test('PasswordDigest is Base64(SHA-1(nonce + created + password))', () => {
  assert.equal(passwordDigestOf(NONCE, CREATED, 'userpassword'), 'tuOSpGlFlIXsozq4HFNeeGeFLEI=');
  assert.ok(samePasswordDigest('tuOSpGlFlIXsozq4HFNeeGeFLEI=', NONCE, CREATED, 'userpassword'));
  assert.ok(!samePasswordDigest('tuOSpGlFlIXsozq4HFNeeGeFLEI=', NONCE, CREATED, 'userpassword2'));
  assert.ok(!samePasswordDigest('tuOSpGlFlIXsozq4HFNeeGeFLEI=', NONCE, '2010-09-16T07:50:46Z', 'userpassword'));
  assert.ok(!samePasswordDigest('', NONCE, CREATED, 'userpassword'));
  assert.ok(!samePasswordDigest('not base64 at all', NONCE, CREATED, 'userpassword'));
});

test('Created: xs:dateTime with Z, an offset or fractions; anything else is not a time', () => {
  assert.equal(parseCreated('2010-09-16T07:50:45Z'), Date.UTC(2010, 8, 16, 7, 50, 45));
  assert.equal(parseCreated('2010-09-16T07:50:45.123Z'), Date.UTC(2010, 8, 16, 7, 50, 45, 123));
  assert.equal(parseCreated('2010-09-16T09:50:45+02:00'), Date.UTC(2010, 8, 16, 7, 50, 45));
  for (const bad of ['', 'yesterday', '2010-09-16', '2010-09-16T07:50:45', '1284623445']) assert.ok(Number.isNaN(parseCreated(bad)), bad);
});

test('the replay window: fresh once, replayed after, stale outside 5 minutes either way, forgotten once out of the window', () => {
  const window = new TokenReplayWindow(5 * 60_000, 4);
  const now = Date.UTC(2026, 11, 7, 6, 0, 0);
  const nonce = Buffer.from('0123456789abcdef');
  assert.equal(window.admit(nonce, now, now), 'fresh');
  assert.equal(window.admit(nonce, now, now + 1000), 'replayed');
  assert.equal(window.admit(Buffer.from('another nonce 16'), now - 5 * 60_000 - 1, now), 'stale');
  assert.equal(window.admit(Buffer.from('another nonce 16'), now + 5 * 60_000 + 1, now), 'stale');
  assert.equal(window.admit(Buffer.from('another nonce 16'), Number.NaN, now), 'stale');
  // Once its Created has left the window, a replay is stale anyway, and the nonce is let go.
  assert.equal(window.admit(nonce, now, now + 5 * 60_000 + 1), 'stale');
  assert.equal(window.admit(Buffer.from('x'), now + 5 * 60_000, now + 5 * 60_000 + 1), 'fresh');
  assert.equal(window.size, 1);
});

test('the replay window is bounded: full refuses new nonces rather than forgetting live ones', () => {
  const window = new TokenReplayWindow(60_000, 3);
  const now = 1_000_000;
  for (const n of ['a', 'b', 'c']) assert.equal(window.admit(Buffer.from(n), now, now), 'fresh');
  assert.equal(window.admit(Buffer.from('d'), now, now), 'full');
  assert.equal(window.admit(Buffer.from('a'), now, now), 'replayed');
  // A minute later the old ones are gone and there is room again.
  assert.equal(window.admit(Buffer.from('d'), now + 60_001, now + 60_001), 'fresh');
  assert.equal(window.size, 1);
});
