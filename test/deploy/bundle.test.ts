// The arm64 release bundle's contents: what must be in it, what must not, and that every native
// binary is for aarch64 (and, under qemu-user, really loads in the bundled runtime). The bundle is
// built once (about 20 s) when it is missing or older than its inputs.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readSync, closeSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const repo = join(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string };
const name = `picamd-${pkg.version}`;
const tarball = join(repo, 'release', `${name}-linux-arm64.tar.gz`);

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const canBuild = has('aarch64-linux-gnu-g++') && has('aarch64-linux-gnu-strip');
const sysroot = process.env.PICAMD_ARM64_SYSROOT ?? '/usr/aarch64-linux-gnu';
const canEmulate = has('qemu-aarch64-static') && existsSync(join(sysroot, 'lib/ld-linux-aarch64.so.1'));
const ci = process.env.CI === 'true';

/** Newest modification time among the files the bundle is made from. */
function newestInput(): number {
  let newest = 0;
  const visit = (path: string) => {
    const st = statSync(path);
    if (st.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
    else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of ['src', 'config/default.json', 'systemd', 'deploy', 'package.json', 'package-lock.json', 'docs']) {
    if (existsSync(join(repo, p))) visit(join(repo, p));
  }
  return newest;
}

const stale = !existsSync(tarball) || statSync(tarball).mtimeMs < newestInput();
const skip = stale && !canBuild && !ci ? 'the bundle is missing or stale and g++-aarch64-linux-gnu is not installed' : false;

/** ELF header facts: 64-bit little-endian aarch64 is class 2, data 1, machine 183. */
function elf(path: string): { class: number; data: number; machine: number } | null {
  const fd = openSync(path, 'r');
  const head = Buffer.alloc(20);
  try {
    readSync(fd, head, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  if (head.readUInt32BE(0) !== 0x7f454c46) return null;
  return { class: head[4]!, data: head[5]!, machine: head.readUInt16LE(18) };
}

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)));
}

describe('release bundle', { skip }, () => {
  let work: string;
  let app: string;
  before(() => {
    if (stale) {
      const r = spawnSync('bash', [join(repo, 'deploy/bundle.sh')], { cwd: repo, encoding: 'utf8', timeout: 300_000 });
      assert.equal(r.status, 0, `deploy/bundle.sh failed:\n${r.stdout}${r.stderr}`);
    }
    work = mkdtempSync(join(tmpdir(), 'picamd-bundle-'));
    const r = spawnSync('tar', ['-xzf', tarball, '-C', work], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    app = join(work, name);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it(`unpacks to ${name}/ with the runtime, the app, the config, the unit, the installer and the README`, () => {
    assert.deepEqual(readdirSync(work), [name]);
    for (const f of [
      'dist/main.js',
      'dist/sim/camera.js',
      'dist/systemd/notify.js',
      'dist/config/load.js',
      'package.json',
      'config/default.json',
      'systemd/picamd.service',
      'systemd/picamd-setup.service',
      'config/picamd-setup.txt',
      'deploy/config-facts.mjs',
      'deploy/check-stream.mjs',
      'deploy/avahi/picamd.service',
      'README.md',
      'BUILD-INFO',
      'node/LICENSE',
    ]) {
      assert.ok(existsSync(join(app, f)), `${f} is in the bundle`);
    }
    for (const exe of ['node/bin/node', 'install.sh']) {
      assert.ok(statSync(join(app, exe)).mode & 0o111, `${exe} is executable`);
    }
    for (const f of ['config/default.json', 'systemd/picamd.service', 'systemd/picamd-setup.service', 'config/picamd-setup.txt']) {
      assert.equal(readFileSync(join(app, f), 'utf8'), readFileSync(join(repo, f), 'utf8'), `${f} is the repository's`);
    }
    assert.equal(readFileSync(join(app, 'install.sh'), 'utf8'), readFileSync(join(repo, 'deploy/install.sh'), 'utf8'));
  });

  it('is readable by everyone and writable by root only (the service runs as a dynamic user)', () => {
    const entries = readdirSync(work, { recursive: true, withFileTypes: true });
    for (const e of entries) {
      const path = join(e.parentPath, e.name);
      const mode = statSync(path).mode;
      assert.ok(mode & 0o004 && !(mode & 0o022), `${relative(work, path)} has mode ${(mode & 0o777).toString(8)}`);
      if (e.isDirectory()) assert.ok(mode & 0o001, `${relative(work, path)} is searchable`);
    }
  });

  it('has a compiled module for every source module', () => {
    const sources = files(join(repo, 'src')).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.startsWith('web/client/'));
    assert.ok(sources.length > 10);
    for (const s of sources) assert.ok(existsSync(join(app, 'dist', s.replace(/\.ts$/, '.js'))), `dist/${s.replace(/\.ts$/, '.js')}`);
  });

  it('holds exactly the production dependencies of the lockfile', () => {
    const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; optional?: boolean }>;
    };
    const production = Object.entries(lock.packages)
      .filter(([path, p]) => path.startsWith('node_modules/') && !p.dev && !p.optional)
      .map(([path]) => path)
      .sort();
    const bundled = Object.keys(
      (JSON.parse(readFileSync(join(app, 'node_modules/.package-lock.json'), 'utf8')) as { packages: object }).packages,
    ).sort();
    assert.deepEqual(bundled, production);
    for (const dev of ['typescript', 'tsx', 'fast-check', '@types/node']) assert.ok(!existsSync(join(app, 'node_modules', dev)), `${dev} is not bundled`);
  });

  it('contains only aarch64 native code, and only the uWebSockets.js binary for the bundled runtime', () => {
    const abi = /abi (\d+)/.exec(readFileSync(join(app, 'BUILD-INFO'), 'utf8'))?.[1];
    assert.ok(abi, 'BUILD-INFO names the runtime ABI');
    const natives = files(app).filter((f) => f.endsWith('.node'));
    assert.deepEqual(natives.map((f) => f.split('/').at(-1)).sort(), ['epoll.node', `uws_linux_arm64_${abi}.node`]);
    for (const f of [...natives, 'node/bin/node']) {
      assert.deepEqual(elf(join(app, f)), { class: 2, data: 1, machine: 183 }, `${f} is a 64-bit little-endian aarch64 ELF`);
    }
    // Nothing else that is ELF sneaks in (a stray x86-64 build output, say).
    for (const f of files(app)) {
      const e = elf(join(app, f));
      if (e) assert.equal(e.machine, 183, `${f} is aarch64`);
    }
  });

  it('loads every native addon in the bundled runtime under qemu-user', { skip: !canEmulate && !ci ? 'needs qemu-user-static and an arm64 sysroot' : false }, () => {
    const natives = files(app).filter((f) => f.endsWith('.node'));
    const script = `for (const f of ${JSON.stringify(natives)}) { const m = { exports: {} }; process.dlopen(m, f); console.log(f, Object.keys(m.exports).length); }`;
    const r = spawnSync('qemu-aarch64-static', ['-L', sysroot, 'node/bin/node', '-e', script], { cwd: app, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    for (const f of natives) assert.match(r.stdout, new RegExp(`${f.replaceAll('.', '\\.')} [1-9]`));
  });
});
