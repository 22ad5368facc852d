// deploy/picamd-os-updates.sh, the image's first-boot step that turns on the operating system's
// security updates: against a stand-in apt-get and dpkg-query (the real ones would change this
// machine), on a scratch tree (PICAMD_ROOT). What apt itself makes of picamd's configuration is
// checked with the real apt-config: only the security origins, the 03:30 reboot.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

const repo = join(import.meta.dirname, '../..');
const script = join(repo, 'deploy/picamd-os-updates.sh');
const config = join(repo, 'deploy/apt/52picamd-unattended-upgrades');

describe('picamd-os-updates', () => {
  let work: string;
  before(() => (work = mkdtempSync(join(tmpdir(), 'picamd-os-updates-'))));
  after(() => rmSync(work, { recursive: true, force: true }));

  /** A device tree with the release's apt configuration, and a stand-in apt-get that logs its
   * arguments, fails at the step named in FAKE_APT_FAIL, and on an install marks the package installed. */
  function device(name: string, installed = false): string {
    const root = join(work, name);
    mkdirSync(join(root, 'opt/picamd/current/deploy/apt'), { recursive: true });
    writeFileSync(join(root, 'opt/picamd/current/deploy/apt/52picamd-unattended-upgrades'), readFileSync(config));
    mkdirSync(join(root, 'bin'));
    writeFileSync(
      join(root, 'bin/apt-get'),
      `#!/bin/sh\necho "$DEBIAN_FRONTEND $*" >> "${root}/apt.log"\n` +
        `for a; do case $a in update|install) step=$a ;; esac; done\n` +
        `[ "$step" = "$FAKE_APT_FAIL" ] && exit 100\n[ "$step" = install ] && touch "${root}/installed"\nexit 0\n`,
    );
    writeFileSync(join(root, 'bin/dpkg-query'), `#!/bin/sh\n[ -e "${root}/installed" ] || exit 1\nprintf 'install ok installed'\n`);
    chmodSync(join(root, 'bin/apt-get'), 0o755);
    chmodSync(join(root, 'bin/dpkg-query'), 0o755);
    if (installed) writeFileSync(join(root, 'installed'), '');
    return root;
  }
  function run(root: string, fail = '') {
    const r = spawnSync('sh', [script], {
      encoding: 'utf8',
      env: { ...process.env, PICAMD_ROOT: root, PICAMD_APT_GET: join(root, 'bin/apt-get'), PICAMD_DPKG_QUERY: join(root, 'bin/dpkg-query'), FAKE_APT_FAIL: fail },
    });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  }
  const aptLog = (root: string) => (existsSync(join(root, 'apt.log')) ? readFileSync(join(root, 'apt.log'), 'utf8').trim().split('\n') : []);
  const done = (root: string) => existsSync(join(root, 'var/lib/picamd-os-updates/installed'));
  const installedConfig = (root: string) => join(root, 'etc/apt/apt.conf.d/52picamd-unattended-upgrades');

  it('configures, then installs unattended-upgrades with apt waiting for its lock, and marks it done', () => {
    const root = device('fresh');
    const r = run(root);
    assert.equal(r.status, 0, r.out);
    assert.deepEqual(readFileSync(installedConfig(root)), readFileSync(config));
    const calls = aptLog(root);
    assert.equal(calls.length, 2, calls.join('\n'));
    assert.match(calls[0]!, /-o DPkg::Lock::Timeout=600 .*update$/);
    assert.match(calls[1]!, /^noninteractive .*-o DPkg::Lock::Timeout=600 .*install -y --no-install-recommends unattended-upgrades$/);
    assert.match(calls[1]!, /--force-confold/);
    assert.ok(done(root));
  });

  it('does not touch apt when the package is there, and only puts the configuration in place', () => {
    const root = device('present', true);
    const r = run(root);
    assert.equal(r.status, 0, r.out);
    assert.deepEqual(aptLog(root), []);
    assert.deepEqual(readFileSync(installedConfig(root)), readFileSync(config));
    assert.ok(done(root));
  });

  for (const step of ['update', 'install']) {
    it(`fails without marking it done when apt-get ${step} fails (no network yet), and the next try completes`, () => {
      const root = device(`fail-${step}`);
      const r = run(root, step);
      assert.notEqual(r.status, 0);
      assert.match(r.out, /trying again later/);
      assert.ok(!done(root));
      const again = run(root);
      assert.equal(again.status, 0, again.out);
      assert.ok(done(root));
    });
  }

  const aptConfig = spawnSync('sh', ['-c', 'command -v apt-config']).status === 0;
  it("apt reads picamd's configuration over Debian's: the security origins only, a reboot at 03:30", { skip: aptConfig ? false : 'no apt-config' }, () => {
    const parts = join(work, 'parts');
    mkdirSync(parts);
    // Debian's own 50unattended-upgrades (bookworm), whose list apt would otherwise append to.
    writeFileSync(
      join(parts, '50unattended-upgrades'),
      'Unattended-Upgrade::Origins-Pattern {\n "origin=Debian,codename=${distro_codename},label=Debian";\n' +
        ' "origin=Debian,codename=${distro_codename},label=Debian-Security";\n "origin=Debian,codename=${distro_codename}-security,label=Debian-Security";\n};\n',
    );
    writeFileSync(join(parts, '52picamd-unattended-upgrades'), readFileSync(config));
    writeFileSync(join(work, 'apt.conf'), `Dir::Etc::Parts "${parts}/";\n`);
    const r = spawnSync('apt-config', ['dump'], { encoding: 'utf8', env: { ...process.env, APT_CONFIG: join(work, 'apt.conf') } });
    assert.equal(r.status, 0, r.stderr);
    const origins = r.stdout.split('\n').filter((l) => l.startsWith('Unattended-Upgrade::Origins-Pattern:: '));
    assert.deepEqual(origins, [
      'Unattended-Upgrade::Origins-Pattern:: "origin=Debian,codename=${distro_codename},label=Debian-Security";',
      'Unattended-Upgrade::Origins-Pattern:: "origin=Debian,codename=${distro_codename}-security,label=Debian-Security";',
    ]);
    assert.match(r.stdout, /^Unattended-Upgrade::Automatic-Reboot-Time "03:30";$/m);
    assert.match(r.stdout, /^APT::Periodic::Unattended-Upgrade "1";$/m);
  });
});
