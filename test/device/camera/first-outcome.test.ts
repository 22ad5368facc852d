// The camera's first outcome, for the updater's health check: the first frame, or why there is none.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { cameraOutcomeLine, firstCameraOutcome } from '../../../src/device/camera/first-outcome.js';
import type { CameraState } from '../../../src/device/camera/machine.js';

describe('first camera outcome', () => {
  it('is a line for a frame, for privacy and for a camera that failed; none while starting or waiting', () => {
    assert.equal(cameraOutcomeLine('streaming', ''), 'camera: first frame');
    assert.equal(cameraOutcomeLine('paused', 'privacy mode'), 'camera: off (privacy mode)');
    assert.equal(cameraOutcomeLine('backoff', 'ERROR: *** no cameras available ***; restarting in 2 s'), 'camera: no frame: ERROR: *** no cameras available ***; restarting in 2 s');
    for (const state of ['starting', 'waiting', 'stopped'] as CameraState[]) assert.equal(cameraOutcomeLine(state, ''), undefined);
  });

  it('resolves once, with the first outcome, and stops listening', async () => {
    const camera = Object.assign(new EventEmitter(), { state: 'stopped' as CameraState });
    const { outcome } = firstCameraOutcome(camera);
    camera.emit('state', 'starting', 'waiting for the first frame');
    camera.emit('state', 'streaming', '');
    camera.emit('state', 'backoff', 'later');
    assert.equal(await outcome, 'camera: first frame');
    assert.equal(camera.listenerCount('state'), 0);
  });

  it('cancel stops listening before any outcome', () => {
    const camera = Object.assign(new EventEmitter(), { state: 'stopped' as CameraState });
    firstCameraOutcome(camera).cancel();
    assert.equal(camera.listenerCount('state'), 0);
  });
});
