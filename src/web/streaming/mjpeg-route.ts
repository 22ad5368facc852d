import type { Broadcaster } from '../../media/broadcaster.js';
import { ViewerPacer } from '../../media/viewer.js';
import { STREAM_CONTENT_TYPE, STREAM_PREAMBLE } from '../../formats/multipart.js';
import type { Now } from '../../platform/clock.js';
import { problem } from '../server/response.js';
import { streamHeaders, type StreamOutput } from './stream-route.js';
import type { StreamViewer } from './stream-viewer.js';

// GET /stream.mjpg: multipart/x-mixed-replace, one JPEG a part; each viewer gets the newest frame
// and skips while its socket is busy (ViewerPacer), at most ?fps=N.

export type MjpegViewer = StreamViewer<ViewerPacer>;

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

const HEADERS = streamHeaders(STREAM_CONTENT_TYPE);

export function mjpegStream(broadcaster: Broadcaster<MjpegViewer>, now: Now): StreamOutput<ViewerPacer> {
  return {
    output: broadcaster,
    headers: HEADERS,
    preamble: STREAM_PREAMBLE,
    noun: 'viewer',
    accept: (req) => {
      const fps = parseFpsCap(req.query.get('fps'));
      if (Number.isNaN(fps)) return problem(400, 'bad-fps', `fps must be a number from ${MIN_FPS_CAP} to ${MAX_FPS_CAP}.`);
      return {
        pacer: (id, sink) => new ViewerPacer(id, sink, now, fps ? 1000 / fps : 0),
        note: fps ? ` at up to ${fps} fps` : '',
      };
    },
    join: (viewer) => broadcaster.add(viewer, FRESH_FRAME_MS),
    tally: (s) => `${s.delivered} frames delivered, ${s.skipped} skipped`,
  };
}
