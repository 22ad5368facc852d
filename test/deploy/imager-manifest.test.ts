// deploy/image/imager-manifest.mjs: the Raspberry Pi Imager repository entry build-image.sh writes
// next to the image. Checked against what Imager 2.x reads (src/oslistmodel.cpp, hwlistmodel.cpp,
// imagewriter.cpp of raspberrypi/rpi-imager v2.0.11) and the files' real sizes and SHA-256;
// deploy/image/test-image.sh checks the same on a built image.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
// @ts-expect-error: a plain ES module of the deploy scripts, without type declarations
import { DEVICE_TAGS, INIT_FORMATS, dpkgInstalled, initFormatFor, initFormatForRoot } from '../../deploy/image/imager-manifest.mjs';

const script = fileURLToPath(new URL('../../deploy/image/imager-manifest.mjs', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'picamd-manifest-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** The fields Imager's schema requires of an OS entry (doc/json-schema/os-list-schema.json). */
const REQUIRED = ['name', 'description', 'icon', 'url', 'extract_size', 'extract_sha256', 'image_download_size', 'release_date', 'devices'];
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A base image's root as build-image.sh sees it: os-release and dpkg's status file. */
function baseRoot(name: string, codename: string, packages: Array<[string, string]>): string {
  const root = join(work, name);
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'var/lib/dpkg'), { recursive: true });
  writeFileSync(join(root, 'etc/os-release'), `PRETTY_NAME="Debian GNU/Linux"\nID=debian\nVERSION_CODENAME=${codename}\n`);
  const stanzas = [['base-files', 'install ok installed'] as [string, string], ...packages]
    .map(([pkg, status]) => `Package: ${pkg}\nStatus: ${status}\nPriority: optional\nArchitecture: all\nVersion: 1\n`);
  writeFileSync(join(root, 'var/lib/dpkg/status'), `${stanzas.join('\n')}\n`);
  return root;
}

// Imager's doc/os_customisation_formats.md: Bookworm and Trixie 2025-10-01 "systemd", later Trixie
// "cloudinit-rpi". pi-gen added rpi-cloud-init-mods (and the user-data seed) on 2025-11-24, cb05dfcc.
test('init_format for the three bases: Bookworm, Trixie 2025-10-01 (cloud-init alone), Trixie with rpi-cloud-init-mods', () => {
  const bookworm = baseRoot('bookworm', 'bookworm', [['network-manager', 'install ok installed']]);
  const trixieFirst = baseRoot('trixie-2025-10-01', 'trixie', [['cloud-init', 'install ok installed']]);
  const trixie = baseRoot('trixie-2025-11-24', '"trixie"', [['cloud-init', 'install ok installed'], ['rpi-cloud-init-mods', 'install ok installed']]);
  assert.deepEqual(initFormatForRoot(bookworm), { codename: 'bookworm', rpiCloudInitMods: false, initFormat: 'systemd' });
  assert.deepEqual(initFormatForRoot(trixieFirst), { codename: 'trixie', rpiCloudInitMods: false, initFormat: 'systemd' });
  assert.deepEqual(initFormatForRoot(trixie), { codename: 'trixie', rpiCloudInitMods: true, initFormat: 'cloudinit-rpi' });
  assert.ok(INIT_FORMATS.includes('cloudinit-rpi') && INIT_FORMATS.includes('systemd'));
});

test('rpi-cloud-init-mods removed (config files left) is not installed; an unknown release or no package list is refused', () => {
  const removed = baseRoot('trixie-removed', 'trixie', [['rpi-cloud-init-mods', 'deinstall ok config-files'], ['cloud-init', 'install ok installed']]);
  assert.equal(initFormatForRoot(removed).initFormat, 'systemd');
  assert.equal(dpkgInstalled('Package: rpi-cloud-init-mods\nStatus: hold ok installed\n', 'rpi-cloud-init-mods'), true);
  assert.equal(dpkgInstalled('Package: rpi-cloud-init-mods-extra\nStatus: install ok installed\n', 'rpi-cloud-init-mods'), false);
  assert.throws(() => initFormatFor({ codename: 'bullseye', rpiCloudInitMods: false }), /cannot tell/);
  const noStatus = baseRoot('no-status', 'trixie', []);
  rmSync(join(noStatus, 'var/lib/dpkg/status'));
  assert.throws(() => initFormatForRoot(noStatus), /cannot read the image's package list/);
});

test('the entry has every field Imager needs, with the real sizes and hashes', () => {
  const img = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
  const xz = Buffer.from('not really xz, but its own size and hash');
  writeFileSync(join(work, 'p.img'), img);
  writeFileSync(join(work, 'p.img.xz'), xz);
  writeFileSync(join(work, 'picamd-icon.svg'), '<svg/>');
  const r = spawnSync(process.execPath, [script, '--image', join(work, 'p.img.xz'), '--extracted', join(work, 'p.img'),
    '--init-format', 'cloudinit-rpi', '--release-date', '2026-11-30', '--icon', join(work, 'picamd-icon.svg'), '--version', '1.2.3'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.os_list.length, 1);
  const os = doc.os_list[0];
  for (const key of REQUIRED) assert.ok(key in os, key);
  assert.equal(os.name, 'picamd 1.2.3');
  assert.equal(os.url, pathToFileURL(join(work, 'p.img.xz')).href);
  assert.equal(os.icon, pathToFileURL(join(work, 'picamd-icon.svg')).href);
  assert.equal(os.extract_size, img.length);
  assert.equal(os.extract_sha256, sha256(img));
  assert.equal(os.image_download_size, xz.length);
  assert.equal(os.image_download_sha256, sha256(xz));
  assert.equal(os.release_date, '2026-11-30');
  assert.equal(os.init_format, 'cloudinit-rpi');
  assert.deepEqual(os.devices, DEVICE_TAGS);
  // Imager lists models from imager.devices; every tag the entry names has a model to choose.
  const tags = new Set(doc.imager.devices.flatMap((d: { tags: string[] }) => d.tags));
  for (const tag of os.devices) assert.ok(tags.has(tag), tag);
  for (const d of doc.imager.devices) for (const key of ['name', 'description', 'tags']) assert.ok(key in d, `${d.name}: ${key}`);
  assert.ok(doc.imager.devices.some((d: { name: string }) => d.name === 'Raspberry Pi Zero 2 W'));
});

test('--url-base points the download and the icon at the published copies', () => {
  const r = spawnSync(process.execPath, [script, '--image', join(work, 'p.img.xz'), '--extracted', join(work, 'p.img'),
    '--init-format', 'systemd', '--icon', join(work, 'picamd-icon.svg'), '--url-base', 'https://example.org/picamd/'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const os = JSON.parse(r.stdout).os_list[0];
  assert.equal(os.url, 'https://example.org/picamd/p.img.xz');
  assert.equal(os.icon, 'https://example.org/picamd/picamd-icon.svg');
  assert.match(os.release_date, /^\d{4}-\d\d-\d\d$/);
});

test('an init_format Imager does not know is refused (Imager would drop the entry)', () => {
  const r = spawnSync(process.execPath, [script, '--image', join(work, 'p.img.xz'), '--init-format', 'cloud-init'], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /init_format cloud-init is not one Imager knows/);
});
