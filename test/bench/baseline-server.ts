// The benchmark's reference: picamd's fan-out written the ordinary way, with node:http. Not product
// code. It runs the same camera command line, cuts its output with the same FrameParser, builds
// the same shared part buffer per frame and paces each viewer the same way (the latest frame, skipped
// while the socket is busy: ViewerPacer), so that only the HTTP layer differs from picamd.
//
//   node baseline-server.js --port <n> --camera '<argv as JSON>'
//
// It answers /stream.mjpg on the same wire format as picamd (raw body, no chunked encoding), and
// /healthz and /api/status with the fields the benchmark reads (camera.state, camera.pid).

import { spawn } from 'node:child_process';
import { createServer, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { FrameParser } from '../../src/formats/jpeg/frame-parser.js';
import { Broadcaster, type Viewer } from '../../src/media/broadcaster.js';
import { STREAM_CONTENT_TYPE, STREAM_PREAMBLE, type Part } from '../../src/formats/multipart.js';
import { ViewerPacer, type FrameSink } from '../../src/media/viewer.js';

const { values } = parseArgs({
  options: { port: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' }, camera: { type: 'string' } },
});
const cameraArgv = JSON.parse(values.camera ?? '[]') as string[];
if (!values.port || cameraArgv.length === 0) {
  process.stderr.write("usage: baseline-server.js --port <n> --camera '<argv as JSON>'\n");
  process.exit(64);
}

const now = () => performance.now();
const broadcaster = new Broadcaster<HttpViewer>(now, 10_000);

/** A viewer on a node:http response: `write` returning false means busy until 'drain'. */
class HttpViewer implements Viewer, FrameSink {
  readonly pacer: ViewerPacer;
  closed = false;

  constructor(
    readonly id: number,
    private readonly res: ServerResponse,
  ) {
    this.pacer = new ViewerPacer(id, this, now);
    res.on('drain', () => this.pacer.drained());
  }

  offer(part: Part): void {
    if (!this.closed) this.pacer.offer(part);
  }

  send(wire: Buffer): boolean {
    return this.res.write(wire);
  }
}

let cameraState = 'starting';
const camera = spawn(cameraArgv[0]!, cameraArgv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
const parser = new FrameParser({ maxFrameBytes: 8 * 1024 * 1024 });
camera.stdout.on('data', (chunk: Buffer) => {
  for (const jpeg of parser.push(chunk)) {
    cameraState = 'streaming';
    broadcaster.publish(jpeg, true);
  }
});
camera.on('exit', (code, signal) => {
  cameraState = 'stopped';
  process.stderr.write(`baseline: camera exited (${signal ?? code}), stopping\n`);
  process.exit(1);
});

const server = createServer((req, res) => {
  if (req.url === '/stream.mjpg' || req.url?.startsWith('/stream.mjpg?')) {
    res.writeHead(200, {
      'Content-Type': STREAM_CONTENT_TYPE,
      'Cache-Control': 'no-store, no-cache, must-revalidate',
      Pragma: 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      // As picamd: a raw body of undeclared length rather than chunked encoding, so the bytes on the
      // wire are the same.
      'Content-Length': String(Number.MAX_SAFE_INTEGER),
    });
    res.write(STREAM_PREAMBLE);
    const viewer = new HttpViewer(broadcaster.allocateId(), res);
    res.on('close', () => {
      viewer.closed = true;
      broadcaster.remove(viewer);
    });
    broadcaster.add(viewer, 2_000);
    return;
  }
  const json = (body: unknown) => {
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  if (req.url === '/healthz') return json({ ok: true });
  if (req.url === '/api/status') {
    return json({
      camera: { state: cameraState, pid: camera.pid },
      stream: { framesPublished: broadcaster.framesPublished, viewers: broadcaster.viewerCount },
    });
  }
  res.writeHead(404).end();
});

server.listen(Number(values.port), values.host, () => {
  process.stderr.write(`baseline: listening on http://${values.host}:${values.port}/\n`);
});

const stop = () => {
  camera.removeAllListeners('exit');
  camera.kill('SIGTERM');
  server.close();
  server.closeAllConnections();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
