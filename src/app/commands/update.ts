// `picamd update FILE` (as root): what the page's upload will do, from a shell. Checks the file as
// the device will, hands it to the root-owned updater the way picamd does (complete under a
// temporary name in picamd's update folder, then renamed to request.update, which
// picamd-update.path watches), then follows the updater's status.json (in its own state directory) to the end: exit 0 when the
// new version committed, 1 with the reason when it was refused or rolled back.
import { chownSync, copyFileSync, existsSync, openSync, fsyncSync, closeSync, readFileSync, renameSync, rmSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { join } from 'node:path';
import { runVerifyUpdate, type VerifyUpdateIo } from './verify-update.js';

/** picamd's state directory as its unit has it (DynamicUser: under /var/lib/private). */
export const UPDATE_INBOX = '/var/lib/private/picamd/update';
/** The updater's own state directory, where it writes status.json. */
export const UPDATER_STATE = '/var/lib/picamd-update';

export interface UpdateIo extends VerifyUpdateIo {
  inbox: string;
  /** Where the updater writes status.json. */
  updaterState: string;
  isRoot: boolean;
  sleep: (ms: number) => Promise<void>;
  /** How long to follow the updater (a Pi Zero 2 W unpacks and tries a version in minutes). */
  timeoutMs: number;
}

interface UpdateStatus {
  state?: string;
  version?: string;
  from?: string;
  reason?: string;
}

const BUSY = ['verifying', 'installing', 'trial', 'checking'];
const FINAL = ['committed', 'rolled-back', 'refused', 'failed'];

function readStatus(dir: string): { text: string; status: UpdateStatus } {
  try {
    const text = readFileSync(join(dir, 'status.json'), 'utf8');
    return { text, status: JSON.parse(text) as UpdateStatus };
  } catch {
    return { text: '', status: {} };
  }
}

export async function runUpdate(options: { file?: string; keysDir?: string }, io: UpdateIo): Promise<number> {
  const say = (line: string) => io.messages.write(`picamd: ${line}\n`);
  if (!io.isRoot) {
    say('update needs root (sudo picamd update FILE): it hands the file to the root-owned updater');
    return 1;
  }
  // The same check the updater makes, so a bad file is refused here and now.
  const quiet = { write: () => true };
  const checked = await runVerifyUpdate(options, { ...io, output: quiet });
  if (checked !== 0) return checked;
  const request = join(io.inbox, 'request.update');
  const before = readStatus(io.updaterState);
  if (existsSync(request) || BUSY.includes(before.status.state ?? '')) {
    say(`another update is running (${before.status.state ?? 'waiting'}${before.status.version ? ` ${before.status.version}` : ''}); try again when it is done`);
    return 1;
  }
  mkdirSync(io.inbox, { recursive: true, mode: 0o700 });
  const part = `${request}.part`;
  try {
    // Owned like picamd's own uploads (its state directory's dynamic user), so picamd can still
    // clean its update folder and write the next upload there.
    const owner = statSync(dirname(io.inbox));
    chownSync(io.inbox, owner.uid, owner.gid);
    copyFileSync(options.file!, part);
    chownSync(part, owner.uid, owner.gid);
    const fd = openSync(part, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(part, request);
  } catch (err) {
    rmSync(part, { force: true });
    say(`cannot hand the file to the updater: ${(err as Error).message}`);
    return 1;
  }
  say('handed to the updater (journalctl -fu picamd-update follows it)');
  let shown = before.text;
  for (let waited = 0; waited < io.timeoutMs; waited += 500) {
    await io.sleep(500);
    const now = readStatus(io.updaterState);
    if (now.text === shown || existsSync(request) && !BUSY.includes(now.status.state ?? '')) continue;
    shown = now.text;
    const { state = '', version = '', from = '', reason = '' } = now.status;
    say(`${state}${version ? ` ${version}` : ''}${reason ? `: ${reason}` : ''}`);
    if (FINAL.includes(state)) {
      if (state === 'committed') say(`picamd ${version} runs now (it replaced ${from}, which is kept as previous)`);
      return state === 'committed' ? 0 : 1;
    }
  }
  say(`the updater did not finish within ${io.timeoutMs / 60_000} min; see journalctl -u picamd-update`);
  return 1;
}

/** `picamd verify-update` and `picamd update` with the process's own streams. */
export function runUpdateCommand(cli: { command: string; file?: string; keysDir?: string; bundleOut?: string; allowDowngrade?: boolean }, packageRoot: string): Promise<number> {
  const io = { output: process.stdout, messages: process.stderr, packageRoot, architecture: process.arch };
  if (cli.command === 'verify-update') return runVerifyUpdate(cli, io);
  return runUpdate(cli, { ...io, inbox: UPDATE_INBOX, updaterState: UPDATER_STATE, isRoot: process.getuid?.() === 0, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), timeoutMs: 30 * 60_000 });
}
