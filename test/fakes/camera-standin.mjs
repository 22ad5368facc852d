#!/usr/bin/env node
// A stand-in for rpicam-vid in supervisor tests: argv[2] picks a behaviour, the rpicam-vid flags
// follow. It writes a real JPEG fixture as its frames and reports its argv on stderr.
//   stream            frames every 20 ms until killed
//   numbered          the same, each frame with its number in a comment segment (frames differ)
//   crash:N           N frames, then exit code 1
//   stall:N           N frames, then silence while staying alive
//   ignore-term       frames, and SIGTERM is ignored (needs SIGKILL)
//   flood             garbage without a single JPEG, as fast as the pipe takes it
//   silent            never writes a frame
import { readFileSync } from 'node:fs';

const [mode = 'stream', ...flags] = process.argv.slice(2);
const [name, countText] = mode.split(':');
const count = Number(countText ?? 0);
const frame = readFileSync(new URL('../fixtures/jpeg/baseline-jpegjs.jpg', import.meta.url));
process.stderr.write(`standin ${name} pid=${process.pid} argv=${JSON.stringify(flags)}\n`);

if (name === 'ignore-term') process.on('SIGTERM', () => process.stderr.write('standin ignoring SIGTERM\n'));
process.stdout.on('error', () => process.exit(0));

/** The fixture with a COM segment after its SOI that says `n`. */
function numbered(n) {
  const comment = Buffer.from(String(n).padStart(8, '0'), 'latin1');
  return Buffer.concat([frame.subarray(0, 2), Buffer.from([0xff, 0xfe, 0x00, comment.length + 2]), comment, frame.subarray(2)]);
}

let sent = 0;
if (name === 'flood') {
  const garbage = Buffer.alloc(256 * 1024, 0x42);
  const pump = () => {
    while (process.stdout.write(garbage));
    process.stdout.once('drain', pump);
  };
  pump();
} else {
  const timer = setInterval(() => {
    if (name === 'silent') return;
    if ((name === 'crash' || name === 'stall') && sent >= count) {
      if (name === 'crash') process.exit(1);
      return;
    }
    process.stdout.write(name === 'numbered' ? numbered(sent) : frame);
    sent++;
  }, 20);
  timer.ref();
}
