import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import type { CameraConfig } from '../settings/schema.js';
import type { AccessUnit } from '../../formats/h264/access-unit.js';
import { escapeForLog } from '../../platform/log/escape.js';
import type { Logger } from '../../platform/log/logger.js';
import { FrameParser, type DropReason, type FrameAssembler } from '../../formats/jpeg/frame-parser.js';
import type { TimeoutTimers } from '../../platform/clock.js';
import type { StdoutSocket } from '../../platform/stdout-sockets.js';
import { buildCameraArgv } from './argv.js';
import type { H264EncoderChoice } from '../../platform/board.js';
import { planRestart } from './backoff.js';
import { INITIAL, publicState, transition, type Action, type CameraEvent, type CameraState, type MachineState, type Phase, type Step } from './machine.js';

export type { CameraState } from './machine.js';
export type Timers = TimeoutTimers;

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
  /** Cuts rpicam-vid's H.264 output into access units; without it, H.264 mode is refused. */
  h264Parser?: StreamParser<AccessUnit>;
  /** Which H.264 encoder this board has (the command line differs without hardware). */
  h264Encoder?: H264EncoderChoice;
  /**
   * Where JPEG frames are assembled (a FramePool: reused buffers, a frame the listeners' until the
   * next pipe read); by default each frame is joined from the pipe's reads.
   */
  jpegFrames?: FrameAssembler;
  /**
   * Ready sockets for the camera's stdout, read into one reused buffer (see stdout-sockets.ts); used
   * when the run's parser copies what it keeps, else (or when none is ready) a plain pipe.
   */
  stdoutSockets?: { take(): StdoutSocket | undefined };
}

/** A parser of the camera's byte stream: whole pictures out, bounded memory, drops counted by reason. */
export interface StreamParser<F> {
  push(chunk: Buffer): Iterable<F>;
  reset(): void;
  readonly drops: Readonly<Record<string, number>>;
  /** True when push() keeps no reference to its chunk, whose memory may then be reused once it returns. */
  readonly copiesChunks?: boolean;
}

/** One picture from the camera: a JPEG in MJPEG mode, an access unit in H.264 mode. */
export type CameraFrame = Buffer | AccessUnit;

export interface CameraStatus {
  /** See machine.ts; `waiting`: the previous camera process is still exiting. */
  state: CameraState;
  /** Why the camera is not streaming, when it is not. */
  detail: string;
  /** The camera process, also while it is on its way out. */
  pid: number | null;
  /** When the current state was entered (ms, deps.now clock). */
  since: number;
  frames: number;
  restarts: number;
  /** Consecutive failed runs; 0 once a run streamed long enough. */
  failures: number;
  drops: Readonly<Record<DropReason, number>>;
  /** The H.264 parser's drops (corrupt or truncated units, garbage), when there is one. */
  h264Drops?: Readonly<Record<string, number>>;
}

const EMIT_FRAME: Action = { type: 'emit-frame' };

/** Whether `step` from `state` changes nothing but hands the frame on. */
function onlyHandsOn(state: MachineState, step: Step): boolean {
  const [action, ...more] = step.actions;
  return step.state.phase === state.phase && step.state.privacy === state.privacy && action?.type === 'emit-frame' && more.length === 0;
}

// Exit status of execvp failures in setpriv and shells: the command was not found.
const EXIT_NOT_FOUND = 127;

/** How the last run ended, for the log line and the backoff plan. */
interface RunEnd {
  /** What the log and the status say: "exited with code 1", "stalled: ...", "... is not installed". */
  reason: string;
  /** How the process ended (code or signal), or the reason when it never started. */
  how: string;
  /** Seconds the process ran, formatted; '' when it never started. */
  ranFor: string;
  /** How long the run delivered frames: a long one resets the backoff. */
  streamedMs: number;
}

/**
 * Runs rpicam-vid and keeps it running: parses its stdout into frames ('frame' events), restarts it
 * with exponential backoff when it exits or stalls, stops it for privacy, and never leaves it behind.
 * Emits 'state' (state, detail) when the shown state changes, and for every whole picture 'frame'
 * (jpeg) in MJPEG mode or 'unit' (an H.264 access unit) in H.264 mode. Which state follows which, and what to do then, is machine.ts's table; this class only does
 * the I/O: processes, signals, timers, logs.
 */
