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

// picamd's own view, as /proc/<pid>/mountinfo showed it on the virtual Pi's Bookworm card (lines kept:
// the root, /tmp, /var/lib/private and the state directory bound into it).
export const PICAMD_SANDBOX = [
  '283 251 254:2 / / ro,nosuid,noatime shared:128 master:1 - ext4 /dev/vda2 rw',
  '300 283 0:25 / /run rw,nosuid,nodev shared:146 master:11 - tmpfs tmpfs rw,size=97308k,nr_inodes=819200,mode=755,inode64',
  '329 283 254:2 /etc/picamd /etc/picamd rw,nosuid,noatime shared:155 master:1 - ext4 /dev/vda2 rw',
  '348 283 254:2 /tmp/systemd-private-114bd4c6565b477592c7e0ec14a76df7-picamd.service-YAhYE0/tmp /tmp rw,nosuid,noatime shared:167 master:1 - ext4 /dev/vda2 rw',
  '350 283 0:44 / /var/lib/private ro,nosuid,nodev,noexec shared:169 - tmpfs tmpfs rw,size=4096k,nr_inodes=1024,mode=755,inode64',
  '351 350 254:2 /var/lib/private/picamd /var/lib/private/picamd rw,nosuid,noatime shared:170 master:1 - ext4 /dev/vda2 rw',
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
