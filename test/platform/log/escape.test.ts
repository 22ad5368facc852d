import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeForLog } from '../../../src/platform/log/escape.js';

test('control characters, DEL, bidi overrides and non-ASCII are escaped; printable ASCII passes', () => {
  assert.equal(escapeForLog('/stream.mjpg?fps=5'), '/stream.mjpg?fps=5');
  assert.equal(escapeForLog('/a\x7fb'), '/a\\x7fb');
  assert.equal(escapeForLog('/x\u202Egpj.exe'), '/x\\u{202e}gpj.exe');
  assert.equal(escapeForLog('/x\r\ninfo forged line'), '/x\\x0d\\x0ainfo forged line');
  assert.equal(escapeForLog('caf\u00e9'), 'caf\\xe9');
  assert.equal(escapeForLog('a\\x41'), 'a\\\\x41', 'a backslash is escaped so escapes cannot be faked');
  assert.equal(escapeForLog('x'.repeat(300)), `${'x'.repeat(200)}...`);
});
