// The camera supervisor's states and transitions as one table: pure, no processes, timers or logs.
// The supervisor feeds it events and carries out the actions it answers with (spawn, SIGTERM,
// timers); what happens in which state is decided here and nowhere else.

/**
 * Where the camera is. "Alive" phases have a camera process that has not exited yet; a new process
 * is spawned only from a phase without one, so two never run at once.
 * - stopped: not started, or stopped for good; no process.
 * - stopping: stopped for good; the last process is still exiting.
 * - starting: the process runs, no frame yet.
 * - streaming: frames arrive.
 * - stalled: no first frame in time, or frames stopped; the process is being stopped and the
 *   restart backoff follows its exit.
 * - backoff: the process ended unasked (or never started); a restart is scheduled.
 * - waiting: the camera should run, but the previous process is still exiting (privacy off right
 *   after on, or a start right after a stop); the new one starts when it has exited.
 * - paused: privacy; no process, and none starts.
 * - pausing: privacy; the process is still exiting.
 */
export type Phase = 'stopped' | 'stopping' | 'starting' | 'streaming' | 'stalled' | 'backoff' | 'waiting' | 'paused' | 'pausing';

export const PHASES: readonly Phase[] = ['stopped', 'stopping', 'starting', 'streaming', 'stalled', 'backoff', 'waiting', 'paused', 'pausing'];

/** Phases with a camera process that has not exited yet. */
export const ALIVE: Readonly<Record<Phase, boolean>> = {
  stopped: false,
  stopping: true,
  starting: true,
  streaming: true,
  stalled: true,
  backoff: false,
  waiting: true,
  paused: false,
  pausing: true,
};

/**
 * What the supervisor tells the machine.
 * - start / stop: start() and stop().
 * - pause / resume: privacy on and off (setPaused).
 * - exit: the current process exited, or could not be started at all.
 * - stall: the watchdog's deadline passed: no first frame in time, or no frame for too long.
 * - frame: the current process delivered a whole frame (in `starting`, its first).
 * - timer: the backoff delay is over.
 * - reconfigure: new camera settings: a running camera restarts with them at once (a fresh start,
 *   not a retry); a stopped or private one uses them when it next starts.
 */
export type CameraEvent = 'start' | 'stop' | 'pause' | 'resume' | 'exit' | 'stall' | 'frame' | 'timer' | 'reconfigure';

export const EVENTS: readonly CameraEvent[] = ['start', 'stop', 'pause', 'resume', 'exit', 'stall', 'frame', 'timer', 'reconfigure'];

/**
 * What the supervisor does on a transition, in order.
 * - spawn: start a camera process and its first-frame deadline (`restart`: after a backoff, counted
 *   as a restart). A process that cannot be started comes back as an `exit` event.
 * - terminate: SIGTERM now, SIGKILL after the grace period; stops the watchdog.
 * - first-frame: the run streams: note when, and watch for stalls from now on.
 * - emit-frame: hand the frame to viewers. Frames in every other case are dropped: a process on
 *   its way out (privacy, stop, stall) shows nothing more.
 * - schedule-restart: plan the backoff delay for the run that just ended and arm its timer.
 * - cancel-restart: disarm that timer.
 * - reset-failures: forget earlier failures (privacy off is a fresh start, not a retry).
 * - exited: log that a process stopped on purpose has exited (`then`: whether one starts next).
 */
export type Action =
  | { type: 'spawn'; restart: boolean }
  | { type: 'terminate' }
  | { type: 'first-frame' }
  | { type: 'emit-frame' }
  | { type: 'schedule-restart' }
  | { type: 'cancel-restart' }
  | { type: 'reset-failures' }
  | { type: 'exited'; then: 'stay-down' | 'start-again' };

/** The machine's whole state: the phase, and whether privacy is on (it may be, before start()). */
export interface MachineState {
  readonly phase: Phase;
  readonly privacy: boolean;
}

export interface Step {
  readonly state: MachineState;
  readonly actions: readonly Action[];
}

export const INITIAL: MachineState = { phase: 'stopped', privacy: false };

interface Target {
  readonly to: Phase;
  readonly actions: readonly Action[];
}
type Entry = Target | ((privacy: boolean) => Target);

const go = (to: Phase, ...actions: Action[]): Target => ({ to, actions });

const spawn: Action = { type: 'spawn', restart: false };
const terminate: Action = { type: 'terminate' };
const scheduleRestart: Action = { type: 'schedule-restart' };
const cancelRestart: Action = { type: 'cancel-restart' };
const resetFailures: Action = { type: 'reset-failures' };
const emitFrame: Action = { type: 'emit-frame' };

