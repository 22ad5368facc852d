// The live picture's connection: /stream.mjpg read with fetch() and cut into JPEGs here, so the
// page sees every frame and every drop (an <img> gives no event when its connection dies). It
// repairs itself (connection.ts). What a frame looks like on screen is picture.ts's business.

import { ReconnectingStream, type ConnectionDeps } from './connection.js';
import { boundaryOf, MultipartReader } from './multipart.js';
import { httpUrl } from './net.js';

export { STALL_MS, type StreamState } from './connection.js';
export const STREAM_PATH = '/stream.mjpg';

export interface StreamDeps extends ConnectionDeps {
  /** A JPEG arrived. */
  onFrame: (jpeg: Uint8Array) => void;
  /** A browser without streamed fetch bodies: show this URL in the <img> and let it decode MJPEG itself. */
  onNativeStream: (url: string) => void;
}

export class LiveStream extends ReconnectingStream {
  constructor(private readonly streamDeps: StreamDeps) {
    super(streamDeps, STREAM_PATH);
  }

  protected async consume(res: Response, controller: AbortController, generation: number): Promise<void> {
    if (!res.body) {
      this.wanted = false;
      this.streamDeps.onNativeStream(httpUrl(this.deps.location, STREAM_PATH));
      this.set('live');
      return;
    }
    const reader = new MultipartReader(boundaryOf(res.headers.get('content-type')) ?? 'picamd-frame-boundary');
    const body = res.body.getReader();
    for (;;) {
      const { done, value } = await body.read();
      if (done || generation !== this.generation) return;
      for (const jpeg of reader.push(value)) {
        this.alive(controller);
        this.streamDeps.onFrame(jpeg);
        if (this.state !== 'live') this.set('live');
      }
    }
  }
}
