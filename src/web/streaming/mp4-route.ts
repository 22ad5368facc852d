import type { Logger } from '../../platform/log/logger.js';
import type { Now } from '../../platform/clock.js';
import type { VideoFeed } from '../../media/video-feed.js';
import { Mp4Viewer } from './mp4-viewer.js';
import type { Request } from '../server/request.js';
import { closing, NO_STORE, problem, statusLine, type Response } from '../server/response.js';
import { cameThroughProxy } from '../server/forwarded.js';
import type { Reply } from '../server/router.js';

// GET /stream.mp4: the H.264 camera as fragmented MP4 (an init segment, then one fragment per
// picture), for the page's player and for ffmpeg, VLC and go2rtc. Only while the camera is in
// H.264 mode; the MJPEG routes are the other mode's.

const MP4_HEADERS: Record<string, string> = {
  'Content-Type': 'video/mp4',
  'Cache-Control': `${NO_STORE}, no-cache, must-revalidate`,
  Pragma: 'no-cache',
  'X-Content-Type-Options': 'nosniff',
  // See stream-route.ts: nginx passes each fragment on at once.
  'X-Accel-Buffering': 'no',
};

export interface Mp4StreamDeps {
  feed: VideoFeed<Mp4Viewer>;
  logger: Logger;
  now: Now;
  /** The codec the camera is set to now. */
  codec: () => 'mjpeg' | 'h264';
  privacy: () => boolean;
  maxViewers: () => number;
  /** What one viewer may have waiting: references into the current group of pictures. */
  maxPendingBytes: number;
  onViewersChanged?: () => void;
}

export function mp4StreamReply(req: Request, deps: Mp4StreamDeps): Reply {
  const { feed, logger, now } = deps;
  if (deps.codec() !== 'h264') {
    return problem(503, 'camera-in-mjpeg-mode', 'The camera is in MJPEG mode: watch /stream.mjpg, or choose H.264 under Settings, Video.');
  }
  if (!feed.ready) {
    const why = deps.privacy() ? 'Privacy mode is on: the camera is switched off.' : 'The camera has not sent its first H.264 picture yet.';
    return problem(503, deps.privacy() ? 'privacy' : 'no-frame', why, { 'Retry-After': '2' });
  }
  if (feed.full) {
    return closing(
      problem(503, 'too-many-viewers', `All ${deps.maxViewers()} viewer slots are taken; try again shortly.`, { 'Retry-After': '5' }),
    );
  }
  const head: Response = { status: 200, headers: MP4_HEADERS, body: '' };
  return {
    head,
    takeover: ({ res, headers, onAborted }) => {
      const remote = req.remote;
      // Through a reverse proxy the body goes chunked, so Caddy passes each fragment on at once (see ResponseSink).
      const framing = cameThroughProxy(req.headers) ? 'chunked' : 'length';
      const viewer = new Mp4Viewer(feed.allocateId(), res, now, deps.maxPendingBytes, remote, framing);
      onAborted(() => {
        viewer.markClosed();
        feed.remove(viewer);
        const s = viewer.stats();
        logger.info(
          `H.264 viewer ${s.id} (${remote}) left after ${(s.connectedMs / 1000).toFixed(1)} s: ` +
            `${s.delivered} pictures delivered, ${s.skipped} skipped, ${s.resyncs} resynchronised; ${feed.viewerCount} watching`,
        );
        deps.onViewersChanged?.();
      });
      res.writeStatus(statusLine(200));
      for (const name in headers) res.writeHeader(name, headers[name]!);
      for (const name in MP4_HEADERS) res.writeHeader(name, MP4_HEADERS[name]!);
      viewer.open();
      feed.add(viewer);
      logger.info(`H.264 viewer ${viewer.id} (${remote}) joined; ${feed.viewerCount} watching`);
      deps.onViewersChanged?.();
    },
  };
}
