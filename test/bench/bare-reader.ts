// The idle scenario's floor: a node process that runs the camera command and reads its pipe, and
// does nothing else (no parsing, no server). What picamd costs with no viewer is compared with this.
// With --parse it also cuts the stream into frames with picamd's FrameParser (and drops them), which
// tells the parser's share apart from the rest of picamd.
//
//   node bare-reader.js '<camera argv as JSON>' [--parse]
//
// Prints "streaming <camera pid>" once the first bytes have arrived.

import { spawn } from 'node:child_process';
import { FrameParser } from '../../src/formats/jpeg/frame-parser.js';

const argv = JSON.parse(process.argv[2] ?? '[]') as string[];
if (argv.length === 0) {
  process.stderr.write("usage: bare-reader.js '<camera argv as JSON>' [--parse]\n");
  process.exit(64);
}
const parser = process.argv[3] === '--parse' ? new FrameParser({ maxFrameBytes: 8 * 1024 * 1024 }) : undefined;
let frames = 0;
const camera = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
let streaming = false;
camera.stdout.on('data', (chunk: Buffer) => {
  if (parser) frames += parser.push(chunk).length;
  if (streaming) return;
  streaming = true;
  process.stdout.write(`streaming ${camera.pid}\n`);
});
camera.on('exit', (code, signal) => {
  process.stderr.write(`bare reader: camera exited (${signal ?? code}) after ${frames} frames\n`);
  process.exit(1);
});
const stop = () => {
  camera.removeAllListeners('exit');
  camera.kill('SIGTERM');
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
