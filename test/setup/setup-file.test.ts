import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSetupFile, renderSetupApplied, renderSetupErrors, unquote } from '../../src/setup/setup-file.js';

test('key = value lines; comments, blanks and empty values are not settings', () => {
  const parsed = parseSetupFile('# a comment with = inside\n\n  wifi_name =  My Net  \nhostname=\n#timezone = UTC\nTIMEZONE = UTC\n');
  assert.deepEqual(parsed.entries, [
    { key: 'wifi_name', value: 'My Net', line: 3 },
    { key: 'timezone', value: 'UTC', line: 6 },
  ]);
  assert.deepEqual(parsed.problems, []);
  assert.equal(parsed.bom, false);
  assert.equal(parsed.eol, '\n');
});

test('Windows Notepad: a UTF-8 BOM and CRLF line ends are accepted and kept on rewrite', () => {
  const text = '\uFEFF# from Notepad\r\nwifi_name = Café\r\nwifi_password = pass word 1\r\n';
  const parsed = parseSetupFile(text);
  assert.deepEqual(parsed.entries.map((e) => [e.key, e.value]), [['wifi_name', 'Café'], ['wifi_password', 'pass word 1']]);
  assert.equal(parsed.bom, true);
  assert.equal(parsed.eol, '\r\n');
  assert.equal(
    renderSetupApplied(parsed, '2026-11-30 13:40 UTC'),
    '\uFEFF# from Notepad\r\n# applied on 2026-11-30 13:40 UTC: wifi_name = Café\r\n# applied on 2026-11-30 13:40 UTC: wifi_password (removed)\r\n',
  );
});

test('double quotes keep outer spaces; quotes inside a value are part of it', () => {
  assert.equal(unquote('  " padded "  '), ' padded ');
  assert.equal(unquote('Bob\'s "Home" Net'), 'Bob\'s "Home" Net');
  assert.equal(unquote('"'), '"');
  assert.equal(parseSetupFile('wifi_password = "  8 chars "\n').entries[0]!.value, '  8 chars ');
});

test('unknown keys, lines without "=" and repeated keys are problems with line numbers', () => {
  const parsed = parseSetupFile('wifi_pasword = x\njust some words\nhostname = a\nhostname = b\n');
  assert.deepEqual(parsed.problems, [
    'line 1: unknown setting "wifi_pasword" (known: wifi_name, wifi_password, wifi_country, wifi_hidden, hostname, owner_name, owner_password, timezone)',
    'line 2: not a "name = value" line (comments start with #)',
    'line 4: hostname is already set on line 3',
  ]);
});

test('error lines go on top, replace earlier ones, and keep every setting for the person to fix', () => {
  const first = renderSetupErrors(parseSetupFile('hostname = bad name\n'), ['line 1: hostname: bad']);
  // Line numbers count in the rewritten file: the setting is now on line 3.
  assert.equal(first, '# error: nothing was applied. Fix the lines below, then start the camera again.\n# error: line 3: hostname: bad\nhostname = bad name\n');
  assert.equal(parseSetupFile(first).entries[0]!.line, 1, 'earlier error lines are not counted when parsing');
  // The next boot finds the same mistake: the same file, byte for byte.
  assert.equal(renderSetupErrors(parseSetupFile(first), ['line 1: hostname: bad']), first);
  const again = renderSetupErrors(parseSetupFile(first), ['other']);
  assert.equal(again.match(/# error:/g)!.length, 2);
});

test('a text without a final line end stays without one', () => {
  const parsed = parseSetupFile('timezone = UTC');
  assert.equal(renderSetupApplied(parsed, 'T'), '# applied on T: timezone = UTC');
});
