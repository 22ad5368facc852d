import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { ChildProcess } from 'node:child_process';

/**
 * A camera process without a process: the test decides when it writes, exits and how it takes
 * signals. Exit events come only when the test delivers them, as the real 'exit' comes only after
 * the kernel has reaped the child.
 */
export class FakeCameraProcess extends EventEmitter {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  /** Every signal sent, with the clock's time. */
  readonly signals: Array<{ signal: NodeJS.Signals; at: number }> = [];
  /** Whether 'exit' has been emitted. */
  exited = false;

  constructor(
    readonly pid: number,
    private readonly now: () => number,
    /** Called on every kill(), before it is recorded: the place for invariant checks. */
    private readonly onKill: (proc: FakeCameraProcess, signal: NodeJS.Signals) => void = () => {},
  ) {
    super();
  }

  get asChild(): ChildProcess {
    return this as unknown as ChildProcess;
  }

  got(signal: NodeJS.Signals): boolean {
    return this.signals.some((s) => s.signal === signal);
  }

  /** Dead to the kernel (SIGKILL cannot be ignored), though its 'exit' may not have come yet. */
  get killed(): boolean {
    return this.got('SIGKILL');
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    this.onKill(this, signal);
    this.signals.push({ signal, at: this.now() });
    return true;
  }

  write(chunk: Buffer): void {
    this.stdout.emit('data', chunk);
  }

  /** Emits 'exit': by SIGKILL if it got one, else with `code`, or by SIGTERM when `bySigterm` and it got one. */
  exit(code = 0, bySigterm = false): void {
    if (this.exited) throw new Error(`fake camera ${this.pid} exited twice`);
    this.exited = true;
    if (this.killed) this.signalCode = 'SIGKILL';
    else if (bySigterm && this.got('SIGTERM')) this.signalCode = 'SIGTERM';
    else this.exitCode = code;
    this.stdout.end();
    this.stderr.end();
    this.emit('exit', this.exitCode, this.signalCode);
  }
}
