// `picamd update FILE`: checks the file, hands it over as picamd does (renamed complete into the
// updater's path), follows the updater's status to the end. The updater here is a stand-in that
// takes the file and writes the states deploy/picamd-update.sh writes, one per poll.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runUpdate, type UpdateIo } from '../../../src/app/commands/update.js';
import { signUpdateFile } from '../../../src/device/update/sign-file.js';

const release = generateKeyPairSync('ed25519');

describe('picamd update', () => {
  let work: string;
  let installed: string;
  let good: string;
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'picamd-update-cli-'));
    installed = join(work, 'installed');
    mkdirSync(join(installed, 'keys'), { recursive: true });
    writeFileSync(join(installed, 'keys/release.pem'), release.publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(installed, 'package.json'), '{"version":"1.0.0"}');
    mkdirSync(join(work, 'src/picamd-1.1.0/dist'), { recursive: true });
    writeFileSync(join(work, 'src/picamd-1.1.0/dist/main.js'), '// 1.1.0\n');
    const tar = spawnSync('tar', ['--owner=0', '--group=0', '--mode=go-w', '-C', join(work, 'src'), '-czf', join(work, 'b.tar.gz'), 'picamd-1.1.0']);
    assert.equal(tar.status, 0);
    good = join(work, 'good.update');
    await signUpdateFile({ bundle: join(work, 'b.tar.gz'), out: good, privateKey: release.privateKey, version: '1.1.0', replacesFrom: '0.1.0', architecture: 'arm64', date: '2026-12-07T01:00:00Z' });
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  /** An inbox and a stand-in updater that moves one state on at every poll, ending in `last`. */
  function setup(name: string, last: Record<string, string>) {
    const inbox = join(work, name);
    mkdirSync(inbox);
    const states = [{ state: 'verifying' }, { state: 'installing', version: '1.1.0' }, { state: 'trial', version: '1.1.0' }, { state: 'checking', version: '1.1.0' }, last];
    let taken: Buffer | undefined;
    let messages = '';
    const io: UpdateIo = {
      output: { write: () => true },
      messages: { write: (t: string) => (messages += t) },
      packageRoot: installed,
      architecture: 'arm64',
      inbox,
      updaterState: inbox,
      isRoot: true,
      timeoutMs: 60_000,
      sleep: async () => {
        const request = join(inbox, 'request.update');
        if (existsSync(request) && !taken) {
          assert.ok(!existsSync(`${request}.part`), 'the file is complete when it gets its name');
          taken = readFileSync(request);
          rmSync(request);
        }
        const next = states.shift();
        if (taken && next) writeFileSync(join(inbox, 'status.json'), JSON.stringify({ from: '1.0.0', reason: '', ...next }));
      },
    };
    return { io, inbox, taken: () => taken, messages: () => messages };
  }

  it('hands the file over complete and follows it to the commit (exit 0)', async () => {
    const s = setup('commit', { state: 'committed', version: '1.1.0' });
    assert.equal(await runUpdate({ file: good }, s.io), 0, s.messages());
    assert.ok(s.taken()?.equals(readFileSync(good)), 'the updater got the very file');
    assert.match(s.messages(), /handed to the updater[\s\S]*verifying[\s\S]*installing 1\.1\.0[\s\S]*trial 1\.1\.0[\s\S]*committed 1\.1\.0\npicamd: picamd 1\.1\.0 runs now \(it replaced 1\.0\.0/);
  });

  it('exits 1 with the reason when the version on trial is rolled back', async () => {
    const s = setup('rollback', { state: 'rolled-back', version: '1.1.0', reason: 'picamd 1.1.0 was not ready within 150 s' });
    assert.equal(await runUpdate({ file: good }, s.io), 1);
    assert.match(s.messages(), /rolled-back 1\.1\.0: picamd 1\.1\.0 was not ready within 150 s\n$/);
  });

  it('refuses a bad file itself, a second update while one runs, and anyone but root', async () => {
    const s = setup('refused', { state: 'committed' });
    writeFileSync(join(work, 'bad.update'), 'nope');
    assert.equal(await runUpdate({ file: join(work, 'bad.update') }, s.io), 1);
    assert.match(s.messages(), /is refused: not a picamd update file/);
    assert.equal(s.taken(), undefined);
    writeFileSync(join(s.inbox, 'status.json'), JSON.stringify({ state: 'trial', version: '1.0.5' }));
    assert.equal(await runUpdate({ file: good }, s.io), 1);
    assert.match(s.messages(), /another update is running \(trial 1\.0\.5\)/);
    assert.ok(!existsSync(join(s.inbox, 'request.update')));
    assert.equal(await runUpdate({ file: good }, { ...s.io, isRoot: false }), 1);
    assert.match(s.messages(), /update needs root/);
  });
});
