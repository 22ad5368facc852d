import type { Output } from '../../media/output.js';
import type { FrameSink, Pacer } from '../../media/viewer.js';
import type { Now } from '../../platform/clock.js';
import type { Logger } from '../../platform/log/logger.js';
import { cameThroughProxy } from '../server/forwarded.js';
import type { Request } from '../server/request.js';
import { closing, NO_STORE, problem, statusLine, type Response } from '../server/response.js';
import type { Reply } from '../server/router.js';
import { StreamViewer } from './stream-viewer.js';

// GET of any stream (/stream.mjpg, /stream.mp4): the stream's own checks, the viewer limit, then the
// connection is taken over as a viewer of the output. From there on its pacer decides what goes out,
// through the viewer's sink: zero-copy with a declared length to a direct client, chunked through a
// reverse proxy (which then passes each frame on at once).

/** The headers of a stream response of this type. */
export function streamHeaders(contentType: string): Record<string, string> {
  return {
    'Content-Type': contentType,
    'Cache-Control': `${NO_STORE}, no-cache, must-revalidate`,
    Pragma: 'no-cache',
    'X-Content-Type-Options': 'nosniff',
    // nginx in its default proxy configuration buffers a response and passes each frame's end only
    // with the next frame's bytes (one frame late); this header turns that buffering off for us.
    'X-Accel-Buffering': 'no',
  };
}

/** A request the stream takes: how its viewer is paced, and a note for the log. */
export interface Accepted<P> {
  pacer: (id: number, sink: FrameSink) => P;
  /** Ends the "joined" log line's first part, e.g. " at up to 10 fps". */
  note?: string;
}

/** One output served as an HTTP stream: what the stream route needs of it. */
export interface StreamOutput<P extends Pacer<unknown>> {
  output: Output<StreamViewer<P>>;
  headers: Record<string, string>;
  /** The body's first bytes, written with the head. */
  preamble: Buffer;
  /** A viewer of this stream in the log: "viewer", "H.264 viewer". */
  noun: string;
  /** This stream's own checks of a request, before the viewer limit: a refusal, or the viewer's pacing. */
  accept(req: Request): Response | Accepted<P>;
  /** Adds a viewer whose head is written to the output, which gives it its first pictures. */
  join(viewer: StreamViewer<P>): void;
  /** What a viewer that left got, for the log: "12 frames delivered, 3 skipped". */
  tally(stats: ReturnType<P['stats']>): string;
}

export interface StreamRouteDeps {
  logger: Logger;
  now: Now;
  /** The viewer limit as configured now (it may change while picamd runs). */
  maxViewers: () => number;
  /** Called when a viewer joins or leaves (the page shows the count live). */
  onViewersChanged?: () => void;
}

export function streamReply<P extends Pacer<unknown>>(req: Request, stream: StreamOutput<P>, deps: StreamRouteDeps): Reply {
  const accepted = stream.accept(req);
  if ('status' in accepted) return accepted;
  const { output } = stream;
  if (output.full) {
    // Closed at once: a refused client holds no socket, and a flood of them costs nothing more.
    return closing(
      problem(503, 'too-many-viewers', `All ${deps.maxViewers()} viewer slots are taken; try again shortly.`, { 'Retry-After': '5' }),
    );
  }
  const head: Response = { status: 200, headers: stream.headers, body: '' };
  return {
    head,
    takeover: ({ res, headers, onAborted }) => {
      const { logger, now } = deps;
      const remote = req.remote;
      const framing = cameThroughProxy(req.headers) ? 'chunked' : 'length';
      const id = output.allocateId();
      const viewer = new StreamViewer(id, res, now, (sink) => accepted.pacer(id, sink), remote, framing);
      onAborted(() => {
        viewer.markClosed();
        output.remove(viewer);
        const s = viewer.stats();
        logger.info(
          `${stream.noun} ${s.id} (${remote}) left after ${(s.connectedMs / 1000).toFixed(1)} s: ` +
            `${stream.tally(s)}; ${output.viewerCount} watching`,
        );
        deps.onViewersChanged?.();
      });
      res.writeStatus(statusLine(200));
      for (const name in headers) res.writeHeader(name, headers[name]!);
      for (const name in stream.headers) res.writeHeader(name, stream.headers[name]!);
      viewer.open(stream.preamble);
      stream.join(viewer);
      const via = req.peer ? ` via ${req.peer}` : framing === 'chunked' ? ' through a proxy' : '';
      logger.info(`${stream.noun} ${viewer.id} (${remote}${via}) joined${accepted.note ?? ''}; ${output.viewerCount} watching`);
      deps.onViewersChanged?.();
    },
  };
}
