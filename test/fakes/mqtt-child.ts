import { createLogger } from '../../src/platform/log/logger.js';
import { createTestService } from './mqtt-service.js';

// Runs the MQTT service alone in this process, for the last-will test: argv[2] is the broker URL.
// Prints "connected" once the broker accepted it, then runs until killed.

const url = process.argv[2];
if (!url) throw new Error('usage: mqtt-child.ts mqtt://host:port');
const { service } = createTestService({ url }, createLogger('info', (_, line) => process.stderr.write(`${line}\n`)));
service.on('status', (s) => {
  if (s.state === 'connected') process.stdout.write('connected\n');
});
await service.start();
