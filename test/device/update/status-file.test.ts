import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseUpdateStatus, readUpdateStatus } from '../../../src/device/update/status-file.js';

test("the updater's status.json as deploy/picamd-update.sh writes it; anything else reads as no update", (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'picamd-update-status-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'status.json');
  assert.equal(readUpdateStatus(file), null, 'no file: no update yet');
  // Byte for byte what the updater's printf writes (json_string escapes quotes and backslashes).
  writeFileSync(file, '{"state":"rolled-back","version":"1.2.0","from":"1.1.0","reason":"picamd 1.2.0 said \\"no\\" \\\\ twice","at":"2026-12-07T02:00:00Z"}\n');
  assert.deepEqual(readUpdateStatus(file), { state: 'rolled-back', version: '1.2.0', from: '1.1.0', reason: 'picamd 1.2.0 said "no" \\ twice', at: '2026-12-07T02:00:00Z' });
  for (const bad of ['', '{', 'null', '[]', '{"state":"exploded"}', '{"state":1}']) assert.equal(parseUpdateStatus(bad), null, bad);
  assert.deepEqual(parseUpdateStatus('{"state":"trial","version":7}'), { state: 'trial', version: '', from: '', reason: '', at: '' });
});
