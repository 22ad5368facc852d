import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { connectionFileName, connectionUuid, keyfileSsid, keyfileString, wifiKeyfile } from '../../src/setup/network-keyfile.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('a WPA network: the keyfile NetworkManager reads, with every section', () => {
  const { path, content } = wifiKeyfile({ ssid: 'My Home Network', psk: 'correct horse battery staple', hidden: false });
  assert.equal(path, '/etc/NetworkManager/system-connections/My Home Network.nmconnection');
  assert.equal(content, [
    '[connection]',
    'id=My Home Network',
    `uuid=${connectionUuid('My Home Network')}`,
    'type=wifi',
    '',
    '[wifi]',
    'mode=infrastructure',
    'ssid=My Home Network',
    '',
    '[wifi-security]',
    'key-mgmt=wpa-psk',
    'psk=correct horse battery staple',
    '',
    '[ipv4]',
    'method=auto',
    '',
    '[ipv6]',
    'addr-gen-mode=default',
    'method=auto',
    '',
    '[proxy]',
    '',
  ].join('\n'));
});

test('an open network has no [wifi-security] section', () => {
  const { content } = wifiKeyfile({ ssid: 'Cafe', psk: null, hidden: false });
  assert.ok(!content.includes('[wifi-security]'));
  assert.ok(content.includes('[wifi]\nmode=infrastructure\nssid=Cafe\n\n[ipv4]'));
});

test('a hidden network: hidden=true first in [wifi], where NetworkManager writes it', () => {
  const { content } = wifiKeyfile({ ssid: 'Attic', psk: null, hidden: true });
  assert.ok(content.includes('[wifi]\nhidden=true\nmode=infrastructure\nssid=Attic\n\n[ipv4]'), content);
});

test('escaping as GKeyFile and NetworkManager do it', () => {
  assert.equal(keyfileString('  two leading'), '\\s\\stwo leading');
  assert.equal(keyfileString('back\\slash'), 'back\\\\slash');
  assert.equal(keyfileString('inner  spaces; and "quotes"'), 'inner  spaces; and "quotes"');
  assert.equal(keyfileSsid('a;b'), 'a\\\\;b');
  assert.equal(keyfileSsid('Café'), '67;97;102;195;169;');
  assert.equal(keyfileSsid('Bob\'s "Net"'), 'Bob\'s "Net"');
});

test('file names and UUIDs: stable per SSID, never hidden, never a path', () => {
  assert.match(connectionUuid('x'), UUID);
  assert.equal(connectionUuid('x'), connectionUuid('x'));
  assert.notEqual(connectionUuid('x'), connectionUuid('y'));
  assert.equal(connectionFileName('../etc/passwd'), 'wifi.._etc_passwd.nmconnection');
  assert.equal(connectionFileName('Café / Bar'), 'Caf_ _ Bar.nmconnection');
  assert.equal(connectionFileName('.hidden'), 'wifi.hidden.nmconnection');
  assert.equal(connectionFileName('///'), '___.nmconnection');
});

// NetworkManager's own keyfile writer and reader: `nmcli --offline` (NetworkManager 1.40+) prints
// the keyfile for a connection it builds, and reads one from stdin for `connection modify`.
const nmcli = spawnSync('nmcli', ['--offline', 'connection', 'add', 'type', 'wifi', 'ssid', 'x'], { encoding: 'utf8' });
const haveNmcli = nmcli.status === 0;
const skip = !haveNmcli && process.env.CI !== 'true' ? 'needs nmcli --offline (apt-get install network-manager)' : false;

describe('against NetworkManager (nmcli --offline)', { skip }, () => {
  const cases: Array<{ ssid: string; psk: string | null; hidden: boolean }> = [
    { ssid: 'My Home Network', psk: 'correct horse battery staple', hidden: false },
    { ssid: 'Bob\'s "Café" Net', psk: 'pa ss\\wo;rd#1', hidden: false },
    { ssid: ' a;b', psk: '12345678', hidden: false },
    { ssid: 'Zürich 5G', psk: 'x'.repeat(63), hidden: false },
    { ssid: 'hex', psk: '0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef', hidden: false },
    { ssid: 'Cafe Free Wi-Fi', psk: null, hidden: false },
    { ssid: 'Attic', psk: '12345678', hidden: true },
    { ssid: 'Shed', psk: null, hidden: true },
  ];
  for (const wifi of cases) {
    test(`nmcli writes the same keyfile for ${JSON.stringify(wifi.ssid)} (${wifi.psk === null ? 'open' : `${wifi.psk.length} chars`}${wifi.hidden ? ', hidden' : ''})`, () => {
      const { content } = wifiKeyfile(wifi);
      const args = ['--offline', 'connection', 'add', 'type', 'wifi', 'con-name', wifi.ssid, 'ssid', wifi.ssid,
        'connection.uuid', connectionUuid(wifi.ssid)];
      if (wifi.psk !== null) args.push('wifi-sec.key-mgmt', 'wpa-psk', 'wifi-sec.psk', wifi.psk);
      if (wifi.hidden) args.push('802-11-wireless.hidden', 'yes');
      const made = spawnSync('nmcli', args, { encoding: 'utf8' });
      assert.equal(made.status, 0, made.stderr);
      assert.equal(content, made.stdout);
      // And it reads ours back to the same connection, unchanged.
      const read = spawnSync('nmcli', ['--offline', 'connection', 'modify', 'connection.autoconnect', 'yes'], { input: content, encoding: 'utf8' });
      assert.equal(read.status, 0, read.stderr);
      assert.equal(read.stdout, content);
    });
  }
});
