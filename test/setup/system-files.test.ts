import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cmdlineWithCountry, hostnameFile, hostsFile, rfkillWlanFiles, timezoneFiles } from '../../src/setup/system-files.js';

test('/etc/hosts: the 127.0.1.1 line names the new host; everything else stays', () => {
  const debian = '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\n\n127.0.1.1\t\traspberrypi\n';
  assert.equal(hostsFile(debian, 'garden-cam'), '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\n\n127.0.1.1\tgarden-cam\n');
  assert.equal(hostsFile('127.0.0.1\tlocalhost', 'cam'), '127.0.0.1\tlocalhost\n127.0.1.1\tcam\n');
  assert.equal(hostsFile(null, 'cam'), '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tcam\n');
  assert.equal(hostnameFile('cam'), 'cam\n');
});

test('cmdline.txt: one cfg80211.ieee80211_regdom at the end of the line, as raspi-config writes it', () => {
  const line = 'console=serial0,115200 console=tty1 root=PARTUUID=5e3da3da-02 rootfstype=ext4 fsck.repair=yes rootwait resize\n';
  const gb = cmdlineWithCountry(line, 'GB');
  assert.equal(gb, 'console=serial0,115200 console=tty1 root=PARTUUID=5e3da3da-02 rootfstype=ext4 fsck.repair=yes rootwait resize cfg80211.ieee80211_regdom=GB\n');
  assert.equal(cmdlineWithCountry(gb, 'DE'), gb.replace('=GB', '=DE'));
  assert.equal(cmdlineWithCountry('a cfg80211.ieee80211_regdom=US b', 'FR'), 'a b cfg80211.ieee80211_regdom=FR\n');
  assert.equal(cmdlineWithCountry('a b\r\n', 'FR'), 'a b cfg80211.ieee80211_regdom=FR\r\n');
});

test('rfkill: every saved Wi-Fi state plus the Pi 3 / Zero 2 W and Pi 4 radios; Bluetooth untouched', () => {
  assert.deepEqual(rfkillWlanFiles(['platform-1001100000.mmc:wlan', 'platform-3f215040.serial:bluetooth']), [
    'platform-1001100000.mmc:wlan',
    'platform-3f300000.mmcnr:wlan',
    'platform-fe300000.mmcnr:wlan',
  ]);
});

test('time zone: /etc/timezone and the /etc/localtime link target', () => {
  assert.deepEqual(timezoneFiles('Europe/Berlin'), { timezone: 'Europe/Berlin\n', localtimeTarget: '/usr/share/zoneinfo/Europe/Berlin' });
});
