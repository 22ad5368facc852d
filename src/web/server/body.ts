import type { HttpResponse } from 'uWebSockets.js';

export type BodyResult = { ok: true; body: Buffer } | { ok: false; tooLarge: true };

/**
 * Collects a request body of at most `limit` bytes. Must be called inside the handler (uWebSockets.js
 * wants onData registered there). A body over the limit settles at the first chunk past it, and
 * nothing more is buffered. An aborted request never settles; the router notes the abort itself.
 */
export function collectBody(res: HttpResponse, limit: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let finished = false;
    res.onData((chunk, isLast) => {
      if (finished) return;
      size += chunk.byteLength;
      if (size > limit) {
        finished = true;
        resolve({ ok: false, tooLarge: true });
        return;
      }
      // uWebSockets.js reuses the chunk's memory after this callback returns: copy it.
      chunks.push(Buffer.from(new Uint8Array(chunk).slice()));
      if (isLast) {
        finished = true;
        resolve({ ok: true, body: Buffer.concat(chunks) });
      }
    });
  });
}
