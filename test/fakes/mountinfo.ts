// /proc/self/mountinfo texts for src/platform/storage/ tests: a Raspberry Pi OS system as a root shell
// sees it, and picamd's own view under its systemd sandbox (ProtectSystem=strict, PrivateTmp=,
// DynamicUser= with StateDirectory=picamd: / read-only, the state directory bound writable).

export const PI_HOST = [
  '22 1 179:2 / / rw,noatime shared:1 - ext4 /dev/mmcblk0p2 rw',
  '23 22 0:5 / /dev rw,nosuid,relatime shared:2 - devtmpfs udev rw,size=180764k,nr_inodes=45191,mode=755',
  '24 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw',
  '25 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw',
  '26 22 0:24 / /run rw,nosuid,nodev,noexec,relatime shared:5 - tmpfs tmpfs rw,size=87572k,mode=755',
  '40 22 179:1 / /boot/firmware rw,relatime shared:33 - vfat /dev/mmcblk0p1 rw,fmask=0022,dmask=0022,codepage=437,iocharset=ascii,shortname=mixed,errors=remount-ro',
  '',
].join('\n');

export const PICAMD_SANDBOX = [
  '275 274 179:2 / / ro,noatime master:1 - ext4 /dev/mmcblk0p2 rw',
  '276 275 0:5 / /dev ro,nosuid,relatime master:2 - devtmpfs udev rw,size=180764k,nr_inodes=45191,mode=755',
  '290 275 0:44 / /tmp rw,nosuid,nodev,relatime - tmpfs tmpfs rw,mode=700',
  '300 275 0:47 / /var/lib/private rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw,size=4k,mode=700',
  '301 300 179:2 /var/lib/private/picamd /var/lib/private/picamd rw,noatime master:1 - ext4 /dev/mmcblk0p2 rw',
  '',
].join('\n');

/** The same lines after the kernel made the card read-only (errors=remount-ro): the super block's options say `ro`. */
export function roSuper(text: string): string {
  return text.replace(/ - ext4 (\S+) rw\b/g, ' - ext4 $1 ro');
}

/** A mount table whose longest match for `dir` is a mount of its own, its super block `rw` or `ro`. */
export function mountinfoFor(dir: string, superOptions: 'rw' | 'ro'): string {
  const at = dir.replace(/ /g, '\\040');
  return `1 0 179:2 / / rw,noatime - ext4 /dev/mmcblk0p2 rw\n2 1 179:2 ${at} ${at} rw,noatime - ext4 /dev/mmcblk0p2 ${superOptions},errors=remount-ro\n`;
}
