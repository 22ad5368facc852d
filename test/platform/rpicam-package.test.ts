// Which rpicam-apps package dpkg has installed, from its status file as dpkg writes it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dpkgInstalled, readRpicamPackage, rpicamPackageIn } from '../../src/platform/rpicam-package.js';

const stanza = (pkg: string, status: string) =>
  `Package: ${pkg}\nStatus: ${status}\nPriority: optional\nSection: graphics\nArchitecture: arm64\nVersion: 1.9.0-1\nDescription: ${pkg}\n rpicam-vid and friends\n`;
const status = (...stanzas: string[]) => stanzas.join('\n');

test('Raspberry Pi OS Lite: rpicam-apps-lite', () => {
  assert.equal(rpicamPackageIn(status(stanza('base-files', 'install ok installed'), stanza('rpicam-apps-lite', 'install ok installed'))), 'rpicam-apps-lite');
});

test('rpicam-apps installed (the full one, with libav) wins; a removed one (config files left) does not count', () => {
  assert.equal(rpicamPackageIn(status(stanza('rpicam-apps-lite', 'install ok installed'), stanza('rpicam-apps', 'hold ok installed'))), 'rpicam-apps');
  assert.equal(rpicamPackageIn(status(stanza('rpicam-apps', 'deinstall ok config-files'), stanza('rpicam-apps-lite', 'install ok installed'))), 'rpicam-apps-lite');
  assert.equal(rpicamPackageIn(status(stanza('rpicam-apps-core', 'install ok installed'))), null);
  assert.equal(dpkgInstalled(stanza('rpicam-apps', 'install ok half-installed'), 'rpicam-apps'), false);
});

test('no dpkg status (not Debian, unreadable): not known', () => {
  assert.equal(readRpicamPackage(() => { throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' }); }), null);
  assert.equal(readRpicamPackage(() => stanza('rpicam-apps', 'install ok installed')), 'rpicam-apps');
});
