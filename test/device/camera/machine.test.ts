import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ALIVE,
  CAMERA_STATES,
  EVENTS,
  INITIAL,
  PHASES,
  publicState,
  transition,
  type Action,
  type CameraState,
  type CameraEvent,
  type MachineState,
  type Phase,
} from '../../../src/device/camera/machine.js';

const at = (phase: Phase, privacy = false): MachineState => ({ phase, privacy });
const step = (state: MachineState, event: CameraEvent) => {
  const s = transition(state, event);
  assert.ok(s, `${event} in ${state.phase}`);
  return { phase: s.state.phase, privacy: s.state.privacy, actions: s.actions.map(describe) };
};
const describe = (a: Action) =>
  a.type === 'spawn' ? (a.restart ? 'spawn (restart)' : 'spawn') : a.type === 'exited' ? `exited, ${a.then}` : a.type;

test('start: spawns, or holds privacy, or waits for the last process', () => {
  assert.deepEqual(step(INITIAL, 'start'), { phase: 'starting', privacy: false, actions: ['spawn'] });
  assert.deepEqual(step(at('stopped', true), 'start'), { phase: 'paused', privacy: true, actions: [] });
  assert.deepEqual(step(at('stopping'), 'start'), { phase: 'waiting', privacy: false, actions: [] });
  assert.deepEqual(step(at('stopping', true), 'start'), { phase: 'pausing', privacy: true, actions: [] });
  for (const phase of ['starting', 'streaming', 'stalled', 'backoff', 'waiting'] as const) {
    assert.deepEqual(step(at(phase), 'start'), { phase, privacy: false, actions: [] }, `start twice in ${phase}`);
  }
});

test('a run: first frame streams, a stall or an exit backs off, the timer restarts', () => {
  assert.deepEqual(step(at('starting'), 'frame'), { phase: 'streaming', privacy: false, actions: ['first-frame', 'emit-frame'] });
  assert.deepEqual(step(at('streaming'), 'frame'), { phase: 'streaming', privacy: false, actions: ['emit-frame'] });
  assert.deepEqual(step(at('streaming'), 'stall'), { phase: 'stalled', privacy: false, actions: ['terminate'] });
  assert.deepEqual(step(at('starting'), 'stall'), { phase: 'stalled', privacy: false, actions: ['terminate'] });
  assert.deepEqual(step(at('stalled'), 'exit'), { phase: 'backoff', privacy: false, actions: ['schedule-restart'] });
  assert.deepEqual(step(at('streaming'), 'exit'), { phase: 'backoff', privacy: false, actions: ['schedule-restart'] });
  assert.deepEqual(step(at('starting'), 'exit'), { phase: 'backoff', privacy: false, actions: ['schedule-restart'] });
  assert.deepEqual(step(at('backoff'), 'timer'), { phase: 'starting', privacy: false, actions: ['spawn (restart)'] });
});

test('privacy: pause terminates, resume waits for the old process, and neither is a failure', () => {
  assert.deepEqual(step(at('streaming'), 'pause'), { phase: 'pausing', privacy: true, actions: ['terminate'] });
  assert.deepEqual(step(at('starting'), 'pause'), { phase: 'pausing', privacy: true, actions: ['terminate'] });
  assert.deepEqual(step(at('stalled'), 'pause'), { phase: 'pausing', privacy: true, actions: [] });
  assert.deepEqual(step(at('backoff'), 'pause'), { phase: 'paused', privacy: true, actions: ['cancel-restart'] });
  assert.deepEqual(step(at('pausing', true), 'exit'), { phase: 'paused', privacy: true, actions: ['exited, stay-down'] });
  assert.deepEqual(step(at('paused', true), 'resume'), { phase: 'starting', privacy: false, actions: ['reset-failures', 'spawn'] });
  // Privacy off before the old process has gone: wait, then start (the last privacy race).
  assert.deepEqual(step(at('pausing', true), 'resume'), { phase: 'waiting', privacy: false, actions: ['reset-failures'] });
  assert.deepEqual(step(at('waiting'), 'exit'), { phase: 'starting', privacy: false, actions: ['exited, start-again', 'spawn'] });
  assert.deepEqual(step(at('waiting'), 'pause'), { phase: 'pausing', privacy: true, actions: [] });
  // Before start(), privacy is only remembered.
  assert.deepEqual(step(INITIAL, 'pause'), { phase: 'stopped', privacy: true, actions: [] });
  assert.deepEqual(step(at('stopped', true), 'resume'), { phase: 'stopped', privacy: false, actions: [] });
});

test('stop: terminates a live process once, cancels a restart, and is fine twice', () => {
  assert.deepEqual(step(at('streaming'), 'stop'), { phase: 'stopping', privacy: false, actions: ['terminate'] });
  assert.deepEqual(step(at('starting'), 'stop'), { phase: 'stopping', privacy: false, actions: ['terminate'] });
  for (const phase of ['stalled', 'waiting'] as const) assert.deepEqual(step(at(phase), 'stop'), { phase: 'stopping', privacy: false, actions: [] });
  assert.deepEqual(step(at('pausing', true), 'stop'), { phase: 'stopping', privacy: true, actions: [] });
  assert.deepEqual(step(at('backoff'), 'stop'), { phase: 'stopped', privacy: false, actions: ['cancel-restart'] });
  assert.deepEqual(step(at('paused', true), 'stop'), { phase: 'stopped', privacy: true, actions: [] });
  assert.deepEqual(step(at('stopping'), 'stop'), { phase: 'stopping', privacy: false, actions: [] });
  assert.deepEqual(step(at('stopping'), 'exit'), { phase: 'stopped', privacy: false, actions: ['exited, stay-down'] });
  assert.deepEqual(step(INITIAL, 'stop'), { phase: 'stopped', privacy: false, actions: [] });
});

