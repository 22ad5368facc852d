import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import type { CameraConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import { FrameParser, type DropReason } from '../mjpeg/parser.js';
import { buildCameraArgv } from './args.js';
import { planRestart } from './backoff.js';

/**
 * stopped: not started, or stopped for good. starting: the process runs, no frame yet.
 * streaming: frames arrive. backoff: the process ended unasked (or never ran) and a restart is
 * scheduled. paused: privacy; the process is stopped on purpose and stays stopped.
 */
export type CameraState = 'stopped' | 'starting' | 'streaming' | 'backoff' | 'paused';

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface SupervisorDeps {
  spawn: (file: string, args: readonly string[], options: SpawnOptions) => ChildProcess;
  /** Milliseconds from a monotonic clock. */
  now: () => number;
  timers: Timers;
  logger: Logger;
  /** Absolute path of an executable, or undefined when it is not installed. */
  findExecutable: (command: string) => string | undefined;
  /**
   * argv prefix that makes the kernel kill the child when picamd dies, even by SIGKILL
   * (`setpriv --pdeathsig KILL --`); empty where there is none.
   */
  deathSignalPrefix: readonly string[];
}

export interface CameraStatus {
  state: CameraState;
  /** Why the camera is not streaming, when it is not. */
  detail: string;
  pid: number | null;
  /** When the current state was entered (ms, deps.now clock). */
  since: number;
  frames: number;
  restarts: number;
  /** Consecutive failed runs; 0 once a run streamed long enough. */
  failures: number;
  drops: Readonly<Record<DropReason, number>>;
}

// Exit status of execvp failures in setpriv and shells: the command was not found.
const EXIT_NOT_FOUND = 127;

/**
 * Runs rpicam-vid and keeps it running: parses its stdout into frames ('frame' events), restarts it
 * with exponential backoff when it exits or stalls, stops it for privacy, and never leaves it behind.
 * Emits 'state' (state, detail) on every transition and 'frame' (jpeg) for every whole frame.
 */
export class CameraSupervisor extends EventEmitter {
  private readonly parser: FrameParser;
  private current: CameraState = 'stopped';
  private detail = '';
  private since: number;
  private running = false;
  private paused = false;
  private child: ChildProcess | undefined;
  private childExit: Promise<void> = Promise.resolve();
  private restartTimer: unknown;
  private watchdogTimer: unknown;
  private killTimer: unknown;
  private stallReason = '';
  private runFirstFrameAt = 0;
  private runStartedAt = 0;
  private lastFrameAt = 0;
  private frames = 0;
  private restarts = 0;
  private failures = 0;
  private reportedMissing = false;
  /** Resumed while the previous process was still on its way out: start once it has exited. */
  private relaunchPending = false;

  constructor(
    private readonly config: CameraConfig,
    private readonly deps: SupervisorDeps,
  ) {
    super();
    this.parser = new FrameParser({ maxFrameBytes: config.maxFrameBytes });
    this.since = deps.now();
  }

  get state(): CameraState {
    return this.current;
  }

  status(): CameraStatus {
    return {
      state: this.current,
      detail: this.detail,
      pid: this.child?.pid ?? null,
      since: this.since,
      frames: this.frames,
      restarts: this.restarts,
      failures: this.failures,
      drops: this.parser.drops,
    };
  }

  /** Starts the camera, or holds it in `paused` when privacy is already on. */
  start(): void {
    if (this.running) return;
    this.running = true;
    if (this.paused) this.transition('paused', 'privacy mode');
    else this.launch();
  }

  /** Privacy: true stops the process and keeps it stopped; false starts it again. */
  setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    if (!this.running) return;
    if (paused) {
      this.cancelRestart();
      this.relaunchPending = false;
      this.transition('paused', 'privacy mode');
      void this.terminate();
    } else {
      this.failures = 0;
      this.launch();
    }
  }

  /** Stops the camera for good; resolves once the process has exited. Safe to call twice. */
  async stop(): Promise<void> {
    this.running = false;
    this.relaunchPending = false;
    this.cancelRestart();
    if (this.current !== 'stopped') this.transition('stopped', '');
    await this.terminate();
  }

  /** Last resort on picamd's own exit path: SIGKILL now, synchronously. */
  killNow(): void {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  private launch(): void {
    this.cancelRestart();
    if (this.child) {
      // Never two camera processes at once (the second would find the camera busy): a quick
      // privacy off-on waits for the old process to exit, which terminate() has already asked for.
      this.relaunchPending = true;
      this.transition('starting', 'waiting for the previous camera process to exit');
      return;
    }
    this.parser.reset();
    const [command, ...args] = buildCameraArgv(this.config);
    const executable = this.deps.findExecutable(command!);
    if (!executable) {
      const reason = `${command} is not installed`;
      if (!this.reportedMissing) {
        this.reportedMissing = true;
        this.deps.logger.error(
          `${reason} (not found on PATH). On a Raspberry Pi: sudo apt install rpicam-apps. ` +
            'On a development machine: npm run demo, which uses the simulated camera.',
        );
      }
      this.scheduleRestart(reason, 0);
      return;
    }
    const [file, ...prefixArgs] = [...this.deps.deathSignalPrefix, executable];
    let child: ChildProcess;
    try {
      child = this.deps.spawn(file!, [...prefixArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      this.deps.logger.error(`cannot start ${command}: ${(err as Error).message}`);
      this.scheduleRestart(`cannot start: ${(err as Error).message}`, 0);
      return;
    }
    this.child = child;
    this.runStartedAt = this.deps.now();
    this.runFirstFrameAt = 0;
    this.stallReason = '';
    this.childExit = new Promise((resolve) => {
      let settled = false;
      const exited = (code: number | null, signal: NodeJS.Signals | null) => {
        if (settled) return;
        settled = true;
        this.onExit(child, code, signal);
        resolve();
      };
      child.once('exit', exited);
      child.once('error', (err) => {
        // An error without a pid means the spawn itself failed and no 'exit' will follow.
        this.deps.logger.error(`${command}: ${err.message}`);
        if (child.pid === undefined) exited(null, null);
      });
    });
    child.stdout!.on('data', (chunk: Buffer) => this.onChunk(child, chunk));
    const stderr = createInterface({ input: child.stderr!, crlfDelay: Infinity });
    stderr.on('line', (line) => {
      if (line.trim()) this.deps.logger.info(line.length > 500 ? `${line.slice(0, 500)}…` : line);
    });
    this.deps.logger.info(`started ${command} (pid ${child.pid ?? '?'}): ${args.join(' ')}`);
    this.transition('starting', 'waiting for the first frame');
    this.armWatchdog(this.config.startTimeoutMs);
  }

  private onChunk(child: ChildProcess, chunk: Buffer): void {
    if (child !== this.child) return;
    const frames = this.parser.push(chunk);
    for (const frame of frames) {
      this.frames++;
      this.lastFrameAt = this.deps.now();
      if (this.current === 'starting') {
        this.runFirstFrameAt = this.lastFrameAt;
        this.reportedMissing = false;
        this.transition('streaming', '');
        this.armWatchdog(this.config.stallTimeoutMs);
      }
      this.emit('frame', frame);
    }
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    this.child = undefined;
    this.clearTimer('watchdogTimer');
    this.clearTimer('killTimer');
    const ranFor = ((this.deps.now() - this.runStartedAt) / 1000).toFixed(1);
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    if (this.relaunchPending) {
      this.relaunchPending = false;
      this.deps.logger.info(`stopped (${how}) after ${ranFor} s; starting again`);
      if (this.running && !this.paused) this.launch();
      return;
    }
    if (this.current === 'paused' || this.current === 'stopped') {
      this.deps.logger.info(`stopped (${how}) after ${ranFor} s`);
      return;
    }
    let reason = this.stallReason || how;
    if (code === EXIT_NOT_FOUND && this.deps.deathSignalPrefix.length > 0) reason = 'camera command could not be executed';
    const streamedMs = this.runFirstFrameAt ? this.deps.now() - this.runFirstFrameAt : 0;
    this.scheduleRestart(reason, streamedMs, ` after ${ranFor} s`);
  }

  private scheduleRestart(reason: string, streamedMs: number, context = ''): void {
    const plan = planRestart(this.config.backoff, this.failures, streamedMs);
    this.failures = plan.failures;
    const seconds = plan.delayMs / 1000;
    this.deps.logger.warn(`${reason}${context}, restarting in ${seconds} s (attempt ${plan.failures})`);
    this.transition('backoff', `${reason}; restarting in ${seconds} s`);
    this.restartTimer = this.deps.timers.setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.running || this.paused) return;
      this.restarts++;
      this.launch();
    }, plan.delayMs);
  }

  /** One timer per run: it fires at the deadline and re-arms itself while frames keep coming. */
  private armWatchdog(ms: number): void {
    this.clearTimer('watchdogTimer');
    this.watchdogTimer = this.deps.timers.setTimeout(() => this.checkWatchdog(), ms);
  }

  private checkWatchdog(): void {
    this.watchdogTimer = undefined;
    if (!this.child) return;
    const now = this.deps.now();
    if (this.current === 'streaming') {
      const due = this.lastFrameAt + this.config.stallTimeoutMs;
      if (now < due) {
        this.armWatchdog(due - now);
        return;
      }
      this.stallReason = `stalled: no frame for ${((now - this.lastFrameAt) / 1000).toFixed(1)} s`;
    } else if (this.current === 'starting') {
      // The first frame arrived meanwhile only if state moved on; still starting means none did.
      this.stallReason = `no first frame within ${(this.config.startTimeoutMs / 1000).toFixed(1)} s`;
    } else {
      return;
    }
    this.deps.logger.warn(`${this.stallReason}, restarting the camera`);
    void this.terminate();
  }

  /** SIGTERM, then SIGKILL after the grace period; resolves when the process has exited. */
  private terminate(): Promise<void> {
    const child = this.child;
    if (!child) return Promise.resolve();
    this.clearTimer('watchdogTimer');
    if (this.killTimer === undefined) {
      child.kill('SIGTERM');
      this.killTimer = this.deps.timers.setTimeout(() => {
        this.killTimer = undefined;
        if (child === this.child) {
          this.deps.logger.warn(`did not exit within ${this.config.stopGraceMs} ms of SIGTERM, sending SIGKILL`);
          child.kill('SIGKILL');
        }
      }, this.config.stopGraceMs);
    }
    return this.childExit;
  }

  private cancelRestart(): void {
    this.clearTimer('restartTimer');
  }

  private clearTimer(name: 'restartTimer' | 'watchdogTimer' | 'killTimer'): void {
    if (this[name] !== undefined) {
      this.deps.timers.clearTimeout(this[name]);
      this[name] = undefined;
    }
  }

  private transition(state: CameraState, detail: string): void {
    if (state === this.current && detail === this.detail) return;
    this.current = state;
    this.detail = detail;
    this.since = this.deps.now();
    this.emit('state', state, detail);
  }
}
