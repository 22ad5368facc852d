import { hashPassword } from '../../device/accounts/password.js';
import { MIN_PASSWORD } from '../../device/accounts/rules.js';
import { decodeUtf8Strict, strictUtf8Decoder } from '../../formats/utf8.js';

// `picamd hash-password`: reads a password and prints the hash for server.auth.users[].passwordHash.
// On a terminal it asks twice without echo; from a pipe it reads the first line
// (`echo -n 'secret' | picamd hash-password`, or a password manager's output). Input is read as
// bytes and must be UTF-8, decoded exactly as the login decodes the Basic header (src/formats/utf8.ts).

export interface PasswordInput extends NodeJS.EventEmitter {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  resume(): unknown;
  pause(): unknown;
}

export interface HashPasswordIo {
  input: PasswordInput;
  /** The hash goes here, alone on its line, so `$(picamd hash-password)` captures just it. */
  output: { write(text: string): unknown };
  /** Prompts and messages. */
  messages: { write(text: string): unknown };
}

/** Longer input is not a password someone typed; stop reading. */
const MAX_PASSWORD = 1024;
/** A UTF-8 character is at most 4 bytes: a line longer than this is over MAX_PASSWORD characters. */
const MAX_PASSWORD_BYTES = 4 * MAX_PASSWORD;

/** Thrown when the user ends the prompt with Ctrl-C. */
export class Interrupted extends Error {}

/** Thrown for input that cannot be a password; the message says why. */
export class Refused extends Error {}

const NOT_UTF8 = 'the password is not valid UTF-8 (set the terminal or the input to UTF-8)';

function bytesOf(chunk: Buffer | string): Buffer {
  return typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
}

/** Reads one line from a terminal in raw mode: nothing is echoed; backspace works; Ctrl-C aborts. */
export function readHidden(io: HashPasswordIo, prompt: string): Promise<string> {
  const { input, messages } = io;
  messages.write(prompt);
  return new Promise((resolve, reject) => {
    let text = '';
    const decoder = strictUtf8Decoder();
    const finish = (err?: Error) => {
      input.removeListener('data', onData);
      input.setRawMode?.(false);
      input.pause();
      messages.write('\n');
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (chunk: Buffer | string) => {
      let typed: string;
      try {
        typed = decoder.decode(bytesOf(chunk), { stream: true });
      } catch {
        return finish(new Refused(NOT_UTF8));
      }
      for (const ch of typed) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') return finish(new Interrupted('interrupted'));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else if (ch >= ' ' && text.length < MAX_PASSWORD) text += ch;
      }
    };
    input.setRawMode?.(true);
    input.on('data', onData);
    input.resume();
  });
}

/** Reads the first line of a non-terminal input. */
export function readFirstLine(input: PasswordInput): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let finished = false;
    const done = () => {
      if (finished) return;
      finished = true;
      input.removeListener('data', onData);
      input.removeListener('end', done);
      input.pause();
      const all = Buffer.concat(chunks);
      const newline = all.indexOf(0x0a);
      let line = newline < 0 ? all : all.subarray(0, newline);
      if (line.at(-1) === 0x0d) line = line.subarray(0, -1);
      if (line.length > MAX_PASSWORD_BYTES) return reject(new Refused(`a password of more than ${MAX_PASSWORD} characters`));
      const text = decodeUtf8Strict(line);
      if (text === undefined) reject(new Refused(NOT_UTF8));
      else resolve(text);
    };
    const onData = (chunk: Buffer | string) => {
      const bytes = bytesOf(chunk);
      chunks.push(bytes);
      length += bytes.length;
      if (bytes.includes(0x0a) || length > MAX_PASSWORD_BYTES + 2) done();
    };
    input.on('data', onData);
    input.on('end', done);
    input.once('error', reject);
    input.resume();
  });
}

/** The whole subcommand; returns the exit code. */
export async function runHashPassword(io: HashPasswordIo, hash: (password: string) => Promise<string> = (p) => hashPassword(p)): Promise<number> {
  let password: string;
  try {
    if (io.input.isTTY) {
      password = await readHidden(io, 'Password: ');
      const again = await readHidden(io, 'Repeat it: ');
      if (again !== password) {
        io.messages.write('picamd: the passwords differ; nothing printed\n');
        return 1;
      }
    } else {
      password = await readFirstLine(io.input);
    }
  } catch (err) {
    if (err instanceof Interrupted) return 130;
    if (err instanceof Refused) {
      io.messages.write(`picamd: ${err.message}; nothing printed\n`);
      return 1;
    }
    throw err;
  }
  if (password === '') {
    io.messages.write('picamd: empty password; nothing printed\n');
    return 1;
  }
  if (password.trim() === '') {
    io.messages.write('picamd: a password of only spaces; nothing printed\n');
    return 1;
  }
  if (password.length > MAX_PASSWORD) {
    io.messages.write(`picamd: a password of more than ${MAX_PASSWORD} characters; nothing printed\n`);
    return 1;
  }
  if ([...password].length < MIN_PASSWORD) {
    io.messages.write(`picamd: warning: a password shorter than ${MIN_PASSWORD} characters is easy to guess (the page asks for at least ${MIN_PASSWORD})\n`);
  }
  io.output.write(`${await hash(password)}\n`);
  if (io.input.isTTY) io.messages.write('Put this in server.auth.users[].passwordHash of the config (see docs/security.md).\n');
  return 0;
}