test('frames from a process on its way out are dropped', () => {
  for (const phase of ['stopping', 'stalled', 'waiting', 'pausing'] as const) {
    const privacy = phase === 'pausing';
    assert.deepEqual(step(at(phase, privacy), 'frame'), { phase, privacy, actions: [] }, phase);
  }
});

test('events that cannot happen have no transition', () => {
  for (const phase of PHASES) {
    const state = at(phase, phase === 'paused' || phase === 'pausing');
    // Without a process there is no exit and no frame; the watchdog runs only while a run is watched.
    assert.equal(transition(state, 'exit') !== undefined, ALIVE[phase], `exit in ${phase}`);
    assert.equal(transition(state, 'frame') !== undefined, ALIVE[phase], `frame in ${phase}`);
    assert.equal(transition(state, 'stall') !== undefined, phase === 'starting' || phase === 'streaming', `stall in ${phase}`);
    assert.equal(transition(state, 'timer') !== undefined, phase === 'backoff', `timer in ${phase}`);
    // What the outside asks for can come at any time.
    for (const event of ['start', 'stop', 'pause', 'resume'] as const) assert.ok(transition(state, event), `${event} in ${phase}`);
  }
});

/** The machine's state plus what it implies about the process, explored from the start. */
interface Node {
  state: MachineState;
  /** A process runs that has not been told to go. */
  alive: boolean;
  terminated: boolean;
}

function explore(): Map<string, Node> {
  const key = (n: Node) => `${n.state.phase}/${n.state.privacy}/${n.alive}/${n.terminated}`;
  const start: Node = { state: INITIAL, alive: false, terminated: false };
  const seen = new Map([[key(start), start]]);
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const event of EVENTS) {
      const next = transition(node.state, event);
      if (!next) continue;
      const where = `${event} in ${node.state.phase}${node.state.privacy ? ' (privacy)' : ''}`;
      let { alive, terminated } = node;
      if (event === 'exit') {
        assert.ok(alive, `${where}: an exit needs a process`);
        alive = false;
        terminated = false;
      }
      for (const action of next.actions) {
        if (action.type === 'spawn') {
          assert.equal(alive, false, `${where}: spawn while a process is alive`);
          assert.equal(next.state.privacy, false, `${where}: spawn with privacy on`);
          alive = true;
          terminated = false;
        } else if (action.type === 'terminate') {
          assert.ok(alive && !terminated, `${where}: terminate needs a process not yet told`);
          terminated = true;
        } else if (action.type === 'emit-frame') {
          assert.equal(next.state.phase, 'streaming', `${where}: frames go out only while streaming`);
          assert.equal(next.state.privacy, false, `${where}: a frame with privacy on`);
        }
      }
      const to: Node = { state: next.state, alive, terminated };
      assert.equal(alive, ALIVE[to.state.phase], `${where}: ALIVE says ${ALIVE[to.state.phase]} for ${to.state.phase}`);
      if (!seen.has(key(to))) {
        seen.set(key(to), to);
        queue.push(to);
      }
    }
  }
  return seen;
}

test('every reachable state: one process at most, told to go whenever it is not wanted, privacy kept', () => {
  const nodes = [...explore().values()];
  const names = nodes.map((n) => `${n.state.phase}${n.state.privacy ? '+privacy' : ''}`).sort();
  // Every phase is reachable; privacy is free only while stopped, and always on while paused.
  assert.deepEqual(names, [
    'backoff',
    'paused+privacy',
    'pausing+privacy',
    'stalled',
    'starting',
    'stopped',
    'stopped+privacy',
    'stopping',
    'stopping+privacy',
    'streaming',
    'waiting',
  ]);
  for (const { state, alive, terminated } of nodes) {
    const running = state.phase === 'starting' || state.phase === 'streaming';
    // A process the supervisor no longer wants has had its SIGTERM; one it wants has not.
    if (alive) assert.equal(terminated, !running, `${state.phase}: terminated=${terminated}`);
    // Privacy on: nothing runs that has not been told to stop.
    if (state.privacy) assert.ok(!running, `${state.phase} with privacy on`);
  }
});

test('stop leads only to stopped, from where only start leaves', () => {
  for (const node of explore().values()) {
    const stopped = transition(node.state, 'stop')!.state;
    assert.ok(stopped.phase === 'stopped' || stopped.phase === 'stopping', `stop in ${node.state.phase}`);
    for (const event of EVENTS.filter((e) => e !== 'start')) {
      const next = transition(stopped, event);
      if (next) assert.ok(next.state.phase === 'stopped' || next.state.phase === 'stopping', `${event} in ${stopped.phase}`);
    }
  }
});

test('the status shows each phase as one of the published states', () => {
  const shown = Object.fromEntries(PHASES.map((p): [Phase, CameraState] => [p, publicState(p)]));
  assert.deepEqual(shown, {
    stopped: 'stopped',
    stopping: 'stopped',
    starting: 'starting',
    streaming: 'streaming',
    stalled: 'waiting',
    backoff: 'backoff',
    waiting: 'waiting',
    paused: 'paused',
    pausing: 'paused',
  });
  for (const phase of PHASES) assert.ok(CAMERA_STATES.includes(publicState(phase)), phase);
});
