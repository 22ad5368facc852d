// Writers for the system files the setup file changes: host name, time zone, Wi-Fi country and
// the radio's saved rfkill state. Pure: current contents in, new contents out.

/**
 * A cloud-init drop-in that keeps the host name picamd-setup set. Raspberry Pi Imager's cloud-init
 * user-data names the host with `hostname:` and deliberately no `preserve_hostname`
 * (rpi-imager src/customization_generator.cpp), so cloud-init's set_hostname and update_hostname
 * would set Imager's name on the first boot; with `preserve_hostname: true` in the system config
 * (which user-data does not override, since Imager leaves the key out) both leave the name alone.
 * Written only where cloud-init is installed.
 */
export const CLOUD_INIT_HOSTNAME_DROP_IN = '/etc/cloud/cloud.cfg.d/99-picamd-hostname.cfg';
export const CLOUD_INIT_HOSTNAME_TEXT =
  '# Written by picamd-setup: the host name comes from picamd-setup.txt on the boot partition, not\n' +
  "# from Raspberry Pi Imager's user-data. Remove this file to let cloud-init set it again.\n" +
  'preserve_hostname: true\n';

/** /etc/hostname. */
export function hostnameFile(name: string): string {
  return `${name}\n`;
}

/**
 * /etc/hosts with the 127.0.1.1 line naming the new host (Debian's convention, so the host's own
 * name resolves without DNS); every other line kept. Appended when there is none.
 */
export function hostsFile(current: string | null, name: string): string {
  const line = `127.0.1.1\t${name}`;
  const text = current ?? '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n';
  const lines = text.split('\n');
  const ends = text.endsWith('\n');
  if (ends) lines.pop();
  let found = false;
  const out = lines.map((l) => {
    if (!/^127\.0\.1\.1\s/.test(l)) return l;
    found = true;
    return line;
  });
  if (!found) out.push(line);
  return `${out.join('\n')}\n`;
}

/** /etc/timezone (Debian's tzdata reads it) and the /etc/localtime link, as `dpkg-reconfigure tzdata` makes them. */
export function timezoneFiles(zone: string): { timezone: string; localtimeTarget: string } {
  return { timezone: `${zone}\n`, localtimeTarget: `/usr/share/zoneinfo/${zone}` };
}

/**
 * cmdline.txt with `cfg80211.ieee80211_regdom=XX`, as raspi-config's do_wifi_country sets the
 * Wi-Fi country on Raspberry Pi OS (Bookworm and later): any earlier value removed, the new one
 * appended to the (single) line. The kernel applies it from the next boot; `iw reg set` does it now.
 */
export function cmdlineWithCountry(current: string, country: string): string {
  const ends = /\r?\n$/.exec(current)?.[0] ?? '';
  const body = current.slice(0, current.length - ends.length);
  const [first = '', ...rest] = body.split('\n');
  const cleaned = first.replace(/\s*cfg80211\.ieee80211_regdom=\S*/g, '').trimEnd();
  return [`${cleaned} cfg80211.ieee80211_regdom=${country}`, ...rest].join('\n') + (ends || '\n');
}

export const RFKILL_DIR = '/var/lib/systemd/rfkill';

/**
 * The systemd-rfkill state files to write "0" (unblocked) into: every Wi-Fi one already there
 * (raspi-config does the same), plus pi-gen's names for the Pi 3 / Zero 2 W and Pi 4 radios so the
 * first boot, before systemd-rfkill has saved anything, comes up unblocked. Pi 5 and others get
 * their file when systemd-rfkill saves the state that `rfkill unblock wifi` set.
 */
export function rfkillWlanFiles(existing: readonly string[]): string[] {
  const names = new Set(existing.filter((n) => n.endsWith(':wlan')));
  names.add('platform-3f300000.mmcnr:wlan');
  names.add('platform-fe300000.mmcnr:wlan');
  return [...names].sort();
}
