#!/usr/bin/env node
// Writes the Raspberry Pi Imager repository entry for a built picamd image: the os_list JSON that
// `rpi-imager --repo FILE-OR-URL` (Imager 2.x) reads, or that opens Imager on a double click as a
// .rpi-imager-manifest file. With it Imager knows how the image takes its OS customisation
// (init_format) and offers Wi-Fi, user, SSH, host name and locale; for "Use custom" images it
// offers none. Field names and meanings follow Imager's own reader (src/oslistmodel.cpp,
// src/hwlistmodel.cpp, src/imagewriter.cpp) and schema (doc/json-schema/os-list-schema.json).
//
// Usage: imager-manifest.mjs --image FILE [--extracted FILE] [--init-format F] [--release-date D]
//          [--url-base URL] [--icon FILE] [--version V] > picamd.rpi-imager-manifest
//   --image      what Imager downloads: the .img.xz (or the .img when not compressed)
//   --extracted  the uncompressed .img (default: --image), for extract_size and extract_sha256
//   --url-base   where image and icon are published (https://...); default file:// URLs of the
//                local files, which work on the machine that built the image
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/** The 64-bit Raspberry Pi models, as Imager's official list tags them (a Zero 2 W is a pi3). */
export const DEVICE_TAGS = ['pi5-64bit', 'pi4-64bit', 'pi3-64bit'];

/** The device list Imager shows first; a custom repository without one has no models to choose. */
export const DEVICES = [
  { name: 'Raspberry Pi 5', tags: ['pi5-64bit'], icon: 'https://downloads.raspberrypi.com/imager/icons/RPi_5.png', description: 'Raspberry Pi 5, 500 and Compute Module 5', matching_type: 'inclusive' },
  { name: 'Raspberry Pi 4', tags: ['pi4-64bit'], icon: 'https://downloads.raspberrypi.com/imager/icons/RPi_4.png', description: 'Raspberry Pi 4 Model B, 400 and Compute Module 4', matching_type: 'inclusive' },
  { name: 'Raspberry Pi Zero 2 W', tags: ['pi3-64bit'], icon: 'https://downloads.raspberrypi.com/imager/icons/RPi_Zero_2_W.png', description: 'Raspberry Pi Zero 2 W', matching_type: 'inclusive' },
  { name: 'Raspberry Pi 3', tags: ['pi3-64bit'], icon: 'https://downloads.raspberrypi.com/imager/icons/RPi_3.png', description: 'Raspberry Pi 3 Model A+ / B / B+', matching_type: 'inclusive' },
];

/** Values Imager 2.x accepts; an entry with any other value is pruned from the list (oslistmodel.cpp). */
export const INIT_FORMATS = ['', 'systemd', 'cloudinit', 'cloudinit-rpi', 'rpi-preseed', 'none'];

/**
 * How the base image takes Imager's customisation. Imager's doc/os_customisation_formats.md:
 * Bookworm images and the first Trixie release (2025-10-01) use "systemd" (Imager's firstrun.sh,
 * run from cmdline.txt), later Trixie images "cloudinit-rpi". The first Trixie release already has
 * the cloud-init package, so cloud-init alone does not tell them apart; Raspberry Pi's additions
 * for Imager, the rpi-cloud-init-mods package, do: pi-gen added them, and the user-data seed on
 * the boot partition, on 2025-11-24 (commit cb05dfcc, "Re-add cloud-init files to bootfs").
 */
export function initFormatFor({ codename, rpiCloudInitMods }) {
  if (rpiCloudInitMods) return 'cloudinit-rpi';
  if (codename === 'bookworm' || codename === 'trixie') return 'systemd';
  throw new Error(`cannot tell how Imager should customise a "${codename}" image without rpi-cloud-init-mods`);
}

/**
 * Whether dpkg's status file (/var/lib/dpkg/status) has the package installed: its stanza's
 * Status is "<want> ok installed" ("deinstall ok config-files" is a removed package).
 */
export function dpkgInstalled(statusText, name) {
  for (const stanza of statusText.split(/\n\s*\n/)) {
    const field = (key) => new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(stanza)?.[1]?.trim();
    if (field('Package') !== name) continue;
    if (/^\S+ ok installed$/.test(field('Status') ?? '')) return true;
  }
  return false;
}

/** The customisation format of the system mounted at `root` (the base image's root partition). */
export function initFormatForRoot(root) {
  const osRelease = readFileSync(join(root, 'etc/os-release'), 'utf8');
  const codename = /^VERSION_CODENAME=["']?([^"'\n]*)/m.exec(osRelease)?.[1] ?? '';
  let status;
  try {
    status = readFileSync(join(root, 'var/lib/dpkg/status'), 'utf8');
  } catch (err) {
    throw new Error(`cannot read the image's package list (/var/lib/dpkg/status: ${err.code ?? err.message}), so not whether it has rpi-cloud-init-mods`);
  }
  const rpiCloudInitMods = dpkgInstalled(status, 'rpi-cloud-init-mods');
  return { codename, rpiCloudInitMods, initFormat: initFormatFor({ codename, rpiCloudInitMods }) };
}

export function manifest({ version, initFormat, releaseDate, url, icon, extractSize, extractSha256, downloadSize, downloadSha256 }) {
  if (!INIT_FORMATS.includes(initFormat)) throw new Error(`init_format ${initFormat} is not one Imager knows`);
  return {
    imager: { devices: DEVICES },
    os_list: [
      {
        name: `picamd ${version}`,
        description: 'Network camera: flash, boot, open http://picamd.local/ (Raspberry Pi OS Lite 64-bit with picamd)',
        icon,
        url,
        extract_size: extractSize,
        extract_sha256: extractSha256,
        image_download_size: downloadSize,
        image_download_sha256: downloadSha256,
        release_date: releaseDate,
        init_format: initFormat,
        devices: DEVICE_TAGS,
        architecture: 'armv8',
      },
    ],
  };
}

async function sha256(file) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk);
  return hash.digest('hex');
}

async function main() {
  const { values } = parseArgs({
    options: {
      image: { type: 'string' },
      extracted: { type: 'string' },
      'init-format': { type: 'string' },
      'release-date': { type: 'string' },
      'url-base': { type: 'string' },
      icon: { type: 'string' },
      version: { type: 'string', default: '0.0.0' },
    },
  });
  if (!values.image) throw new Error('--image is required');
  const image = resolve(values.image);
  const extracted = resolve(values.extracted ?? values.image);
  const where = (file) => (values['url-base'] ? `${values['url-base'].replace(/\/$/, '')}/${encodeURIComponent(basename(file))}` : pathToFileURL(file).href);
  const releaseDate = values['release-date'] ?? new Date().toISOString().slice(0, 10);
  if (!/^\d{4}-\d\d-\d\d$/.test(releaseDate)) throw new Error('--release-date must be YYYY-MM-DD');
  const doc = manifest({
    version: values.version,
    initFormat: values['init-format'] ?? '',
    releaseDate,
    url: where(image),
    icon: values.icon ? where(resolve(values.icon)) : '',
    extractSize: statSync(extracted).size,
    extractSha256: await sha256(extracted),
    downloadSize: statSync(image).size,
    downloadSha256: await sha256(image),
  });
  process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    process.stderr.write(`imager-manifest: ${err.message}\n`);
    process.exit(1);
  });
}
