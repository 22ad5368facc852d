import type { Logger } from '../../platform/log/logger.js';
import type { Now } from '../../platform/clock.js';
import type { Broadcaster } from '../../media/broadcaster.js';
import { STREAM_CONTENT_TYPE, STREAM_PREAMBLE } from '../../formats/multipart.js';
import { cameThroughProxy } from '../server/forwarded.js';
import { MjpegViewer } from './mjpeg-viewer.js';
import type { Request } from '../server/request.js';
import { closing, NO_STORE, problem, statusLine, type Response } from '../server/response.js';
import type { Reply } from '../server/router.js';

// GET /stream.mjpg: checks the request, then takes the connection over as a viewer of the
// broadcaster. From there on frames go out through MjpegViewer: with a declared length and zero-copy
// to a direct client, chunked through a reverse proxy (which then passes each frame on at once).

/** A new viewer is sent the newest frame at once when it is at most this old. */
const FRESH_FRAME_MS = 2_000;

const MAX_FPS_CAP = 120;
/**
 * A viewer is found not reading only once its socket stops taking frames (the stall sweep), which
 * needs frames offered: at ?fps=0.0001 it would never be, and such clients could hold every slot.
 * At 1 fps a client that reads nothing fills the socket buffers within a minute or so and is then
 * dropped after server.viewerStallTimeoutMs.
 */
const MIN_FPS_CAP = 1;

/** Parses `?fps=N`: undefined when absent, NaN when invalid. */
export function parseFpsCap(raw: string | null | undefined): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (!/^\d+(\.\d+)?$/.test(raw)) return Number.NaN;
  const fps = Number(raw);
  return fps >= MIN_FPS_CAP && fps <= MAX_FPS_CAP ? fps : Number.NaN;
}

const STREAM_HEADERS: Record<string, string> = {
  'Content-Type': STREAM_CONTENT_TYPE,
  'Cache-Control': `${NO_STORE}, no-cache, must-revalidate`,
  Pragma: 'no-cache',
  'X-Content-Type-Options': 'nosniff',
  // nginx in its default proxy configuration buffers a response and passes each frame's end only
  // with the next frame's bytes (one frame late); this header turns that buffering off for us.
  'X-Accel-Buffering': 'no',
};

export interface StreamDeps {
  broadcaster: Broadcaster<MjpegViewer>;
  logger: Logger;
  now: Now;
  /** The viewer limit as configured now (it may change while picamd runs). */
  maxViewers: () => number;
  /** Called when a viewer joins or leaves (the page shows the count live). */
  onViewersChanged?: () => void;
}

export function streamReply(req: Request, deps: StreamDeps): Reply {
  const { broadcaster, logger, now } = deps;
  const fps = parseFpsCap(req.query.get('fps'));
  if (Number.isNaN(fps)) return problem(400, 'bad-fps', `fps must be a number from ${MIN_FPS_CAP} to ${MAX_FPS_CAP}.`);
  if (broadcaster.full) {
    // Closed at once: a refused client holds no socket, and a flood of them costs nothing more.
    return closing(
      problem(503, 'too-many-viewers', `All ${deps.maxViewers()} viewer slots are taken; try again shortly.`, { 'Retry-After': '5' }),
    );
  }
  const head: Response = { status: 200, headers: STREAM_HEADERS, body: '' };
  return {
    head,
    takeover: ({ res, headers, onAborted }) => {
      const remote = req.remote;
      const framing = cameThroughProxy(req.headers) ? 'chunked' : 'length';
      const viewer = new MjpegViewer(broadcaster.allocateId(), res, now, fps ? 1000 / fps : 0, remote, framing);
      onAborted(() => {
        viewer.markClosed();
        broadcaster.remove(viewer);
        const s = viewer.stats();
        logger.info(
          `viewer ${s.id} (${remote}) left after ${(s.connectedMs / 1000).toFixed(1)} s: ` +
            `${s.delivered} frames delivered, ${s.skipped} skipped; ${broadcaster.viewerCount} watching`,
        );
        deps.onViewersChanged?.();
      });
      res.writeStatus(statusLine(200));
      for (const name in headers) res.writeHeader(name, headers[name]!);
      for (const name in STREAM_HEADERS) res.writeHeader(name, STREAM_HEADERS[name]!);
      viewer.open(STREAM_PREAMBLE);
      broadcaster.add(viewer, FRESH_FRAME_MS);
      const via = req.peer ? ` via ${req.peer}` : framing === 'chunked' ? ' through a proxy' : '';
      logger.info(`viewer ${viewer.id} (${remote}${via}) joined${fps ? ` at up to ${fps} fps` : ''}; ${broadcaster.viewerCount} watching`);
      deps.onViewersChanged?.();
    },
  };
}
