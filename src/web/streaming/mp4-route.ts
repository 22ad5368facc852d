import { GopPacer } from '../../media/gop-pacer.js';
import type { VideoFeed } from '../../media/video-feed.js';
import type { Now } from '../../platform/clock.js';
import { problem } from '../server/response.js';
import { streamHeaders, type StreamOutput } from './stream-route.js';
import type { StreamViewer } from './stream-viewer.js';

// GET /stream.mp4: the H.264 camera as fragmented MP4 (an init segment, then one fragment per
// picture), for the page's player and for ffmpeg, VLC and go2rtc. Only while the camera is in
// H.264 mode; the MJPEG routes are the other mode's. Each viewer gets its pictures in order and
// skips to the next keyframe when a whole group behind (GopPacer).

export type Mp4Viewer = StreamViewer<GopPacer>;

export interface Mp4StreamDeps {
  feed: VideoFeed<Mp4Viewer>;
  now: Now;
  /** The codec the camera is set to now. */
  codec: () => 'mjpeg' | 'h264';
  privacy: () => boolean;
  /** What one viewer may have waiting: references into the current group of pictures. */
  maxPendingBytes: number;
}

const HEADERS = streamHeaders('video/mp4');
/** The init segment comes with the group of pictures, from the feed. */
const NO_PREAMBLE = Buffer.alloc(0);

export function mp4Stream(deps: Mp4StreamDeps): StreamOutput<GopPacer> {
  const { feed, now } = deps;
  return {
    output: feed,
    headers: HEADERS,
    preamble: NO_PREAMBLE,
    noun: 'H.264 viewer',
    accept: () => {
      if (deps.codec() !== 'h264') {
        return problem(503, 'camera-in-mjpeg-mode', 'The camera is in MJPEG mode: watch /stream.mjpg, or choose H.264 under Settings, Video.');
      }
      if (!feed.ready) {
        const why = deps.privacy() ? 'Privacy mode is on: the camera is switched off.' : 'The camera has not sent its first H.264 picture yet.';
        return problem(503, deps.privacy() ? 'privacy' : 'no-frame', why, { 'Retry-After': '2' });
      }
      return { pacer: (id, sink) => new GopPacer(id, sink, now, deps.maxPendingBytes) };
    },
    join: (viewer) => feed.add(viewer),
    tally: (s) => `${s.delivered} pictures delivered, ${s.skipped} skipped, ${s.resyncs} resynchronised`,
  };
}
