import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SCRYPT, formatPasswordHash, hashPassword, parsePasswordHash, verifyPassword, type PasswordHash } from '../../../src/device/accounts/password.js';

const cheap = { ln: 10, r: 8, p: 1 };

function parsed(text: string): PasswordHash {
  const hash = parsePasswordHash(text);
  assert.ok(typeof hash !== 'string', String(hash));
  return hash;
}

test('a hash describes itself and verifies only its own password', async () => {
  const text = await hashPassword('correct horse', cheap);
  assert.match(text, /^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  const hash = parsed(text);
  assert.equal(await verifyPassword('correct horse', hash), true);
  assert.equal(await verifyPassword('correct horse ', hash), false);
  assert.equal(await verifyPassword('', hash), false);
  assert.equal(formatPasswordHash(hash), text, 'round trip');
});

test('every hash has its own salt', async () => {
  const [a, b] = await Promise.all([hashPassword('same', cheap), hashPassword('same', cheap)]);
  assert.notEqual(a, b);
});

test('a known vector: the parameters and salt in the string are the ones used', async () => {
  const salt = Buffer.alloc(16, 7);
  const text = await hashPassword('pässword', { ln: 11, r: 4, p: 2 }, salt);
  assert.ok(text.startsWith('$scrypt$ln=11,r=4,p=2$BwcHBwcHBwcHBwcHBwcHBw$'));
  // Unicode is normalised: the decomposed spelling of ä is the same password.
  assert.equal(await verifyPassword('pa\u0308ssword', parsed(text)), true);
});

test('the default cost stays within a Pi Zero budget (8 MiB) at OWASP strength (N·r·p = 2^13·8·10)', () => {
  assert.equal(128 * 2 ** DEFAULT_SCRYPT.ln * DEFAULT_SCRYPT.r, 8 * 1024 * 1024);
  assert.equal(2 ** DEFAULT_SCRYPT.ln * DEFAULT_SCRYPT.r * DEFAULT_SCRYPT.p, 2 ** 13 * 8 * 10);
});

test('plain text, broken hashes and ruinous parameters are refused with a reason', () => {
  assert.match(String(parsePasswordHash('hunter2')), /not a password \(plain-text passwords are refused\)/);
  assert.match(String(parsePasswordHash('')), /plain-text/);
  assert.match(String(parsePasswordHash('$scrypt$ln=14,r=8,p=1$short$x')), /not a valid scrypt hash/);
  const salt = 'A'.repeat(22);
  const key = 'A'.repeat(43);
  assert.match(String(parsePasswordHash(`$scrypt$ln=25,r=8,p=1$${salt}$${key}`)), /out of range/);
  assert.match(String(parsePasswordHash(`$scrypt$ln=18,r=8,p=1$${salt}$${key}`)), /more than 64 MiB/);
  assert.equal(typeof parsePasswordHash(`$scrypt$ln=14,r=8,p=5$${salt}$${key}`), 'object');
});
