// deploy/picamd-update.sh's start-check, the part that runs before every start of picamd: it counts
// the starts of a version on trial and switches back before the start that would exceed the limit,
// it settles a trial a power cut interrupted, and `run` takes only a regular file. On scratch trees (PICAMD_ROOT); the whole update
// under a real systemd is deploy/test-update.sh.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

const script = join(import.meta.dirname, '../../deploy/picamd-update.sh');
const skip = spawnSync('sh', ['-c', 'command -v flock']).status !== 0 && process.env.CI !== 'true' ? 'needs flock (util-linux)' : false;

describe('picamd-update start-check', { skip }, () => {
  let work: string;
  before(() => (work = mkdtempSync(join(tmpdir(), 'picamd-update-helper-'))));
  after(() => rmSync(work, { recursive: true, force: true }));

  /** A device tree with releases 1.0.0 and 2.0.0, `current` at `current`, a trial file when given. */
  function device(name: string, current: string, trial?: string): string {
    const root = join(work, name);
    for (const v of ['1.0.0', '2.0.0']) mkdirSync(join(root, 'opt/picamd/releases', v), { recursive: true });
    symlinkSync(`releases/${current}`, join(root, 'opt/picamd/current'));
    symlinkSync('releases/1.0.0', join(root, 'opt/picamd/previous'));
    mkdirSync(join(root, 'var/lib/private/picamd/update'), { recursive: true });
    if (trial !== undefined) {
      mkdirSync(join(root, 'var/lib/picamd-update'), { recursive: true });
      writeFileSync(join(root, 'var/lib/picamd-update/trial'), trial);
    }
    return root;
  }

  function startCheck(root: string) {
    const r = spawnSync('bash', [script, 'start-check'], { encoding: 'utf8', env: { ...process.env, PICAMD_ROOT: root, PICAMD_TRIAL_MAX_STARTS: '3' } });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  }
  const status = (root: string) => JSON.parse(readFileSync(join(root, 'var/lib/picamd-update/status.json'), 'utf8')) as Record<string, string>;

  it('does nothing without a trial', () => {
    const root = device('idle', '2.0.0');
    assert.equal(startCheck(root).status, 0);
    assert.equal(readlinkSync(join(root, 'opt/picamd/current')), 'releases/2.0.0');
    assert.ok(!existsSync(join(root, 'var/lib/picamd-update/status.json')));
  });

  it('counts the starts of the version on trial, then switches back before the one too many', () => {
    const root = device('count', '2.0.0', 'version=2.0.0\nfrom=1.0.0\nstarts=0\n');
    for (let start = 1; start <= 3; start++) {
      const r = startCheck(root);
      assert.equal(r.status, 0, r.out);
      assert.match(r.out, new RegExp(`start ${start} of 3 of picamd 2\\.0\\.0 on trial`));
      assert.equal(readlinkSync(join(root, 'opt/picamd/current')), 'releases/2.0.0');
      assert.match(readFileSync(join(root, 'var/lib/picamd-update/trial'), 'utf8'), new RegExp(`^starts=${start}$`, 'm'));
    }
    const r = startCheck(root);
    assert.equal(r.status, 0, r.out);
    assert.equal(readlinkSync(join(root, 'opt/picamd/current')), 'releases/1.0.0', 'the 4th start runs the previous version');
    assert.ok(!existsSync(join(root, 'var/lib/picamd-update/trial')));
    assert.ok(!existsSync(join(root, 'opt/picamd/releases/2.0.0')), 'the failed version is removed');
    assert.deepEqual({ ...status(root), at: undefined }, { state: 'rolled-back', version: '2.0.0', from: '1.0.0', reason: 'picamd 2.0.0 did not stay up in 3 starts', at: undefined });
    assert.equal(startCheck(root).status, 0, 'and the next start is an ordinary one');
  });

  it('run: refuses a request that is a link (to a file only root may read) and removes it, reading nothing', () => {
    const root = device('link', '2.0.0');
    const secret = join(root, 'secret');
    writeFileSync(secret, 'root only');
    symlinkSync(secret, join(root, 'var/lib/private/picamd/update/request.update'));
    const r = spawnSync('bash', [script, 'run'], { encoding: 'utf8', env: { ...process.env, PICAMD_ROOT: root, PICAMD_SYSTEMCTL: 'false' } });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.ok(!existsSync(join(root, 'var/lib/private/picamd/update/request.update')));
    assert.equal(readFileSync(secret, 'utf8'), 'root only');
    assert.deepEqual({ ...status(root), at: undefined }, { state: 'refused', version: '', from: '2.0.0', reason: 'request.update is not a regular file', at: undefined });
    assert.equal(readlinkSync(join(root, 'opt/picamd/current')), 'releases/2.0.0');
  });

  it('a rollback by start-check removes the units only the version on trial had, and keeps the others', () => {
    const root = device('units', '2.0.0', 'version=2.0.0\nfrom=1.0.0\nstarts=3\n');
    for (const v of ['1.0.0', '2.0.0']) {
      mkdirSync(join(root, 'opt/picamd/releases', v, 'systemd'), { recursive: true });
      writeFileSync(join(root, 'opt/picamd/releases', v, 'systemd/picamd.service'), `[Service]\n# ${v}\n`);
    }
    writeFileSync(join(root, 'opt/picamd/releases/2.0.0/systemd/picamd-probe.path'), '[Install]\nWantedBy=paths.target\n');
    const units = join(root, 'etc/systemd/system');
    mkdirSync(join(units, 'paths.target.wants'), { recursive: true });
    for (const unit of ['picamd.service', 'picamd-probe.path']) symlinkSync(`/opt/picamd/current/systemd/${unit}`, join(units, unit));
    symlinkSync('/etc/systemd/system/picamd-probe.path', join(units, 'paths.target.wants/picamd-probe.path'));
    writeFileSync(join(units, 'picamd-update.service'), '[Service]\n');
    const r = spawnSync('bash', [script, 'start-check'], { encoding: 'utf8', env: { ...process.env, PICAMD_ROOT: root, PICAMD_TRIAL_MAX_STARTS: '3', PICAMD_SYSTEMCTL: 'true' } });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.equal(readlinkSync(join(root, 'opt/picamd/current')), 'releases/1.0.0');
    assert.equal(readlinkSync(join(units, 'picamd.service')), '/opt/picamd/current/systemd/picamd.service');
    // The links themselves (a link to /opt/... dangles on this machine, so existsSync would not see it).
    for (const link of ['picamd-probe.path', 'paths.target.wants/picamd-probe.path']) assert.throws(() => readlinkSync(join(units, link)), /ENOENT/, link);
    assert.equal(readFileSync(join(units, 'picamd-update.service'), 'utf8'), '[Service]\n', "the updater's own units stay");
  });

  it('run, outside a trial: turns installed copies of units into links to current\'s, brings in and enables a unit the system lacks, leaves a masked one', () => {
    const root = device('adopt', '2.0.0');
    const release = join(root, 'opt/picamd/releases/2.0.0/systemd');
    mkdirSync(release, { recursive: true });
    writeFileSync(join(release, 'picamd.service'), '[Service]\n');
    writeFileSync(join(release, 'picamd-timezone.path'), '[Install]\nWantedBy=paths.target\n');
    writeFileSync(join(release, 'picamd-probe.path'), '[Install]\nWantedBy=paths.target\n');
    writeFileSync(join(release, 'picamd-update.service'), '[Service]\n# new\n');
    const units = join(root, 'etc/systemd/system');
    mkdirSync(units, { recursive: true });
    writeFileSync(join(units, 'picamd.service'), '[Service]\n');
    symlinkSync('/dev/null', join(units, 'picamd-timezone.path'));
    writeFileSync(join(units, 'picamd-update.service'), '[Service]\n# old\n');
    const r = spawnSync('bash', [script, 'run'], { encoding: 'utf8', env: { ...process.env, PICAMD_ROOT: root, PICAMD_SYSTEMCTL: 'true' } });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.equal(readlinkSync(join(units, 'picamd.service')), '/opt/picamd/current/systemd/picamd.service');
    assert.equal(readlinkSync(join(units, 'picamd-probe.path')), '/opt/picamd/current/systemd/picamd-probe.path');
    assert.equal(readlinkSync(join(units, 'paths.target.wants/picamd-probe.path')), '/etc/systemd/system/picamd-probe.path');
    assert.equal(readlinkSync(join(units, 'picamd-timezone.path')), '/dev/null', 'a masked unit stays masked');
    assert.throws(() => readlinkSync(join(units, 'paths.target.wants/picamd-timezone.path')), /ENOENT/);
    assert.equal(readFileSync(join(units, 'picamd-update.service'), 'utf8'), '[Service]\n# old\n', "the updater's units change only at a commit");
  });

  it('settles a trial whose switch a power cut interrupted: current says what runs', () => {
    const root = device('cut', '1.0.0', 'version=2.0.0\nfrom=1.0.0\nstarts=0\n');
    const r = startCheck(root);
    assert.equal(r.status, 0, r.out);
    assert.equal(readlinkSync(join(root, 'opt/picamd/current')), 'releases/1.0.0');
    assert.ok(!existsSync(join(root, 'var/lib/picamd-update/trial')));
    assert.equal(status(root).state, 'rolled-back');
    assert.match(status(root).reason!, /interrupted/);
  });
  /** Releases 1.0.0 and 2.0.0 that bring their files outside the install root, each marked with its version. */
  function withSystemFiles(root: string): void {
    for (const v of ['1.0.0', '2.0.0']) {
      const rel = join(root, 'opt/picamd/releases', v);
      for (const d of ['deploy/sysctl', 'deploy/apt', 'deploy/avahi', 'node/bin']) mkdirSync(join(rel, d), { recursive: true });
      writeFileSync(join(rel, 'deploy/sysctl/60-picamd.conf'), `# ${v}\nnet.ipv4.tcp_notsent_lowat = 131072\n`);
      writeFileSync(join(rel, 'deploy/apt/52picamd-unattended-upgrades'), `// ${v}\n`);
      writeFileSync(join(rel, 'deploy/avahi/picamd.service'), `<service-group><!-- ${v} --><port>80</port></service-group>\n`);
      // The release's own reading of the config: 2.0.0 writes one more line in config.txt.
      writeFileSync(join(rel, 'deploy/config-facts.mjs'), `process.stdout.write('port=8080\\ngpio_line=${v === '2.0.0' ? 'gpio=27=ip,pu' : ''}\\n');\n`);
      writeFileSync(join(rel, 'node/bin/node'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} "$@"\n`, { mode: 0o755 });
    }
    mkdirSync(join(root, 'etc/sysctl.d'), { recursive: true });
    writeFileSync(join(root, 'etc/sysctl.d/60-picamd.conf'), '# installed copy\n');
    mkdirSync(join(root, 'etc/avahi/services'), { recursive: true });
    mkdirSync(join(root, 'etc/apt/apt.conf.d'), { recursive: true });
    writeFileSync(join(root, 'etc/apt/apt.conf.d/52picamd-unattended-upgrades'), '// copied at the first boot\n');
    mkdirSync(join(root, 'boot/firmware'), { recursive: true });
    writeFileSync(join(root, 'boot/firmware/config.txt'), 'dtparam=audio=on\n[pi4]\narm_boost=1\n');
  }

  it('the files outside the install root follow `current`: links for sysctl and apt, the Avahi service and picamd\'s config.txt lines written; a rollback takes them back', () => {
    const root = device('system-files', '2.0.0');
    withSystemFiles(root);
    const env = { ...process.env, PICAMD_ROOT: root, PICAMD_SYSTEMCTL: 'true', PICAMD_TRIAL_MAX_STARTS: '3' };
    const r = spawnSync('bash', [script, 'run'], { encoding: 'utf8', env });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.equal(readlinkSync(join(root, 'etc/sysctl.d/60-picamd.conf')), '/opt/picamd/current/deploy/sysctl/60-picamd.conf');
    assert.equal(readlinkSync(join(root, 'etc/apt/apt.conf.d/52picamd-unattended-upgrades')), '/opt/picamd/current/deploy/apt/52picamd-unattended-upgrades');
    assert.equal(readFileSync(join(root, 'etc/avahi/services/picamd.service'), 'utf8'), '<service-group><!-- 2.0.0 --><port>8080</port></service-group>\n');
    const config = join(root, 'boot/firmware/config.txt');
    assert.equal(
      readFileSync(config, 'utf8'),
      'dtparam=audio=on\n[pi4]\narm_boost=1\n# BEGIN picamd (written by picamd; follows gpio.privacy in /etc/picamd/config.json)\n[all]\ngpio=27=ip,pu\n# END picamd\n',
    );
    // 2.0.0 on trial fails its starts: start-check goes back to 1.0.0, and its files come back.
    writeFileSync(join(root, 'var/lib/picamd-update/trial'), 'version=2.0.0\nfrom=1.0.0\nstarts=3\n');
    const back = spawnSync('bash', [script, 'start-check'], { encoding: 'utf8', env });
    assert.equal(back.status, 0, `${back.stdout}${back.stderr}`);
    assert.equal(readlinkSync(join(root, 'opt/picamd/current')), 'releases/1.0.0');
    // The link stays; what it names (inside the root here) is 1.0.0's file now.
    assert.equal(readFileSync(join(root, readlinkSync(join(root, 'etc/sysctl.d/60-picamd.conf'))), 'utf8'), '# 1.0.0\nnet.ipv4.tcp_notsent_lowat = 131072\n');
    assert.equal(readFileSync(join(root, 'etc/avahi/services/picamd.service'), 'utf8'), '<service-group><!-- 1.0.0 --><port>8080</port></service-group>\n');
    assert.equal(readFileSync(config, 'utf8'), 'dtparam=audio=on\n[pi4]\narm_boost=1\n', 'only picamd\'s block went, the owner\'s lines stay');
  });

  it('a file it cannot write is logged and skipped: the run goes on and the others are written', () => {
    const root = device('system-files-broken', '2.0.0');
    withSystemFiles(root);
    rmSync(join(root, 'etc/avahi/services'), { recursive: true });
    writeFileSync(join(root, 'etc/avahi/services'), 'not a folder\n');
    const r = spawnSync('bash', [script, 'run'], { encoding: 'utf8', env: { ...process.env, PICAMD_ROOT: root, PICAMD_SYSTEMCTL: 'true' } });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /cannot write .*etc\/avahi\/services\/picamd\.service\.picamd-tmp/);
    assert.match(readFileSync(join(root, 'boot/firmware/config.txt'), 'utf8'), /^gpio=27=ip,pu$/m);
  });

  it('a device without the security-updates file does not get one, and a masked sysctl file stays masked', () => {
    const root = device('system-files-owner', '2.0.0');
    withSystemFiles(root);
    rmSync(join(root, 'etc/apt/apt.conf.d/52picamd-unattended-upgrades'));
    rmSync(join(root, 'etc/sysctl.d/60-picamd.conf'));
    symlinkSync('/dev/null', join(root, 'etc/sysctl.d/60-picamd.conf'));
    const r = spawnSync('bash', [script, 'run'], { encoding: 'utf8', env: { ...process.env, PICAMD_ROOT: root, PICAMD_SYSTEMCTL: 'true' } });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.ok(!existsSync(join(root, 'etc/apt/apt.conf.d/52picamd-unattended-upgrades')));
    assert.equal(readlinkSync(join(root, 'etc/sysctl.d/60-picamd.conf')), '/dev/null');
  });
});
