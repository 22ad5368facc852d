import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mountOf, parseMountinfo, unescapeMountPath } from '../../../src/platform/storage/mountinfo.js';
import { PI_HOST, PICAMD_SANDBOX, roSuper } from '../../fakes/mountinfo.js';

test('parseMountinfo: mount point, type, source and read-only from either option list', () => {
  const entries = parseMountinfo(PI_HOST);
  const root = entries.find((e) => e.mountPoint === '/');
  assert.deepEqual(root, { mountPoint: '/', fsType: 'ext4', source: '/dev/mmcblk0p2', readOnly: false });
  assert.equal(entries.find((e) => e.mountPoint === '/boot/firmware')?.fsType, 'vfat');
  // The mount's own `ro` (a sandbox's view of /), and the super block's alone (errors=remount-ro).
  const sandbox = parseMountinfo(PICAMD_SANDBOX);
  assert.equal(sandbox.find((e) => e.mountPoint === '/')?.readOnly, true);
  assert.equal(sandbox.find((e) => e.mountPoint === '/var/lib/private/picamd')?.readOnly, false);
  assert.equal(parseMountinfo(roSuper(PICAMD_SANDBOX)).find((e) => e.mountPoint === '/var/lib/private/picamd')?.readOnly, true);
});

test('parseMountinfo: optional fields of any number, escaped paths, and lines that are not whole are skipped', () => {
  const text = [
    '40 22 0:36 / /media/my\\040card rw,relatime shared:7 master:3 propagate_from:2 - ext4 /dev/sda1 rw',
    '41 22 0:37 / /mnt/none rw,relatime - tmpfs',
    'garbage',
    '',
    '42 22 0:38 / /mnt/ro-mount ro,relatime - tmpfs tmpfs rw,size=1024k',
  ].join('\n');
  assert.deepEqual(parseMountinfo(text), [
    { mountPoint: '/media/my card', fsType: 'ext4', source: '/dev/sda1', readOnly: false },
    { mountPoint: '/mnt/ro-mount', fsType: 'tmpfs', source: 'tmpfs', readOnly: true },
  ]);
  assert.equal(unescapeMountPath('/a\\011b\\012c\\134d'), '/a\tb\nc\\d');
});

test('mountOf: the longest mount point above the path, by whole components; the top one of a stack', () => {
  const entries = parseMountinfo(PICAMD_SANDBOX);
  assert.equal(mountOf(entries, '/var/lib/private/picamd')?.mountPoint, '/var/lib/private/picamd');
  assert.equal(mountOf(entries, '/var/lib/private/picamd/update')?.mountPoint, '/var/lib/private/picamd');
  assert.equal(mountOf(entries, '/var/lib/private/picamd2')?.mountPoint, '/var/lib/private');
  assert.equal(mountOf(entries, '/etc/picamd/config.json')?.mountPoint, '/etc/picamd');
  assert.equal(mountOf(entries, '/opt/picamd')?.mountPoint, '/');
  const stacked = parseMountinfo('1 0 8:1 / / rw - ext4 /dev/sda1 rw\n2 1 8:1 / /data rw - ext4 /dev/sda1 rw\n3 1 0:40 / /data ro - tmpfs tmpfs ro');
  assert.equal(mountOf(stacked, '/data/x')?.fsType, 'tmpfs', 'the later mount covers the earlier one');
  assert.equal(mountOf(parseMountinfo('2 1 8:1 / /data rw - ext4 /dev/sda1 rw'), '/elsewhere'), undefined);
});
