import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientGroup, clientKey, cookieValue, loggableName, parseBasicAuthorization } from '../../../../src/web/server/auth/headers.js';

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
  assert.equal(loggableName('a\nfake: "line"'), '"a\\x0afake: \\"line\\""');
  assert.equal(loggableName('x'.repeat(100)).length, 64 + 5);
});

test('rate-limit keys: IPv4 as is (also IPv4-mapped), each IPv6 address on its own', () => {
  assert.equal(clientKey('192.168.1.20'), '192.168.1.20');
  assert.equal(clientKey('::ffff:192.168.1.20'), '192.168.1.20');
  // uWebSockets.js listening on '::' spells IPv4 clients like this.
  assert.equal(clientKey('0000:0000:0000:0000:0000:ffff:7f00:0001'), '127.0.0.1');
  assert.equal(clientKey('0000:0000:0000:0000:0000:ffff:c0a8:0114'), '192.168.1.20');
  // Two hosts on one LAN (one /64) are two keys, however the address is spelled.
  assert.equal(clientKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd'), '2001:db8:1:2:aaaa:bbbb:cccc:dddd');
  assert.equal(clientKey('2001:DB8:1:2:AAAA:BBBB:CCCC:DDDE'), '2001:db8:1:2:aaaa:bbbb:cccc:ddde');
  assert.equal(clientKey('2001:0db8:0001:0002:0000:0000:0000:0001'), '2001:db8:1:2::1');
  assert.equal(clientKey('2001:db8:1:2::1'), '2001:db8:1:2::1');
  assert.equal(clientKey('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  assert.equal(clientKey('0000:0000:0000:0000:0000:0000:0000:0001'), '::1');
  assert.equal(clientKey('fe80::1%eth0'), 'fe80::1');
  assert.equal(clientKey('fe80::2'), 'fe80::2');
  assert.equal(clientKey('fd12:3456:789a:1::5'), 'fd12:3456:789a:1::5');
  assert.equal(clientKey('::ffff:1.2.3.4:5'), '::ffff:1.2.3.4:5', 'not an address: kept as it is');
});

test('IPv6 addresses also add up by /64, the block one subscriber can pick addresses from', () => {
  assert.equal(clientGroup(clientKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd')), '2001:db8:1:2::/64');
  assert.equal(clientGroup(clientKey('2001:db8::1')), '2001:db8:0:0::/64');
  assert.equal(clientGroup(clientKey('fe80::1')), 'fe80:0:0:0::/64');
  assert.equal(clientGroup(clientKey('fd12:3456:789a:1::5')), 'fd12:3456:789a:1::/64');
  for (const single of ['192.168.1.20', '0000:0000:0000:0000:0000:ffff:7f00:0001', '::1', '']) {
    assert.equal(clientGroup(clientKey(single)), undefined, single);
  }
});
