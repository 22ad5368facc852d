// Reads multipart/x-mixed-replace (the MJPEG stream) from fetch() chunks, so the page sees every
// frame arrive: an <img src="/stream.mjpg"> gives no event when its connection dies, and the page
// could not tell "reconnecting" from a still picture.

/** The boundary parameter of a Content-Type, without quotes. */
export function boundaryOf(contentType: string | null): string | undefined {
  const m = /;\s*boundary=("?)([^";]+)\1/i.exec(contentType ?? '');
  return m?.[2];
}

const CR = 13;
const LF = 10;

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number, to: number): number {
  const first = needle[0];
  const last = to - needle.length;
  outer: for (let i = haystack.indexOf(first as number, from); i !== -1 && i <= last; i = haystack.indexOf(first as number, i + 1)) {
    for (let j = 1; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

const encode = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

/**
 * Push chunks in, get whole part bodies out. Parts with a Content-Length are cut by it; parts
 * without one end at the next delimiter. Bytes are kept only for the part being read, up to
 * `maxPartBytes`; a larger part is skipped.
 */
export class MultipartReader {
  private buf = new Uint8Array(64 * 1024);
  private start = 0;
  private end = 0;
  private stage: 'boundary' | 'headers' | 'body' = 'boundary';
  private length = -1;
  private readonly delimiter: Uint8Array;
  private readonly crlfDelimiter: Uint8Array;
  private static readonly headerEnd = encode('\r\n\r\n');
  /** Parts too large to keep. */
  skipped = 0;

  constructor(
    boundary: string,
    private readonly maxPartBytes = 16 * 1024 * 1024,
  ) {
    this.delimiter = encode(`--${boundary}`);
    this.crlfDelimiter = encode(`\r\n--${boundary}`);
  }

  push(chunk: Uint8Array): Uint8Array[] {
    this.append(chunk);
    const parts: Uint8Array[] = [];
    for (;;) {
      if (this.stage === 'boundary') {
        const at = indexOf(this.buf, this.delimiter, this.start, this.end);
        if (at === -1) {
          // Keep a tail that could be the start of a delimiter split across chunks.
          this.start = Math.max(this.start, this.end - this.delimiter.length);
          break;
        }
        // The delimiter line: `--boundary` then optional spaces and CRLF.
        const lineEnd = this.buf.indexOf(LF, at + this.delimiter.length);
        if (lineEnd === -1 || lineEnd >= this.end) break;
        this.start = lineEnd + 1;
        this.stage = 'headers';
      }
      if (this.stage === 'headers') {
        // Headers end with an empty line; a part may also have no headers at all.
        let bodyStart: number;
        if (this.end - this.start >= 2 && this.buf[this.start] === CR && this.buf[this.start + 1] === LF) {
          bodyStart = this.start + 2;
          this.length = -1;
        } else {
          const at = indexOf(this.buf, MultipartReader.headerEnd, this.start, this.end);
          if (at === -1) {
            if (this.end - this.start > 8192) this.reset(); // not headers: resynchronise
            break;
          }
          this.length = contentLength(this.buf.subarray(this.start, at));
          bodyStart = at + 4;
        }
        this.start = bodyStart;
        this.stage = 'body';
      }
      if (this.stage === 'body') {
        let bodyEnd: number;
        if (this.length >= 0) {
          if (this.length > this.maxPartBytes) {
            this.skipped++;
            this.stage = 'boundary';
            continue;
          }
          if (this.end - this.start < this.length) break;
          bodyEnd = this.start + this.length;
        } else {
          const at = indexOf(this.buf, this.crlfDelimiter, this.start, this.end);
          if (at === -1) {
            if (this.end - this.start > this.maxPartBytes) {
              this.skipped++;
              this.stage = 'boundary';
            }
            break;
          }
          bodyEnd = at;
        }
        parts.push(this.buf.slice(this.start, bodyEnd));
        this.start = bodyEnd;
        this.stage = 'boundary';
      }
    }
    return parts;
  }

  private reset(): void {
    this.start = this.end;
    this.stage = 'boundary';
  }

  private append(chunk: Uint8Array): void {
    if (this.end + chunk.length > this.buf.length) {
      const kept = this.end - this.start;
      if (kept + chunk.length > this.buf.length) {
        const grown = new Uint8Array(Math.max(kept + chunk.length, this.buf.length * 2));
        grown.set(this.buf.subarray(this.start, this.end));
        this.buf = grown;
      } else {
        this.buf.copyWithin(0, this.start, this.end);
      }
      this.start = 0;
      this.end = kept;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }
}

function contentLength(headers: Uint8Array): number {
  let text = '';
  for (const byte of headers) text += String.fromCharCode(byte);
  const m = /(?:^|\r\n)content-length:\s*(\d+)/i.exec(text);
  return m ? Number(m[1]) : -1;
}
