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

test('the line and paragraph separators and every bidi control are escaped', () => {
  for (const ch of ['\u2028', '\u2029', '\u200e', '\u200f', '\u061c', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u0085']) {
    const out = escapeForLog(`a${ch}b`);
    assert.match(out, /^a\\(x|u\{)[0-9a-f]+\}?b$/, JSON.stringify(ch));
  }
});
