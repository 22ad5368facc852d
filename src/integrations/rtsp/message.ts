// The RTSP connection's incoming bytes (RFC 2326 section 6, RFC 7826 section 8): requests (a request
// line, headers, a body of Content-Length bytes) and, between them, the interleaved frames a client
// sends on the same connection ('$', channel, 16-bit length: its RTCP receiver reports). Pure: bytes
// in, messages out. Everything is bounded: the head, the number of headers, the body; a frame from
// the client is skipped as it arrives, never gathered. A malformed request ends the stream of
// messages with the error to answer; the connection then closes.

/** Request line and headers, at most. Real clients send a few hundred bytes. */
export const MAX_HEAD_BYTES = 8 * 1024;
export const MAX_HEADERS = 64;
/** SET_PARAMETER and GET_PARAMETER bodies are a few names; nothing else sends one. */
export const MAX_BODY_BYTES = 4 * 1024;

export interface RtspRequest {
  method: string;
  uri: string;
  /** Lower-case names; a repeated header's values joined with ", ". */
  headers: ReadonlyMap<string, string>;
  body: Buffer;
}

export type RtspEvent =
  | { kind: 'request'; request: RtspRequest }
  /** A frame the client sent on an interleaved channel (already skipped; for liveness). */
  | { kind: 'interleaved'; channel: number; length: number }
  /** Not RTSP: answer `status` (with the CSeq if it was readable) and close. */
  | { kind: 'error'; status: 400 | 413 | 431 | 505; message: string; cseq?: string };

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export class RtspParser {
  private tail: Buffer = Buffer.alloc(0);
  /** Bytes of a client's interleaved frame still to skip. */
  private skipping = 0;
  private failed = false;

  /** The messages completed by `chunk`, in order. After an error, nothing more. */
  push(chunk: Buffer): RtspEvent[] {
    if (this.failed) return [];
    const events: RtspEvent[] = [];
    let data = this.tail.length > 0 ? Buffer.concat([this.tail, chunk]) : chunk;
    this.tail = Buffer.alloc(0);
    for (;;) {
      if (this.skipping > 0) {
        const skip = Math.min(this.skipping, data.length);
        this.skipping -= skip;
        data = data.subarray(skip);
      }
      if (data.length === 0) return events;
      if (data[0] === 0x24) {
        if (data.length < 4) break;
        const channel = data[1]!;
        const length = data.readUInt16BE(2);
        events.push({ kind: 'interleaved', channel, length });
        this.skipping = length;
        data = data.subarray(4);
        continue;
      }
      // Blank lines between requests are allowed (RFC 7826 20.2.2 keeps HTTP's leniency).
      if (data[0] === 0x0d || data[0] === 0x0a) {
        data = data.subarray(1);
        continue;
      }
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) {
        if (data.length > MAX_HEAD_BYTES) return this.fail(events, 431, 'request header too large');
        break;
      }
      if (end > MAX_HEAD_BYTES) return this.fail(events, 431, 'request header too large');
      const head = parseHead(data.subarray(0, end).toString('latin1'));
      if ('status' in head) return this.fail(events, head.status, head.message, head.cseq);
      const lengthText = head.headers.get('content-length') ?? '0';
      if (!/^\d{1,9}$/.test(lengthText)) return this.fail(events, 400, 'bad Content-Length', head.headers.get('cseq'));
      const bodyBytes = Number(lengthText);
      if (bodyBytes > MAX_BODY_BYTES) return this.fail(events, 413, 'request body too large', head.headers.get('cseq'));
      if (data.length < end + 4 + bodyBytes) break;
      const body = Buffer.from(data.subarray(end + 4, end + 4 + bodyBytes));
      events.push({ kind: 'request', request: { method: head.method, uri: head.uri, headers: head.headers, body } });
      data = data.subarray(end + 4 + bodyBytes);
    }
    // Copied: the unfinished tail must not hold the socket's whole chunk.
    this.tail = Buffer.from(data);
    return events;
  }

  private fail(events: RtspEvent[], status: 400 | 413 | 431 | 505, message: string, cseq?: string): RtspEvent[] {
    this.failed = true;
    this.tail = Buffer.alloc(0);
    events.push({ kind: 'error', status, message, ...(cseq !== undefined ? { cseq } : {}) });
    return events;
  }
}

type Head = { method: string; uri: string; headers: Map<string, string> } | { status: 400 | 431 | 505; message: string; cseq?: string };

function parseHead(text: string): Head {
  const lines = text.split('\r\n');
  const requestLine = lines.shift() ?? '';
  const headers = new Map<string, string>();
  if (lines.length > MAX_HEADERS) return { status: 431, message: 'too many headers' };
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim().toLowerCase() : '';
    if (!TOKEN.test(name)) return { status: 400, message: 'malformed header line', cseq: headers.get('cseq') };
    const value = line.slice(colon + 1).trim();
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) return { status: 400, message: 'control characters in a header', cseq: headers.get('cseq') };
    const known = headers.get(name);
    headers.set(name, known === undefined ? value : `${known}, ${value}`);
  }
  const cseq = headers.get('cseq');
  const parts = requestLine.split(' ');
  if (parts.length !== 3 || !TOKEN.test(parts[0]!) || parts[1]!.length === 0 || /[\x00-\x20\x7f]/.test(parts[1]!)) {
    return { status: 400, message: 'malformed request line', cseq };
  }
  const version = parts[2]!;
  if (!/^RTSP\/\d\.\d$/.test(version)) return { status: 400, message: 'not an RTSP request', cseq };
  // RTSP/2.0 is another protocol on the wire (RFC 7826 keeps 1.0 apart); clients fall back to 1.0.
  if (version !== 'RTSP/1.0') return { status: 505, message: `${version} is not supported; use RTSP/1.0`, cseq };
  return { method: parts[0]!, uri: parts[1]!, headers };
}

const REASONS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Request Entity Too Large',
  431: 'Request Header Fields Too Large',
  451: 'Parameter Not Understood',
  453: 'Not Enough Bandwidth',
  454: 'Session Not Found',
  455: 'Method Not Valid in This State',
  459: 'Aggregate Operation Not Allowed',
  461: 'Unsupported Transport',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  505: 'RTSP Version Not Supported',
};

/** One response: status line, headers (CSeq first, as clients expect), a body with its length. */
export function formatResponse(status: number, headers: ReadonlyArray<[string, string]>, body: string | Buffer = ''): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const lines = [`RTSP/1.0 ${status} ${REASONS[status] ?? 'Unknown'}`];
  for (const [name, value] of headers) lines.push(`${name}: ${value.replace(/[\r\n]/g, ' ')}`);
  if (bytes.length > 0) lines.push(`Content-Length: ${bytes.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), bytes]);
}