export class CameraSupervisor extends EventEmitter {
  private readonly parser: FrameParser;
  private machine: MachineState = INITIAL;
  /**
   * The state in which the table answered a frame with "hand it on, stay": streaming. Until the
   * state changes, frames skip the table (30 a second, most of them with nobody watching).
   */
  private steadyFrames: MachineState | undefined;
  private readonly queue: Array<{ event: CameraEvent; frame?: CameraFrame }> = [];
  /** The parser of the current run: JPEG or H.264, by the codec it was started with. */
  private active: StreamParser<CameraFrame>;
  private dispatching = false;
  private shown: CameraState = 'stopped';
  private detail = '';
  private since: number;
  private child: ChildProcess | undefined;
  /** The child that has been sent SIGTERM, so it gets one SIGTERM and one SIGKILL timer. */
  private signalled: ChildProcess | undefined;
  private childExit: Promise<void> = Promise.resolve();
  private restartTimer: unknown;
  private watchdogTimer: unknown;
  private killTimer: unknown;
  private stallReason = '';
  private backoffDetail = '';
  /** Why `waiting` is shown, when it is not the previous process exiting after privacy. */
  private waitingReason = '';
  private errorLine = '';
  private ended: RunEnd = { reason: '', how: '', ranFor: '', streamedMs: 0 };
  /** When this run's first frame came; undefined until it has. */
  private runFirstFrameAt: number | undefined;
  private runStartedAt = 0;
  private lastFrameAt = 0;
  private frames = 0;
  private restarts = 0;
  private failures = 0;
  private reportedMissing = false;

  constructor(
    private config: CameraConfig,
    private readonly deps: SupervisorDeps,
  ) {
    super();
    this.parser = new FrameParser({ maxFrameBytes: config.maxFrameBytes, assembler: deps.jpegFrames });
    this.active = this.parser;
    this.since = deps.now();
  }

  get state(): CameraState {
    return this.shown;
  }

  status(): CameraStatus {
    return {
      state: this.shown,
      detail: this.detail,
      pid: this.child?.pid ?? null,
      since: this.since,
      frames: this.frames,
      restarts: this.restarts,
      failures: this.failures,
      drops: this.parser.drops,
      ...(this.deps.h264Parser ? { h264Drops: this.deps.h264Parser.drops } : {}),
    };
  }

  /** Starts the camera, or holds it in `paused` when privacy is already on. */
  start(): void {
    this.dispatch('start');
  }

  /** Privacy: true stops the process and keeps it stopped; false starts it again. */
  setPaused(paused: boolean): void {
    if (paused === this.machine.privacy) return;
    this.dispatch(paused ? 'pause' : 'resume');
  }

  /** Stops the camera for good; resolves once the process has exited. Safe to call twice. */
  async stop(): Promise<void> {
    this.dispatch('stop');
    if (this.child) await this.childExit;
  }

  /**
   * New camera settings. A running camera restarts with them at once (viewers see a placeholder
   * saying so, then live frames on the same connection); a stopped or private one uses them when it
   * next starts. The next run's outcome (first frame, or an exit with the camera's error line) tells
   * whether the camera accepted them.
   */
  reconfigure(config: CameraConfig): void {
    // maxFrameBytes is not a page setting: the parser keeps its bound.
    this.config = config;
    this.waitingReason = 'applying new settings';
    this.dispatch('reconfigure');
  }

  /** The camera's last error line on stderr in the current or last run (rpicam-apps: "ERROR: ..."). */
  get lastErrorLine(): string {
    return this.errorLine;
  }

