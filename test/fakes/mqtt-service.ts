import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mqttSchema, type MqttConfig } from '../../src/device/settings/mqtt-schema.js';
import type { Logger } from '../../src/platform/log/logger.js';
import { monotonicNow, realTimers } from '../../src/platform/clock.js';
import { MqttService, type MqttServiceDeps } from '../../src/integrations/mqtt/service.js';
import type { StatusSnapshot } from '../../src/integrations/mqtt/state.js';
import { projectRoot } from './app.js';

// An MqttService bound to stand-in ports: a privacy state that a "latched switch" can hold on, a
// fixed status and a real JPEG as the snapshot. Used in-process and by mqtt-child.ts.

export const TEST_PREFIX = 'picamd/test-cam';
export const testJpeg = readFileSync(join(projectRoot, 'test/fixtures/jpeg/baseline-jpegjs.jpg'));

export interface PrivacyStandIn {
  enabled: boolean;
  /** A latching hardware switch holding privacy on: commands are refused. */
  latched: boolean;
  calls: Array<{ enabled: boolean; source: string }>;
}

export interface TestService {
  service: MqttService;
  privacy: PrivacyStandIn;
  snapshotCalls: { count: number; whilePrivate: number };
}

export function createTestService(config: Partial<MqttConfig> & { url: string }, logger: Logger, deps: Partial<MqttServiceDeps> = {}): TestService {
  const privacy: PrivacyStandIn = { enabled: false, latched: false, calls: [] };
  const snapshotCalls = { count: 0, whilePrivate: 0 };
  const status = (): StatusSnapshot => ({
    cameraState: privacy.enabled ? 'paused' : 'streaming',
    fps: 29.96,
    viewers: 2,
    restarts: 1,
    uptimeS: 12.7,
    privacy: privacy.enabled,
  });
  const service = new MqttService(mqttSchema.parse({ topicPrefix: TEST_PREFIX, snapshotIntervalS: 1, ...config }), {
    logger,
    timers: realTimers,
    now: monotonicNow,
    device: () => ({ name: 'Test Cam', model: 'Raspberry Pi Zero 2 W Rev 1.0', version: '0.1.0', configurationUrl: 'http://test-cam.local/' }),
    readStatus: status,
    setPrivacy: (enabled, source) => {
      privacy.calls.push({ enabled, source });
      if (privacy.latched && !enabled) return { ok: false, message: 'the privacy switch is on' };
      privacy.enabled = enabled;
      return { ok: true };
    },
    snapshot: () => {
      snapshotCalls.count++;
      if (privacy.enabled) snapshotCalls.whilePrivate++;
      return testJpeg;
    },
    backoff: { initialMs: 100, maxMs: 500 },
    stateIntervalMs: 500,
    ...deps,
  });
  return { service, privacy, snapshotCalls };
}