/**
 * Every defined transition. A missing entry is an event that cannot happen in that phase (an exit
 * without a process, a backoff timer outside backoff): the supervisor logs it as a bug and ignores
 * it. `pause` and `resume` also set `privacy`; in phases where that is all they do, they stay put.
 */
const TABLE: Readonly<Record<Phase, Partial<Record<CameraEvent, Entry>>>> = {
  stopped: {
    start: (privacy) => (privacy ? go('paused') : go('starting', spawn)),
    stop: go('stopped'),
    pause: go('stopped'),
    resume: go('stopped'),
    reconfigure: go('stopped'),
  },
  stopping: {
    start: (privacy) => (privacy ? go('pausing') : go('waiting')),
    stop: go('stopping'),
    pause: go('stopping'),
    resume: go('stopping'),
    reconfigure: go('stopping'),
    exit: go('stopped', { type: 'exited', then: 'stay-down' }),
    frame: go('stopping'),
  },
  starting: {
    start: go('starting'),
    stop: go('stopping', terminate),
    pause: go('pausing', terminate),
    resume: go('starting'),
    exit: go('backoff', scheduleRestart),
    stall: go('stalled', terminate),
    frame: go('streaming', { type: 'first-frame' }, emitFrame),
    reconfigure: go('waiting', terminate, resetFailures),
  },
  streaming: {
    start: go('streaming'),
    stop: go('stopping', terminate),
    pause: go('pausing', terminate),
    resume: go('streaming'),
    exit: go('backoff', scheduleRestart),
    stall: go('stalled', terminate),
    frame: go('streaming', emitFrame),
    reconfigure: go('waiting', terminate, resetFailures),
  },
  stalled: {
    start: go('stalled'),
    stop: go('stopping'),
    pause: go('pausing'),
    resume: go('stalled'),
    exit: go('backoff', scheduleRestart),
    frame: go('stalled'),
    reconfigure: go('waiting', resetFailures),
  },
  backoff: {
    start: go('backoff'),
    stop: go('stopped', cancelRestart),
    pause: go('paused', cancelRestart),
    resume: go('backoff'),
    timer: go('starting', { type: 'spawn', restart: true }),
    reconfigure: go('starting', cancelRestart, resetFailures, spawn),
  },
  waiting: {
    start: go('waiting'),
    stop: go('stopping'),
    pause: go('pausing'),
    resume: go('waiting'),
    exit: go('starting', { type: 'exited', then: 'start-again' }, spawn),
    frame: go('waiting'),
    reconfigure: go('waiting'),
  },
  paused: {
    start: go('paused'),
    stop: go('stopped'),
    pause: go('paused'),
    resume: go('starting', resetFailures, spawn),
    reconfigure: go('paused'),
  },
  pausing: {
    start: go('pausing'),
    stop: go('stopping'),
    pause: go('pausing'),
    resume: go('waiting', resetFailures),
    exit: go('paused', { type: 'exited', then: 'stay-down' }),
    frame: go('pausing'),
    reconfigure: go('pausing'),
  },
};

/** The next state and what to do for `event` in `state`; undefined when the event cannot happen there. */
export function transition(state: MachineState, event: CameraEvent): Step | undefined {
  const entry = TABLE[state.phase][event];
  if (!entry) return undefined;
  const target = typeof entry === 'function' ? entry(state.privacy) : entry;
  const privacy = event === 'pause' ? true : event === 'resume' ? false : state.privacy;
  return { state: { phase: target.to, privacy }, actions: target.actions };
}

/**
 * The state the status shows. `stopping` and `pausing` show as where they lead (the process is
 * already told to go); `waiting` and `stalled` as waiting for the old process to exit.
 */
export type CameraState = 'stopped' | 'starting' | 'streaming' | 'backoff' | 'paused' | 'waiting';

export const CAMERA_STATES: readonly CameraState[] = ['stopped', 'starting', 'streaming', 'backoff', 'paused', 'waiting'];

export function publicState(phase: Phase): CameraState {
  switch (phase) {
    case 'stopped':
    case 'stopping':
      return 'stopped';
    case 'paused':
    case 'pausing':
      return 'paused';
    case 'stalled':
    case 'waiting':
      return 'waiting';
    case 'starting':
    case 'streaming':
    case 'backoff':
      return phase;
  }
}
