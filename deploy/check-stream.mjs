// Checks a running picamd from the outside, as a viewer would: /healthz, /api/status,
// /snapshot.jpg and at least N whole JPEG frames from /stream.mjpg. No dependencies, so it runs
// with the bundled node on the Pi itself:
//   /opt/picamd/current/node/bin/node /opt/picamd/current/deploy/check-stream.mjs http://127.0.0.1 [frames] [seconds]
// Exits 0 when everything answered as it should, 1 otherwise; prints one line per check.
import { request } from 'node:http';

const base = (process.argv[2] ?? 'http://127.0.0.1').replace(/\/$/, '');
const wantFrames = Number(process.argv[3] ?? 5);
const deadline = Date.now() + Number(process.argv[4] ?? 60) * 1000;

const isJpeg = (b) => b.length > 4 && b[0] === 0xff && b[1] === 0xd8 && b[b.length - 2] === 0xff && b[b.length - 1] === 0xd9;

function get(path, { onData, timeoutMs = 10_000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => {
        chunks.push(c);
        if (onData && onData(Buffer.concat(chunks), res.headers)) req.destroy();
      });
      const done = () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) });
      res.on('end', done);
      res.on('close', done);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${path} within ${timeoutMs} ms`)));
    req.on('error', (err) => (err.code === 'ECONNRESET' && onData ? undefined : reject(err)));
    req.end();
  });
}

/** Whole JPEG parts of a multipart/x-mixed-replace body. */
function parts(body, boundary) {
  const marker = Buffer.from(`--${boundary}`);
  const frames = [];
  let at = body.indexOf(marker);
  while (at !== -1) {
    const next = body.indexOf(marker, at + marker.length);
    if (next === -1) break;
    const part = body.subarray(at + marker.length, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd !== -1) {
      let payload = part.subarray(headerEnd + 4);
      while (payload.length && (payload.at(-1) === 0x0a || payload.at(-1) === 0x0d)) payload = payload.subarray(0, -1);
      frames.push(payload);
    }
    at = next;
  }
  return frames;
}

let failed = false;
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failed = true;
};

async function waitForHealth() {
  for (;;) {
    try {
      const res = await get('/healthz', { timeoutMs: 5_000 });
      if (res.status === 200) return res;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${base}/healthz did not answer 200 in time`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

try {
  const started = Date.now();
  await waitForHealth();
  check(true, `/healthz 200 after ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const status = await get('/api/status');
  let statusJson;
  try {
    statusJson = JSON.parse(status.body.toString());
  } catch {
    statusJson = undefined;
  }
  check(status.status === 200 && typeof statusJson === 'object', `/api/status ${status.status}: ${status.body.toString().slice(0, 160)}`);

  // The first frames may take a while (camera start-up, or emulation); poll the snapshot.
  let snapshot;
  do {
    snapshot = await get('/snapshot.jpg');
    if (snapshot.status === 200 && isJpeg(snapshot.body)) break;
    await new Promise((r) => setTimeout(r, 500));
  } while (Date.now() < deadline);
  check(snapshot.status === 200 && isJpeg(snapshot.body), `/snapshot.jpg ${snapshot.status}, ${snapshot.body.length} bytes, ${snapshot.headers['content-type']}`);

  const streamStart = Date.now();
  const boundaryOf = (headers) => /boundary="?([^";]+)"?/.exec(headers['content-type'] ?? '')?.[1] ?? '';
  const stream = await get('/stream.mjpg', {
    timeoutMs: Math.max(1_000, deadline - Date.now()),
    onData: (body, headers) => Boolean(boundaryOf(headers)) && parts(body, boundaryOf(headers)).length >= wantFrames,
  }).catch((err) => ({ status: 0, headers: {}, body: Buffer.alloc(0), error: err }));
  const boundary = boundaryOf(stream.headers);
  const frames = boundary ? parts(stream.body, boundary) : [];
  const whole = frames.filter(isJpeg);
  const seconds = (Date.now() - streamStart) / 1000;
  check(
    stream.status === 200 && whole.length >= wantFrames && whole.length === frames.length,
    `/stream.mjpg ${stream.status} ${stream.headers['content-type'] ?? ''}: ${whole.length}/${frames.length} whole JPEG frames in ${seconds.toFixed(1)} s` +
      (stream.error ? ` (${stream.error.message})` : ''),
  );
} catch (err) {
  check(false, err.message);
}
process.exit(failed ? 1 : 0);
