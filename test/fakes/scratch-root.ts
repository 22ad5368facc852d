import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

// A scratch system tree shaped like a fresh picamd image's: host name picamd, UTC, a Wi-Fi radio
// that systemd-rfkill keeps blocked and NetworkManager keeps switched off (as pi-gen leaves an image
// built without a Wi-Fi country), cmdline.txt and the setup file on /boot/firmware.

export const CMDLINE = 'console=serial0,115200 console=tty1 root=PARTUUID=5e3da3da-02 rootfstype=ext4 fsck.repair=yes rootwait resize\n';
export const HOSTS = '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n\n127.0.1.1\tpicamd\n';
/** pi-gen stage2/02-net-tweaks/01-run.sh since e86b901e (2024-10-31), for images without WPA_COUNTRY. */
export const PI_GEN_NM_STATE = '[main]\nWirelessEnabled=false\n';
/** The top of tzdata's iso3166.tab, enough for the tests. */
export const ISO3166 = '# ISO 3166 alpha-2 country codes\n#\nDE\tGermany\nFR\tFrance\nGB\tBritain (UK)\nUS\tUnited States\n';

export async function makeScratchRoot(setupFile: string | Uint8Array | null): Promise<{ root: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'picamd-root-'));
  const put = async (path: string, content: string | Uint8Array) => {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  };
  await put('etc/hostname', 'picamd\n');
  await put('etc/hosts', HOSTS);
  await put('etc/timezone', 'Etc/UTC\n');
  await put('usr/share/zoneinfo/iso3166.tab', ISO3166);
  await put('usr/share/zoneinfo/Etc/UTC', 'TZif2 UTC stand-in\n');
  await put('usr/share/zoneinfo/Europe/Berlin', 'TZif2 Berlin stand-in\n');
  await symlink('Etc/UTC', join(root, 'usr/share/zoneinfo/UTC')); // as tzdata links it
  await put('usr/share/zoneinfo/leapseconds', '# not a zone\n');
  await symlink('/usr/share/zoneinfo/Etc/UTC', join(root, 'etc/localtime'));
  await put('var/lib/systemd/rfkill/platform-3f300000.mmcnr:wlan', '1\n');
  await put('var/lib/systemd/rfkill/platform-3f215040.serial:bluetooth', '1\n');
  await put('var/lib/NetworkManager/NetworkManager.state', PI_GEN_NM_STATE);
  await mkdir(join(root, 'etc/NetworkManager/system-connections'), { recursive: true });
  await put('boot/firmware/cmdline.txt', CMDLINE);
  if (setupFile !== null) await put('boot/firmware/picamd-setup.txt', setupFile);
  return { root, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** Every file under root: path -> content (links as "-> target"), for before/after comparisons. */
export async function snapshotTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name);
      const st = await lstat(path);
      const rel = relative(root, path);
      if (st.isSymbolicLink()) out[rel] = `-> ${await readlink(path)}`;
      else if (st.isDirectory()) await walk(path);
      else out[rel] = `${(st.mode & 0o777).toString(8)} ${await readFile(path, 'utf8')}`;
    }
  };
  await walk(root);
  return out;
}