  /** Last resort on picamd's own exit path: SIGKILL now, synchronously. */
  killNow(): void {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  /**
   * Runs `event` through the table and carries out its actions. Events raised meanwhile (a spawn
   * that fails at once) queue up behind it; listeners hear the state once it has settled.
   */
  private dispatch(event: CameraEvent, frame?: CameraFrame): void {
    if (event === 'frame' && this.machine === this.steadyFrames && !this.dispatching) {
      this.perform(EMIT_FRAME, frame);
      return;
    }
    this.queue.push({ event, frame });
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        const step = transition(this.machine, next.event);
        if (!step) {
          this.deps.logger.error(`bug: no transition for '${next.event}' in ${this.machine.phase}; ignored`);
          continue;
        }
        if (next.event === 'frame' && onlyHandsOn(this.machine, step)) this.steadyFrames = this.machine;
        else this.machine = step.state;
        for (const action of step.actions) this.perform(action, next.frame);
      }
    } finally {
      this.dispatching = false;
    }
    this.publish();
  }

  private perform(action: Action, frame: CameraFrame | undefined): void {
    switch (action.type) {
      case 'spawn':
        if (action.restart) this.restarts++;
        this.spawnCamera();
        return;
      case 'terminate':
        this.terminate();
        return;
      case 'first-frame':
        this.runFirstFrameAt = this.deps.now();
        this.reportedMissing = false;
        this.armWatchdog(this.config.stallTimeoutMs);
        return;
      case 'emit-frame':
        this.frames++;
        this.lastFrameAt = this.deps.now();
        this.emit(this.active === this.parser ? 'frame' : 'unit', frame);
        return;
      case 'schedule-restart':
        this.scheduleRestart();
        return;
      case 'cancel-restart':
        this.clearTimer('restartTimer');
        return;
      case 'reset-failures':
        this.failures = 0;
        return;
      case 'exited': {
        const { how, ranFor } = this.ended;
        this.deps.logger.info(`stopped (${how}) after ${ranFor} s${action.then === 'start-again' ? '; starting again' : ''}`);
        return;
      }
    }
  }

  private detailFor(phase: Phase): string {
    switch (phase) {
      case 'starting':
        return 'waiting for the first frame';
      case 'backoff':
        return this.backoffDetail;
      case 'paused':
      case 'pausing':
        return 'privacy mode';
      case 'waiting':
        return this.waitingReason || 'waiting for the previous camera process to exit';
      case 'stalled':
        return `${this.stallReason}; waiting for the camera process to exit`;
      case 'stopped':
      case 'stopping':
      case 'streaming':
        return '';
    }
  }

  private publish(): void {
    const state = publicState(this.machine.phase);
    const detail = this.detailFor(this.machine.phase);
    if (state === this.shown && detail === this.detail) return;
    this.shown = state;
    this.detail = detail;
    this.since = this.deps.now();
    this.emit('state', state, detail);
  }

  /** Starts a camera process; one that cannot start comes back to the table as an `exit`. */
  private spawnCamera(): void {
    if (this.config.codec === 'h264' && !this.deps.h264Parser) {
      this.notStarted('H.264 mode is not available in this build');
      return;
    }
    this.active = this.config.codec === 'h264' ? this.deps.h264Parser! : this.parser;
    this.active.reset();
    const [command, ...args] = buildCameraArgv(this.config, this.deps.h264Encoder);
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
      this.notStarted(reason);
      return;
    }
    const [file, ...prefixArgs] = [...this.deps.deathSignalPrefix, executable];
    const socket = this.active.copiesChunks ? this.deps.stdoutSockets?.take() : undefined;
    let child: ChildProcess;
    try {
      child = this.deps.spawn(file!, [...prefixArgs, ...args], { stdio: ['ignore', socket?.childEnd ?? 'pipe', 'pipe'] });
    } catch (err) {
      socket?.close();
      this.deps.logger.error(`cannot start ${command}: ${(err as Error).message}`);
      this.notStarted(`cannot start: ${(err as Error).message}`);
      return;
    } finally {
      // The child has its own copy now (or none): picamd's would keep the stream open after it exits.
      socket?.releaseChildEnd();
    }
    this.child = child;
    this.waitingReason = '';
    this.errorLine = '';
    this.runStartedAt = this.deps.now();
    this.runFirstFrameAt = undefined;
    this.stallReason = '';
    this.childExit = new Promise((resolve) => {
      let settled = false;
      const exited = (code: number | null, signal: NodeJS.Signals | null) => {
        if (settled) return;
        settled = true;
        // What the camera wrote after it was gone is not read (as with the pipe: onChunk checks the child).
        socket?.close();
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
    if (socket) socket.read((chunk) => this.onChunk(child, chunk));
    else child.stdout!.on('data', (chunk: Buffer) => this.onChunk(child, chunk));
    const stderr = createInterface({ input: child.stderr!, crlfDelay: Infinity });
    stderr.on('line', (line) => {
      if (!line.trim()) return;
      const shown = line.length > 500 ? `${line.slice(0, 500)}…` : line;
      if (child === this.child && /\berror\b/i.test(line)) this.errorLine = shown.trim();
      // The camera repeats what it was given (the tuning file's path is the page's): escaped.
      this.deps.logger.info(escapeForLog(shown, 600));
    });
    this.deps.logger.info(`started ${command} (pid ${child.pid ?? '?'}): ${escapeForLog(args.join(' '), 4000)}`);
    this.armWatchdog(this.config.startTimeoutMs);
  }

  private notStarted(reason: string): void {
    this.ended = { reason, how: reason, ranFor: '', streamedMs: 0 };
    this.dispatch('exit');
  }

  private onChunk(child: ChildProcess, chunk: Buffer): void {
    if (child !== this.child) return;
    for (const frame of this.active.push(chunk)) this.dispatch('frame', frame);
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    this.child = undefined;
    this.signalled = undefined;
    this.clearTimer('watchdogTimer');
    this.clearTimer('killTimer');
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    let reason = this.stallReason || how;
    if (code === EXIT_NOT_FOUND && this.deps.deathSignalPrefix.length > 0) reason = 'camera command could not be executed';
    const now = this.deps.now();
    this.ended = {
      reason,
      how,
      ranFor: ((now - this.runStartedAt) / 1000).toFixed(1),
      streamedMs: this.runFirstFrameAt === undefined ? 0 : now - this.runFirstFrameAt,
    };
    this.dispatch('exit');
  }

  private scheduleRestart(): void {
    const { reason, ranFor, streamedMs } = this.ended;
    const plan = planRestart(this.config.backoff, this.failures, streamedMs);
    this.failures = plan.failures;
    const seconds = plan.delayMs / 1000;
    const context = ranFor ? ` after ${ranFor} s` : '';
    this.deps.logger.warn(`${reason}${context}, restarting in ${seconds} s (attempt ${plan.failures})`);
    this.backoffDetail = `${reason}; restarting in ${seconds} s`;
    this.clearTimer('restartTimer');
    this.restartTimer = this.deps.timers.setTimeout(() => {
      this.restartTimer = undefined;
      this.dispatch('timer');
    }, plan.delayMs);
  }

  /** One timer per run: it fires at the deadline and re-arms itself while frames keep coming. */
  private armWatchdog(ms: number): void {
    this.clearTimer('watchdogTimer');
    this.watchdogTimer = this.deps.timers.setTimeout(() => this.checkWatchdog(), ms);
  }

  private checkWatchdog(): void {
    this.watchdogTimer = undefined;
    const now = this.deps.now();
    if (this.runFirstFrameAt !== undefined) {
      const due = this.lastFrameAt + this.config.stallTimeoutMs;
      if (now < due) {
        this.armWatchdog(due - now);
        return;
      }
      this.stallReason = `stalled: no frame for ${((now - this.lastFrameAt) / 1000).toFixed(1)} s`;
    } else {
      this.stallReason = `no first frame within ${(this.config.startTimeoutMs / 1000).toFixed(1)} s`;
    }
    this.deps.logger.warn(`${this.stallReason}, restarting the camera`);
    this.dispatch('stall');
  }

  /** SIGTERM, then SIGKILL after the grace period, once per process; the watchdog stops. */
  private terminate(): void {
    const child = this.child;
    this.clearTimer('watchdogTimer');
    if (!child || this.signalled === child) return;
    this.signalled = child;
    child.kill('SIGTERM');
    this.killTimer = this.deps.timers.setTimeout(() => {
      this.killTimer = undefined;
      if (child === this.child) {
        this.deps.logger.warn(`did not exit within ${this.config.stopGraceMs} ms of SIGTERM, sending SIGKILL`);
        child.kill('SIGKILL');
      }
    }, this.config.stopGraceMs);
  }

  private clearTimer(name: 'restartTimer' | 'watchdogTimer' | 'killTimer'): void {
    if (this[name] !== undefined) {
      this.deps.timers.clearTimeout(this[name]);
      this[name] = undefined;
    }
  }
}
