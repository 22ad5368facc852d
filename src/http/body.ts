import type { HttpResponse } from 'uWebSockets.js';

export type BodyResult = { ok: true; body: Buffer } | { ok: false; tooLarge: true };

/**
 * Reads a request body of at most `limit` bytes. Calls back once; a body over the limit is cut off
 * at the first chunk past it (the caller answers 413), and nothing more is buffered. Registers
 * onAborted: the callback never runs for an aborted request, and the returned object says whether
 * the request was aborted later (before an asynchronous answer).
 */
export function readBody(res: HttpResponse, limit: number, done: (result: BodyResult) => void): { readonly aborted: boolean } {
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const request = { aborted: false };
  res.onAborted(() => {
    finished = true;
    request.aborted = true;
  });
  res.onData((chunk, isLast) => {
    if (finished) return;
    size += chunk.byteLength;
    if (size > limit) {
      finished = true;
      done({ ok: false, tooLarge: true });
      return;
    }
    // uWebSockets.js reuses the chunk's memory after this callback returns: copy it.
    chunks.push(Buffer.from(new Uint8Array(chunk).slice()));
    if (isLast) {
      finished = true;
      done({ ok: true, body: Buffer.concat(chunks) });
    }
  });
  return request;
}
