import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { findExecutable } from '../../src/platform/executable.js';
import { CameraSupervisor } from '../../src/device/camera/supervisor.js';
import { configSchema } from '../../src/device/settings/schema.js';
import { PrivacyController } from '../../src/device/privacy/controller.js';
import { PrivacyStore } from '../../src/device/privacy/store.js';
import { Lifecycle } from '../../src/app/lifecycle.js';
import { realTimers } from '../../src/platform/clock.js';
import { memoryLogger } from '../fakes/logger.js';
import { tempDir } from '../fakes/temp-dir.js';
import { processExists, waitFor } from '../fakes/wait.js';

const standin = fileURLToPath(new URL('../fakes/camera-standin.mjs', import.meta.url));

describe('Lifecycle', () => {
  test('starts in order, stops in reverse, each stop isolated; stop() twice stops once', async () => {
    const log: string[] = [];
    const logger = memoryLogger();
    const service = (name: string, failStop = false) => ({
      name,
      start: () => void log.push(`start ${name}`),
      stop: () => {
        log.push(`stop ${name}`);
        if (failStop) throw new Error(`${name} broke`);
      },
    });
    const services = new Lifecycle(logger);
    await services.start([service('a'), service('b', true), service('c')]);
    await Promise.all([services.stop(), services.stop()]);
    assert.deepEqual(log, ['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
    assert.ok(logger.lines.some((l) => l.startsWith('error stopping b failed: Error: b broke')));
  });

  test('a failed start names the service and leaves what started, the failed one too, to stop()', async () => {
    const log: string[] = [];
    const services = new Lifecycle(memoryLogger());
    const ok = { name: 'ok', start: () => void log.push('start ok'), stop: () => void log.push('stop ok') };
    const bad = {
      name: 'http',
      start: async () => {
        throw new Error('port in use');
      },
      stop: () => void log.push('stop http'),
    };
    const never = { name: 'never', start: () => void log.push('start never'), stop: () => void log.push('stop never') };
    await assert.rejects(services.start([ok, bad, never]), /^Error: http: port in use$/);
    await services.stop();
    assert.deepEqual(log, ['start ok', 'stop http', 'stop ok']);
  });

  test('a service whose stop throws: the camera process still ends and privacy is still on disk', async (t) => {
    const dir = await tempDir(t, 'lifecycle');
    const logger = memoryLogger();
    const stateFile = join(dir, 'privacy.json');
    const privacy = new PrivacyController({ store: new PrivacyStore(stateFile), startPaused: false, logger });
    const config = configSchema.parse({ camera: { command: [process.execPath, standin, 'stream'], stopGraceMs: 300 } }).camera;
    const camera = new CameraSupervisor(config, {
      spawn,
      now: () => performance.now(),
      timers: realTimers,
      logger,
      findExecutable: (c) => findExecutable(c, process.env.PATH, process.cwd()),
      deathSignalPrefix: [],
    });
    privacy.bindCamera(camera);
    t.after(() => camera.killNow());
    let frames = 0;
    camera.on('frame', () => frames++);
    const services = new Lifecycle(logger);
    await services.start([
      { name: 'privacy', start: () => privacy.start(), stop: () => privacy.stop() },
      { name: 'camera', start: () => camera.start(), stop: () => camera.stop() },
      {
        name: 'http',
        start: () => {},
        stop: () => {
          throw new Error('http stop failed');
        },
      },
    ]);
    await waitFor('camera frames', () => frames > 0);
    const pid = camera.status().pid!;
    // The privacy change is made in memory at once; the stop must still get it onto disk.
    privacy.set(true, 'api');
    await services.stop();
    assert.equal(processExists(pid), false, 'the camera process ended');
    assert.equal(JSON.parse(readFileSync(stateFile, 'utf8')).enabled, true, 'privacy on disk');
    assert.ok(logger.lines.some((l) => l.includes('stopping http failed: Error: http stop failed')));
  });
});
