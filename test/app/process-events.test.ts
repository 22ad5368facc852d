import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { handleProcessEvents } from '../../src/app/process-events.js';
import { memoryLogger } from '../fakes/logger.js';

function setup() {
  const proc = new EventEmitter();
  const exits: number[] = [];
  let lastResorts = 0;
  const logger = memoryLogger();
  const signal = handleProcessEvents({ proc, logger, exit: (code) => exits.push(code), lastResort: () => lastResorts++ });
  return { proc, exits, logger, signal, lastResorts: () => lastResorts };
}

test('the first SIGTERM resolves; a second one exits at once with 1', async () => {
  const { proc, exits, signal } = setup();
  proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(await signal, 'SIGTERM');
  assert.deepEqual(exits, []);
  proc.emit('SIGINT', 'SIGINT');
  assert.deepEqual(exits, [1]);
});

test('an uncaught error or rejection is logged, runs the last resort and exits 1; exit runs it too', () => {
  const { proc, exits, logger, lastResorts } = setup();
  proc.emit('uncaughtException', new Error('boom'));
  assert.deepEqual(exits, [1]);
  assert.equal(lastResorts(), 1);
  assert.ok(logger.lines.some((l) => l.startsWith('error uncaught error, exiting: Error: boom')));
  proc.emit('unhandledRejection', new Error('late'));
  assert.deepEqual(exits, [1, 1]);
  assert.ok(logger.lines.some((l) => l.startsWith('error unhandled rejection, exiting: Error: late')));
  proc.emit('exit');
  assert.equal(lastResorts(), 3);
});
