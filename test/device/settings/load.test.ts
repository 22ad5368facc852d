import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig, resolveConfigPath, SYSTEM_CONFIG } from '../../../src/device/settings/load.js';

const dir = mkdtempSync(join(tmpdir(), 'picamd-config-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
function problems(text: string): string[] {
  const path = file('config.json', text);
  try {
    loadConfig(path);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.file, path);
    return err.message.split('\n');
  }
  assert.fail('expected a ConfigError');
}

test('an empty object gets every default', () => {
  const config = loadConfig(file('empty.json', '{}'));
  assert.equal(config.server.port, 80);
  assert.equal(config.server.maxViewers, 16);
  assert.deepEqual(config.camera.command, ['rpicam-vid']);
  assert.equal(config.camera.maxFrameBytes, 8 * 1024 * 1024);
  assert.deepEqual(config.camera.backoff, { initialMs: 500, maxMs: 30_000, resetAfterMs: 60_000 });
  assert.equal(config.gpio.enabled, true);
  assert.equal(config.privacy.stateFile, '/var/lib/picamd/privacy.json');
});

test('the shipped configs are valid', () => {
  for (const name of ['default.json', 'demo.json']) {
    const config = loadConfig(join(import.meta.dirname, '../../../config', name));
    assert.ok(config.camera.width > 0, name);
  }
  const demo = loadConfig(join(import.meta.dirname, '../../../config/demo.json'));
  assert.equal(demo.server.port, 8080);
  assert.equal(demo.gpio.enabled, false);
});

test('out-of-range numbers name the field and the bound', () => {
  assert.deepEqual(problems('{"camera":{"framerate":200}}'), ['config.json: camera.framerate: must be at most 120']);
  assert.deepEqual(problems('{"server":{"port":-1}}'), ['config.json: server.port: must be at least 0']);
  assert.deepEqual(problems('{"camera":{"quality":80.5}}'), ['config.json: camera.quality: must be a whole number']);
});

test('wrong types say what was expected and what was found', () => {
  assert.deepEqual(problems('{"camera":{"width":"1280"}}'), ['config.json: camera.width: must be a number (got string "1280")']);
  assert.deepEqual(problems('{"camera":{"command":"rpicam-vid"}}'), ['config.json: camera.command: must be an array (got string "rpicam-vid")']);
  assert.deepEqual(problems('{"camera":{"rotation":90}}'), ['config.json: camera.rotation: must be one of 0, 180']);
  assert.deepEqual(problems('[]'), ['config.json: (top level): must be an object (got an array)']);
});

test('unknown keys are rejected at every level, all problems at once', () => {
  assert.deepEqual(problems('{"camra":{},"server":{"prot":80,"port":"x"},"gpio":{"led":{"pin":17,"color":"red"}}}').sort(), [
    'config.json: camra: unknown key',
    'config.json: gpio.led.color: unknown key',
    'config.json: server.port: must be a number (got string "x")',
    'config.json: server.prot: unknown key',
  ]);
});

test('invalid JSON and unreadable files are config errors too', () => {
  const [line] = problems('{"server": {');
  assert.match(line!, /^config\.json: invalid JSON: /);
  assert.throws(() => loadConfig(join(dir, 'missing.json')), (err: ConfigError) => /missing\.json: cannot read: ENOENT/.test(err.message));
});

test('config lookup order: --config, $PICAMD_CONFIG, /etc/picamd/config.json, packaged default', () => {
  const none = () => false;
  const etc = (p: string) => p === SYSTEM_CONFIG;
  assert.equal(resolveConfigPath('a.json', { PICAMD_CONFIG: 'b.json' }, 'd.json', etc), 'a.json');
  assert.equal(resolveConfigPath(undefined, { PICAMD_CONFIG: 'b.json' }, 'd.json', etc), 'b.json');
  assert.equal(resolveConfigPath(undefined, {}, 'd.json', etc), SYSTEM_CONFIG);
  assert.equal(resolveConfigPath(undefined, {}, 'd.json', none), 'd.json');
});

test('config/default.json matches the documented production keys', () => {
  const raw = JSON.parse(readFileSync(join(import.meta.dirname, '../../../config/default.json'), 'utf8'));
  assert.deepEqual(raw.server, { host: '0.0.0.0', port: 80, maxViewers: 16 });
  assert.deepEqual(raw.camera.command, ['rpicam-vid']);
});
