import { spawn } from 'node:child_process';

export interface ToolResult {
  /** The exit status; null when a signal ended it (the time limit's SIGKILL, for one). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

export interface ToolOptions {
  /** SIGKILL after this long. None by default: on a busy machine a tool may be slow. */
  timeoutMs?: number;
  /** Written to its stdin, then closed; without it stdin is /dev/null. */
  input?: Buffer;
}

/** Runs a program to its end, without a shell, collecting its output; rejects only when it cannot start. */
export function runTool(command: string, args: readonly string[], options: ToolOptions = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: [options.input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => (stderr += text));
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(stdout), stderr });
    });
    if (options.input && child.stdin) {
      // A tool that exits without reading all of it is judged by its exit status, not by EPIPE.
      child.stdin.on('error', () => {});
      child.stdin.end(options.input);
    }
  });
}

/** A tool's standard output; a tool that fails throws with its error output. */
export async function toolOutput(command: string, args: readonly string[], options: ToolOptions = {}): Promise<Buffer> {
  const result = await runTool(command, args, options);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')}: exited with ${result.signal ?? `code ${result.code}`}\n${result.stderr}`);
  }
  return result.stdout;
}
