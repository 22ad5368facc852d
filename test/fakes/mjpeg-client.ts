import { connect, type Socket } from 'node:net';

/**
 * A strict multipart/x-mixed-replace client on a raw socket: it checks the status line, the
 * headers, the boundary, every part's headers and Content-Length, and the delimiter after every
 * JPEG, and fails on the first deviation.
 */
export interface MjpegClient {
  status: number;
  headers: Record<string, string>;
  /** The frames received, unless opened with keep: false. */
  frames: Buffer[];
  /** How many whole frames arrived. */
  count: number;
  /** Set when the stream broke the format; the client stops reading then. */
  error?: Error;
  closed: boolean;
  socket: Socket;
  /** Resolves once the response head has been read. */
  ready: Promise<void>;
  close(): void;
}

export function openMjpeg(
  port: number,
  path = '/stream.mjpg',
  {
    keep = true,
    host = '127.0.0.1',
    headers = {} as Record<string, string>,
    localAddress = undefined as string | undefined,
    allowChunked = false,
  } = {},
): MjpegClient {
  const socket = connect({ port, host, localAddress });
  const client: MjpegClient = {
    status: 0,
    headers: {},
    frames: [],
    count: 0,
    closed: false,
    socket,
    ready: undefined as unknown as Promise<void>,
    close: () => socket.destroy(),
  };
  let buffer: Buffer = Buffer.alloc(0);
  let stage: 'head' | 'preamble' | 'part-headers' | 'body' | 'delimiter' | 'done' = 'head';
  let boundary = '';
  let length = 0;
  let resolveReady!: () => void;
  let rejectReady!: (err: Error) => void;
  client.ready = new Promise((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  const fail = (message: string) => {
    client.error ??= new Error(message);
    stage = 'done';
    rejectReady(client.error);
    socket.destroy();
  };

  const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  socket.on('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\n${extra}\r\n`));
  socket.on('close', () => {
    client.closed = true;
    if (stage === 'head') rejectReady(new Error('connection closed before the response head'));
  });
  socket.on('error', () => {});
  // Through a reverse proxy the stream may come chunked; the multipart inside must be the same.
  let dechunk: ChunkedDecoder | undefined;
  socket.on('data', (raw: Buffer) => {
    let chunk = raw;
    if (dechunk) {
      const body = dechunk.push(raw);
      if (body instanceof Error) return fail(body.message);
      chunk = body;
    }
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
    for (;;) {
      if (stage === 'head') {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const [statusLine, ...lines] = buffer.subarray(0, end).toString('latin1').split('\r\n');
        buffer = buffer.subarray(end + 4);
        const m = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine!);
        if (!m) return fail(`bad status line: ${statusLine}`);
        client.status = Number(m[1]);
        for (const line of lines) {
          const i = line.indexOf(':');
          client.headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
        }
        resolveReady();
        if (client.status !== 200) {
          stage = 'done';
          return;
        }
        const type = /^multipart\/x-mixed-replace;\s*boundary=(\S+)$/.exec(client.headers['content-type'] ?? '');
        if (!type) return fail(`bad content type: ${client.headers['content-type']}`);
        if ('transfer-encoding' in client.headers) {
          if (!allowChunked || client.headers['transfer-encoding'] !== 'chunked') return fail('the stream must not be chunked');
          dechunk = new ChunkedDecoder();
          const body = dechunk.push(buffer);
          if (body instanceof Error) return fail(body.message);
          buffer = body;
        }
        boundary = type[1]!;
        stage = 'preamble';
      } else if (stage === 'preamble' || stage === 'delimiter') {
        const expected = stage === 'preamble' ? `--${boundary}\r\n` : `\r\n--${boundary}\r\n`;
        if (buffer.length < expected.length) {
          if (!Buffer.from(expected).subarray(0, buffer.length).equals(buffer)) return fail('bad delimiter');
          return;
        }
        if (buffer.subarray(0, expected.length).toString('latin1') !== expected) {
          return fail(`expected ${JSON.stringify(expected)}, got ${JSON.stringify(buffer.subarray(0, expected.length).toString('latin1'))}`);
        }
        buffer = buffer.subarray(expected.length);
        stage = 'part-headers';
      } else if (stage === 'part-headers') {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) {
          if (buffer.length > 1024) return fail('part headers too long');
          return;
        }
        const lines = buffer.subarray(0, end).toString('latin1').split('\r\n');
        buffer = buffer.subarray(end + 4);
        if (lines[0] !== 'Content-Type: image/jpeg') return fail(`bad part header: ${lines[0]}`);
        const len = /^Content-Length: (\d+)$/.exec(lines[1] ?? '');
        if (!len || lines.length !== 2) return fail(`bad part headers: ${JSON.stringify(lines)}`);
        length = Number(len[1]);
        stage = 'body';
      } else if (stage === 'body') {
        if (buffer.length < length) return;
        const jpeg = buffer.subarray(0, length);
        buffer = buffer.subarray(length);
        if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8 || jpeg[length - 2] !== 0xff || jpeg[length - 1] !== 0xd9) {
          return fail(`part ${client.count} is not a whole JPEG`);
        }
        client.count++;
        if (keep) client.frames.push(Buffer.from(jpeg));
        stage = 'delimiter';
      } else {
        return;
      }
    }
  });
  return client;
}

/** Undoes HTTP/1.1 chunked transfer coding (RFC 9112 7.1), strictly, whatever the chunking of its input. */
class ChunkedDecoder {
  private pending: Buffer = Buffer.alloc(0);
  private left = 0;
  private stage: 'size' | 'data' | 'data-end' | 'end' = 'size';

  push(input: Buffer): Buffer | Error {
    let data = this.pending.length ? Buffer.concat([this.pending, input]) : input;
    const out: Buffer[] = [];
    for (;;) {
      if (this.stage === 'size') {
        const end = data.indexOf('\r\n');
        if (end < 0) break;
        const line = data.subarray(0, end).toString('latin1');
        if (!/^[0-9a-fA-F]+$/.test(line)) return new Error(`bad chunk size line ${JSON.stringify(line)}`);
        this.left = parseInt(line, 16);
        data = data.subarray(end + 2);
        this.stage = this.left === 0 ? 'end' : 'data';
      } else if (this.stage === 'data') {
        if (data.length === 0) break;
        const take = Math.min(this.left, data.length);
        out.push(data.subarray(0, take));
        data = data.subarray(take);
        this.left -= take;
        if (this.left === 0) this.stage = 'data-end';
      } else if (this.stage === 'data-end') {
        if (data.length < 2) break;
        if (data[0] !== 0x0d || data[1] !== 0x0a) return new Error('chunk data not followed by CRLF');
        data = data.subarray(2);
        this.stage = 'size';
      } else {
        return new Error('the stream ended (last chunk)');
      }
    }
    this.pending = Buffer.from(data);
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }
}

/** GET a path with fetch and return status, headers and body bytes. */
export async function get(port: number, path: string, init?: RequestInit) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, init);
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}
