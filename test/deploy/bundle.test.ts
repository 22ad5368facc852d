// The arm64 release bundle's contents: what must be in it, what must not, and that every native
// binary is for aarch64 (and, under qemu-user, really loads in the bundled runtime). The bundle is
// built once (about 20 s) when it is missing or older than its inputs.
import { describe, it, before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readSync, closeSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const repo = join(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string };
const name = `picamd-${pkg.version}`;
const tarball = join(repo, 'release', `${name}-linux-arm64.tar.gz`);
/** Written next to the tarball when the bundle was built with PICAMD_SIGNING_KEY (deploy/ci-packaging.sh uses a throw-away key). */
const updateFile = join(repo, 'release', `${name}-linux-arm64.update`);

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const objdump = 'aarch64-linux-gnu-objdump';
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

/** Package names as they sit in node_modules: "name" or "@scope/name". */
function installedPackages(nodeModules: string): string[] {
  if (!existsSync(nodeModules)) return [];
  return readdirSync(nodeModules)
    .filter((entry) => !entry.startsWith('.'))
    .flatMap((entry) => (entry.startsWith('@') ? readdirSync(join(nodeModules, entry)).map((n) => `${entry}/${n}`) : [entry]));
}

/**
 * The packages that `dependencies` need at run time, as Node resolves them from `root`: each
 * dependency and, recursively, its own dependencies and optional dependencies that are installed.
 * Returned as top-level node_modules names (the packages nested deeper come with their parent).
 */
function runtimeClosure(root: string, dependencies: string[]): string[] {
  const topLevel = new Set<string>();
  const seen = new Set<string>();
  const visit = (from: string, name: string, optional: boolean) => {
    let dir = from;
    let found: string | undefined;
    for (;;) {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) {
        found = candidate;
        break;
      }
      if (dir === root) break;
      dir = join(dir, '..');
      while (!existsSync(join(dir, 'package.json')) && dir !== root) dir = join(dir, '..');
    }
    if (!found) {
      assert.ok(optional, `${name} (needed by ${relative(root, from) || 'package.json'}) is not installed`);
      return;
    }
    if (seen.has(found)) return;
    seen.add(found);
    if (found === join(root, 'node_modules', name)) topLevel.add(name);
    const manifest = JSON.parse(readFileSync(join(found, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    for (const dep of Object.keys(manifest.dependencies ?? {})) visit(found, dep, false);
    for (const dep of Object.keys(manifest.optionalDependencies ?? {})) visit(found, dep, true);
  };
  for (const dep of dependencies) visit(root, dep, false);
  return [...topLevel].sort();
}

/** Versioned symbols an ELF file needs, by library: { 'libc.so.6': ['GLIBC_2.17', ...] } (objdump -p). */
function versionNeeds(path: string): Record<string, string[]> {
  const r = spawnSync(objdump, ['-p', path], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, r.stderr);
  const needs: Record<string, string[]> = {};
  let library: string | undefined;
  let inReferences = false;
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('Version References:')) inReferences = true;
    else if (inReferences && /^\S/.test(line)) inReferences = false;
    if (!inReferences) continue;
    const from = /^\s+required from (\S+):/.exec(line);
    if (from) needs[(library = from[1]!)] = [];
    const version = /^\s+0x[0-9a-f]+ 0x[0-9a-f]+ \d+ (\S+)/.exec(line);
    if (version && library) needs[library]!.push(version[1]!);
  }
  return needs;
}

/** Version names a shared library defines (objdump -p, "Version definitions"). */
function versionDefinitions(path: string): string[] {
  const r = spawnSync(objdump, ['-p', path], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, r.stderr);
  const section = r.stdout.split('Version definitions:\n')[1]?.split('\n\n')[0] ?? '';
  return [...section.matchAll(/^\d+ 0x[0-9a-f]+ 0x[0-9a-f]+ (\S+)/gm)].map((m) => m[1]!);
}

/** The highest of the versions named PREFIX_x.y.z, as [x, y, z]; [] when there is none. */
function highest(names: string[], prefix: string): number[] {
  const versions = names.filter((n) => n.startsWith(`${prefix}_`)).map((n) => n.slice(prefix.length + 1).split('.').map(Number));
  return versions.reduce<number[]>((max, v) => (compareVersions(v, max) > 0 ? v : max), []);
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Debian 12 (Bookworm), the oldest Raspberry Pi OS picamd supports: glibc 2.36, and GCC 12's
 * libstdc++ (GLIBCXX_3.4.30). A native file built by a newer cross toolchain would need more and
 * fail to load there with "version `GLIBC_2.38' not found".
 */
const BOOKWORM = { GLIBC: [2, 36], GLIBCXX: [3, 4, 30] };

test('every runtime dependency in package.json is imported by the application (src/)', () => {
  const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const sources = files(join(repo, 'src'))
    .filter((f) => f.endsWith('.ts') && !f.startsWith('web/client/'))
    .map((f) => readFileSync(join(repo, 'src', f), 'utf8'))
    .join('\n');
  for (const name of Object.keys(manifest.dependencies)) {
    const quoted = `'${name}'`;
    assert.ok(
      sources.includes(`from ${quoted}`) || sources.includes(`import(${quoted})`),
      `${name} is a runtime dependency, but src/ never imports it: make it a devDependency`,
    );
  }
});

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
      'dist/platform/systemd-notify.js',
      'dist/device/settings/load.js',
      'package.json',
      'config/default.json',
      'systemd/picamd.service',
      'systemd/picamd-setup.service',
      'systemd/picamd-update.service',
      'systemd/picamd-update.path',
      'deploy/apt/52picamd-unattended-upgrades',
      'systemd/picamd-os-updates.service',
      'deploy/picamd-os-updates.sh',
      'config/picamd-setup.txt',
      'deploy/config-facts.mjs',
      'deploy/check-stream.mjs',
      'deploy/avahi/picamd.service',
      'deploy/sysctl/60-picamd.conf',
      'deploy/picamd-timezone.sh',
      'systemd/picamd-timezone.service',
      'systemd/picamd-timezone.path',
      'deploy/picamd-wifi-rejoin.sh',
      'systemd/picamd-wifi-rejoin.service',
      'README.md',
      'BUILD-INFO',
      'node/LICENSE',
    ]) {
      assert.ok(existsSync(join(app, f)), `${f} is in the bundle`);
    }
    for (const exe of ['node/bin/node', 'install.sh', 'deploy/picamd-update.sh']) {
      assert.ok(statSync(join(app, exe)).mode & 0o111, `${exe} is executable`);
    }
    for (const f of ['config/default.json', 'systemd/picamd.service', 'systemd/picamd-setup.service', 'systemd/picamd-update.service', 'systemd/picamd-update.path', 'deploy/picamd-update.sh', 'config/picamd-setup.txt']) {
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

  it("holds in node_modules exactly package.json's dependencies and what they need, nothing for tests or builds", () => {
    const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const expected = runtimeClosure(app, Object.keys(manifest.dependencies));
    assert.deepEqual(installedPackages(join(app, 'node_modules')).sort(), expected);
    for (const dev of Object.keys(manifest.devDependencies)) {
      assert.ok(!expected.includes(dev), `${dev} is a devDependency, and the runtime needs it anyway`);
    }
  });

  it(`needs at most glibc ${BOOKWORM.GLIBC.join('.')} and GLIBCXX_${BOOKWORM.GLIBCXX.join('.')} (Debian 12 Bookworm) in every native file`, { skip: !has(objdump) && !ci ? `needs ${objdump} (binutils-aarch64-linux-gnu)` : false }, () => {
    const natives = [...files(app).filter((f) => f.endsWith('.node')), 'node/bin/node'];
    const report: string[] = [];
    for (const f of natives) {
      const needs = Object.values(versionNeeds(join(app, f))).flat();
      const glibc = highest(needs, 'GLIBC');
      const glibcxx = highest(needs, 'GLIBCXX');
      report.push(`${f}: GLIBC_${glibc.join('.') || '-'} GLIBCXX_${glibcxx.join('.') || '-'}`);
      assert.ok(glibc.length > 0, `${f} names no glibc version: not a dynamically linked glibc program?`);
      assert.ok(compareVersions(glibc, BOOKWORM.GLIBC) <= 0, `${f} needs GLIBC_${glibc.join('.')}, Bookworm has ${BOOKWORM.GLIBC.join('.')}`);
      assert.ok(compareVersions(glibcxx, BOOKWORM.GLIBCXX) <= 0, `${f} needs GLIBCXX_${glibcxx.join('.')}, Bookworm has ${BOOKWORM.GLIBCXX.join('.')}`);
    }
    assert.ok(report.some((line) => line.startsWith('node_modules/epoll/')), 'the cross-compiled epoll addon was checked');
  });

  it('emulates against an arm64 glibc and libstdc++ no newer than Bookworm\'s, so the loading test below stands for Bookworm', { skip: (!canEmulate || !has(objdump)) && !ci ? 'needs qemu-user-static, an arm64 sysroot and binutils-aarch64-linux-gnu' : false }, () => {
    const glibc = highest(versionDefinitions(join(sysroot, 'lib/libc.so.6')), 'GLIBC');
    const glibcxx = highest(versionDefinitions(join(sysroot, 'lib/libstdc++.so.6')), 'GLIBCXX');
    const hint = `(${sysroot}; on a build host newer than Debian 12, point PICAMD_ARM64_SYSROOT at a Bookworm arm64 root)`;
    assert.ok(compareVersions(glibc, BOOKWORM.GLIBC) <= 0, `the sysroot's glibc is ${glibc.join('.')} ${hint}`);
    assert.ok(compareVersions(glibcxx, BOOKWORM.GLIBCXX) <= 0, `the sysroot's libstdc++ has GLIBCXX_${glibcxx.join('.')} ${hint}`);
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

  it('carries only Ed25519 public keys in keys/, the update keys a device trusts', () => {
    const keys = readdirSync(join(app, 'keys'));
    for (const key of keys) {
      assert.match(key, /\.pem$/);
      const r = spawnSync('openssl', ['pkey', '-pubin', '-in', join(app, 'keys', key), '-noout', '-text'], { encoding: 'utf8' });
      assert.match(r.stdout, /^ED25519 Public-Key/, `${key} is an Ed25519 public key`);
    }
  });

  it('has a signed update file of the same bundle, which the bundled picamd accepts with its own keys under qemu-user', {
    skip: !ci && (!canEmulate || !existsSync(updateFile)) ? 'needs qemu-user-static and a bundle built with PICAMD_SIGNING_KEY' : false,
  }, () => {
    const r = spawnSync('qemu-aarch64-static', ['-L', sysroot, 'node/bin/node', 'dist/main.js', 'verify-update', updateFile], { cwd: app, encoding: 'utf8', timeout: 180_000 });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    const manifest = JSON.parse(r.stdout) as { version: string; architecture: string; bundle: { size: number } };
    assert.equal(manifest.version, pkg.version);
    assert.equal(manifest.architecture, 'arm64');
    assert.equal(manifest.bundle.size, statSync(tarball).size, 'the update holds this very tarball');
    assert.match(r.stderr, /the bundle's hash holds/);
  });

  it('loads every native addon in the bundled runtime under qemu-user', { skip: !canEmulate && !ci ? 'needs qemu-user-static and an arm64 sysroot' : false }, () => {
    const natives = files(app).filter((f) => f.endsWith('.node'));
    const script = `for (const f of ${JSON.stringify(natives)}) { const m = { exports: {} }; process.dlopen(m, f); console.log(f, Object.keys(m.exports).length); }`;
    const r = spawnSync('qemu-aarch64-static', ['-L', sysroot, 'node/bin/node', '-e', script], { cwd: app, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    for (const f of natives) assert.match(r.stdout, new RegExp(`${f.replaceAll('.', '\\.')} [1-9]`));
  });
});
