import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { hasSettings, parseSetupFile, renderSetupApplied } from '../../src/setup/setup-file.js';
import { validateSetup } from '../../src/setup/validate.js';

const template = readFileSync(fileURLToPath(new URL('../../config/picamd-setup.txt', import.meta.url)), 'utf8');

/** picamd-setup.service's ExecCondition=: node only starts when a line is not a comment and has "=". */
function serviceWouldRun(text: string): boolean {
  const r = spawnSync('grep', ['-Eq', '^[^#]*='], { input: text });
  return r.status === 0;
}

test('the template on the card asks for nothing, so the service does not even start node', () => {
  assert.equal(hasSettings(parseSetupFile(template)), false);
  assert.equal(serviceWouldRun(template), false);
});

test('the template with its example lines uncommented is a valid setup file', () => {
  const filled = template.replace(/^#(\w+ = )/gm, '$1').replace('timezone = Europe/London', 'timezone = UTC');
  const parsed = parseSetupFile(filled);
  assert.deepEqual(parsed.entries.map((e) => e.key), ['wifi_name', 'wifi_password', 'wifi_country', 'wifi_hidden', 'hostname', 'owner_name', 'owner_password', 'timezone']);
  const result = validateSetup(parsed, { countries: new Set(['GB']), zoneExists: (z) => z === 'UTC' });
  assert.ok(result.ok, JSON.stringify(result));
  assert.equal(serviceWouldRun(filled), true);
  // Once applied, the service does not start node again on the next boot.
  assert.equal(serviceWouldRun(renderSetupApplied(parsed, '2026-11-30 13:40 UTC')), false);
});

test('a Notepad file (BOM, CRLF) with one setting makes the service run', () => {
  assert.equal(serviceWouldRun('\uFEFFhostname = cam\r\n'), true);
  assert.equal(serviceWouldRun('\uFEFF# hostname = cam\r\n'), false);
});
