import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { runHashPassword, type PasswordInput } from '../../../src/app/commands/hash-password.js';
import { parsePasswordHash, verifyPassword } from '../../../src/device/accounts/password.js';
import { mainJs, projectRoot } from '../../fakes/app.js';

/** A terminal or pipe stand-in: `type()` delivers keystrokes once reading has started. */
class FakeInput extends EventEmitter implements PasswordInput {
  raw: boolean[] = [];
  constructor(readonly isTTY: boolean) {
    super();
  }
  setRawMode(mode: boolean) {
    this.raw.push(mode);
  }
  setEncoding() {}
  resume() {}
  pause() {}
  type(text: string | Buffer) {
    setImmediate(() => this.emit('data', text));
  }
}

function sink() {
  const parts: string[] = [];
  return { write: (t: string) => parts.push(t), text: () => parts.join('') };
}

const fakeHash = async (p: string) => `hash(${p})`;

test('on a terminal: asked twice in raw mode (no echo), backspace works, the hash alone on stdout', async () => {
  const input = new FakeInput(true);
  const output = sink();
  const messages = sink();
  const run = runHashPassword({ input, output, messages }, fakeHash);
  input.type('secret-pass-x\u007f1\r');
  await new Promise((r) => setTimeout(r, 10));
  input.type('secret-pass-1\r');
  assert.equal(await run, 0);
  assert.equal(output.text(), 'hash(secret-pass-1)\n');
  assert.deepEqual(input.raw, [true, false, true, false], 'raw mode on while typing, off after');
  assert.doesNotMatch(messages.text(), /secret/, 'the password is never written back');
  assert.match(messages.text(), /^Password: \nRepeat it: \nPut this in server\.auth\.users/);
});

test('on a terminal: different answers, an empty one or Ctrl-C print nothing', async () => {
  for (const [first, second, code] of [
    ['one1one1\r', 'two2two2\r', 1],
    ['\r', '\r', 1],
    ['abc\u0003', '', 130],
  ] as const) {
    const input = new FakeInput(true);
    const output = sink();
    const run = runHashPassword({ input, output, messages: sink() }, fakeHash);
    input.type(first);
    await new Promise((r) => setTimeout(r, 10));
    if (second) input.type(second);
    assert.equal(await run, code, JSON.stringify(first));
    assert.equal(output.text(), '');
  }
});

test('from a pipe: the first line, once; a short password gets a warning', async () => {
  const input = new FakeInput(false);
  const output = sink();
  const messages = sink();
  const run = runHashPassword({ input, output, messages }, fakeHash);
  input.type('short\nignored\n');
  assert.equal(await run, 0);
  assert.equal(output.text(), 'hash(short)\n');
  assert.match(messages.text(), /shorter than 10 characters/);
});

test('bytes that are not UTF-8 are refused with a reason, from a pipe or a terminal; nothing printed', async () => {
  for (const bytes of ['caf\xe9', 'caf\xff', 'caf\x80', 'caf\xc3']) {
    const input = new FakeInput(false);
    const output = sink();
    const messages = sink();
    const run = runHashPassword({ input, output, messages }, fakeHash);
    input.type(Buffer.from(`${bytes}\n`, 'latin1'));
    assert.equal(await run, 1, JSON.stringify(bytes));
    assert.equal(output.text(), '');
    assert.match(messages.text(), /not valid UTF-8/);
  }
  const input = new FakeInput(true);
  const output = sink();
  const messages = sink();
  const run = runHashPassword({ input, output, messages }, fakeHash);
  input.type(Buffer.from('pass-caf\xe9\r', 'latin1'));
  assert.equal(await run, 1);
  assert.equal(output.text(), '');
  assert.match(messages.text(), /not valid UTF-8/);
  assert.deepEqual(input.raw, [true, false], 'the terminal is left as it was');
});

test('a character split across reads is one character; U+FFFD spelled correctly is kept', async () => {
  const input = new FakeInput(true);
  const output = sink();
  const run = runHashPassword({ input, output, messages: sink() }, fakeHash);
  const typed = Buffer.from('päss-\ufffd-word\r');
  input.type(typed.subarray(0, 2));
  await new Promise((r) => setTimeout(r, 10));
  input.type(typed.subarray(2));
  await new Promise((r) => setTimeout(r, 10));
  input.type(typed);
  assert.equal(await run, 0);
  assert.equal(output.text(), 'hash(päss-\ufffd-word)\n');
});

test('picamd hash-password refuses a piped password that is not UTF-8', () => {
  const r = spawnSync(process.execPath, [mainJs, 'hash-password'], { cwd: projectRoot, input: Buffer.from('caf\xe9\n', 'latin1') });
  assert.equal(r.status, 1);
  assert.equal(r.stdout.length, 0);
  assert.match(r.stderr.toString(), /not valid UTF-8/);
});

test('picamd hash-password prints a hash that verifies the password it read', async () => {
  const r = spawnSync(process.execPath, [mainJs, 'hash-password'], { cwd: projectRoot, input: 'correct horse battery\n', encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const hash = parsePasswordHash(r.stdout.trim());
  assert.ok(typeof hash !== 'string', r.stdout);
  assert.equal(await verifyPassword('correct horse battery', hash), true);
  assert.equal(await verifyPassword('correct horse', hash), false);
});

test('on a real terminal (script(1) gives it a pty), nothing typed is echoed', { skip: !existsSync('/usr/bin/script') && 'script(1) not installed' }, async () => {
  const r = spawnSync('/bin/sh', ['-c', `(sleep 1; printf 'pty pass 1\\r'; sleep 0.5; printf 'pty pass 1\\r'; sleep 3) | script -qec "${process.execPath} ${mainJs} hash-password" /dev/null`], {
    cwd: projectRoot,
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.doesNotMatch(r.stdout, /pty pass/);
  const line = r.stdout.split(/\r?\n/).find((l) => l.startsWith('$scrypt$'));
  assert.ok(line, r.stdout);
  const hash = parsePasswordHash(line.trim());
  assert.ok(typeof hash !== 'string');
  assert.equal(await verifyPassword('pty pass 1', hash), true);
});

test('a password of only spaces is refused; nothing printed', async () => {
  const input = new FakeInput(false);
  const output = sink();
  const messages = sink();
  const run = runHashPassword({ input, output, messages }, fakeHash);
  input.type('            \n');
  assert.equal(await run, 1);
  assert.equal(output.text(), '');
  assert.match(messages.text(), /only spaces; nothing printed/);
});
