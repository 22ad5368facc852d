import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientKey, cookieValue, loggableName, parseBasicAuthorization } from '../../src/auth/headers.js';

const basic = (s: string) => `Basic ${Buffer.from(s, 'utf8').toString('base64')}`;

test('Basic credentials: user up to the first colon, the password may hold colons and UTF-8', () => {
  assert.deepEqual(parseBasicAuthorization(basic('admin:pa:ss')), { user: 'admin', password: 'pa:ss' });
  assert.deepEqual(parseBasicAuthorization(basic('jörg:päss')), { user: 'jörg', password: 'päss' });
  assert.deepEqual(parseBasicAuthorization(`bAsIc  ${Buffer.from('a:').toString('base64')}`), { user: 'a', password: '' });
});

test('anything else is no credentials', () => {
  for (const header of ['', 'Bearer abc', 'Basic', 'Basic !!!', basic('no-colon'), `Basic ${'A'.repeat(2000)}`, 'Digest username="a"']) {
    assert.equal(parseBasicAuthorization(header), undefined, header.slice(0, 40));
  }
});

test('credentials that are not UTF-8 are no credentials: invalid bytes never become U+FFFD', () => {
  const raw = (bytes: Buffer) => `Basic ${bytes.toString('base64')}`;
  const latin1 = (s: string) => Buffer.from(s, 'latin1');
  for (const bytes of [latin1('admin:caf\xe9'), latin1('admin:caf\xff'), latin1('admin:caf\x80'), latin1('adm\xefn:cafe'), latin1('admin:\xc3')]) {
    assert.equal(parseBasicAuthorization(raw(bytes)), undefined, bytes.toString('hex'));
  }
  // U+FFFD spelled correctly is a character like any other, and a leading BOM is kept, not dropped.
  assert.deepEqual(parseBasicAuthorization(raw(latin1('admin:caf\xef\xbf\xbd'))), { user: 'admin', password: 'caf\ufffd' });
  assert.deepEqual(parseBasicAuthorization(raw(latin1('\xef\xbb\xbfadmin:x'))), { user: '\ufeffadmin', password: 'x' });
});

test('a cookie by name among others', () => {
  assert.equal(cookieValue('a=1; picamd_session=xyz; b=2', 'picamd_session'), 'xyz');
  assert.equal(cookieValue('picamd_session_old=1', 'picamd_session'), '');
  assert.equal(cookieValue('', 'picamd_session'), '');
});

test('user names in logs are printable, quoted and short', () => {
  assert.equal(loggableName('admin'), '"admin"');
  assert.equal(loggableName('a\nfake: line'), '"a?fake: line"');
  assert.equal(loggableName('x'.repeat(100)).length, 64 + 5);
});

test('rate-limit keys: IPv4 as is (also IPv4-mapped), IPv6 by /64', () => {
  assert.equal(clientKey('192.168.1.20'), '192.168.1.20');
  assert.equal(clientKey('::ffff:192.168.1.20'), '192.168.1.20');
  assert.equal(clientKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd'), '2001:db8:1:2::/64');
  assert.equal(clientKey('2001:0db8:0001:0002::1'), '2001:db8:1:2::/64');
  assert.equal(clientKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(clientKey('::1'), '0:0:0:0::/64');
  assert.equal(clientKey('fe80::1'), 'fe80:0:0:0::/64');
});
