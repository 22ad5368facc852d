import { hashPassword } from '../auth/password.js';

// `picamd hash-password`: reads a password and prints the hash for server.auth.users[].passwordHash.
// On a terminal it asks twice without echo; from a pipe it reads the first line
// (`echo -n 'secret' | picamd hash-password`, or a password manager's output).

export interface PasswordInput extends NodeJS.EventEmitter {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  setEncoding(encoding: BufferEncoding): unknown;
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

/** Thrown when the user ends the prompt with Ctrl-C. */
export class Interrupted extends Error {}

/** Reads one line from a terminal in raw mode: nothing is echoed; backspace works; Ctrl-C aborts. */
export function readHidden(io: HashPasswordIo, prompt: string): Promise<string> {
  const { input, messages } = io;
  messages.write(prompt);
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (err?: Error) => {
      input.removeListener('data', onData);
      input.setRawMode?.(false);
      input.pause();
      messages.write('\n');
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') return finish(new Interrupted('interrupted'));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else if (ch >= ' ' && text.length < MAX_PASSWORD) text += ch;
      }
    };
    input.setRawMode?.(true);
    input.setEncoding('utf8');
    input.on('data', onData);
    input.resume();
  });
}

/** Reads the first line of a non-terminal input. */
export function readFirstLine(input: PasswordInput): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = () => {
      input.removeListener('data', onData);
      input.removeListener('end', done);
      input.pause();
      resolve(text.split(/\r?\n/)[0]!);
    };
    const onData = (chunk: string) => {
      text += chunk;
      if (text.includes('\n') || text.length > MAX_PASSWORD) done();
    };
    input.setEncoding('utf8');
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
    throw err;
  }
  if (password === '') {
    io.messages.write('picamd: empty password; nothing printed\n');
    return 1;
  }
  if (password.length > MAX_PASSWORD) {
    io.messages.write(`picamd: a password of more than ${MAX_PASSWORD} characters; nothing printed\n`);
    return 1;
  }
  if ([...password].length < 8) io.messages.write('picamd: warning: a password shorter than 8 characters is easy to guess\n');
  io.output.write(`${await hash(password)}\n`);
  if (io.input.isTTY) io.messages.write('Put this in server.auth.users[].passwordHash of the config (see docs/security.md).\n');
  return 0;
}
