// The bench's RTSP viewer: OPTIONS, DESCRIBE, SETUP (RTP over the RTSP connection, interleaved
// TCP), PLAY, with Digest when the server asks; then it counts RTP packets, bytes and pictures (the
// marker bit ends one) and the packets lost, from the RTP sequence numbers. The parsing is pure
// (InterleavedReader, RtpTally) and tested in rtsp-counter.test.ts; RtspViewer is the socket around it.
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export type RtspItem = { kind: 'response'; status: number; headers: Map<string, string>; body: string } | { kind: 'frame'; channel: number; payload: Buffer };

/** Longest RTSP response head the bench accepts: anything longer means the stream is out of step. */
const MAX_HEAD = 16 * 1024;

/**
 * Splits what an RTSP connection receives into responses and interleaved frames ('$', channel,
 * 16-bit length, data; RFC 2326 10.12), keeping an unfinished tail for the next chunk.
 */
export class InterleavedReader {
  private tail: Buffer = Buffer.alloc(0);

  /** The items complete with this chunk; throws when the bytes are neither (the stream is broken). */
  push(chunk: Buffer): RtspItem[] {
    const buf = this.tail.length ? Buffer.concat([this.tail, chunk]) : chunk;
    const out: RtspItem[] = [];
    let at = 0;
    while (at < buf.length) {
      if (buf[at] === 0x24) {
        if (buf.length - at < 4) break;
        const length = buf.readUInt16BE(at + 2);
        if (buf.length - at < 4 + length) break;
        out.push({ kind: 'frame', channel: buf[at + 1]!, payload: buf.subarray(at + 4, at + 4 + length) });
        at += 4 + length;
        continue;
      }
      const end = buf.indexOf('\r\n\r\n', at, 'latin1');
      if (end < 0) {
        if (buf.length - at > MAX_HEAD) throw new Error('an RTSP response head longer than 16 KiB, or bytes out of step');
        break;
      }
      const lines = buf.toString('latin1', at, end).split('\r\n');
      const m = /^RTSP\/1\.0 (\d{3})/.exec(lines[0]!);
      if (!m) throw new Error(`not an RTSP response nor an interleaved frame: ${JSON.stringify(lines[0]!.slice(0, 40))}`);
      const headers = new Map<string, string>();
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        // A repeated header (WWW-Authenticate: Digest, then Basic) keeps every value, one a line.
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers.set(name, headers.has(name) ? `${headers.get(name)}\n${value}` : value);
      }
      const length = Number(headers.get('content-length') ?? 0);
      if (buf.length < end + 4 + length) break;
      out.push({ kind: 'response', status: Number(m[1]), headers, body: buf.toString('latin1', end + 4, end + 4 + length) });
      at = end + 4 + length;
    }
    // Copy the tail: the chunk's buffer may be reused by the caller.
    this.tail = at < buf.length ? Buffer.from(buf.subarray(at)) : Buffer.alloc(0);
    return out;
  }
}

/** Counts one RTP stream: packets, bytes (RTP payload and headers), pictures, lost packets by sequence number. */
export class RtpTally {
  packets = 0;
  bytes = 0;
  pictures = 0;
  /** Packets missing between two received ones (sequence numbers wrap at 2^16). */
  lost = 0;
  /** Times the sequence jumped (one gap may lose many packets). */
  gaps = 0;
  /** Packets that came again or out of order (a sequence number behind the last). */
  reordered = 0;
  private last = -1;

  add(packet: Buffer): void {
    if (packet.length < 12 || packet[0]! >> 6 !== 2) throw new Error(`not an RTP packet (${packet.length} bytes)`);
    this.packets++;
    this.bytes += packet.length;
    if (packet[1]! & 0x80) this.pictures++;
    const seq = packet.readUInt16BE(2);
    if (this.last >= 0) {
      const step = (seq - this.last + 0x10000) & 0xffff;
      // A step in the upper half of the space is a packet from behind, not a gap of 30 000.
      if (step === 0 || step >= 0x8000) {
        this.reordered++;
        return;
      }
      if (step > 1) {
        this.gaps++;
        this.lost += step - 1;
      }
    }
    this.last = seq;
  }
}

/** Digest (RFC 2617, MD5, qop "auth" when offered) for one request. */
export function digestAuthorization(challenge: string, user: string, password: string, method: string, uri: string, nc: number, cnonce = 'bench'): string {
  const param = (name: string) => new RegExp(`${name}="?([^",]*)"?`, 'i').exec(challenge)?.[1];
  const md5 = (s: string) => createHash('md5').update(s).digest('hex');
  const realm = param('realm') ?? '';
  const nonce = param('nonce') ?? '';
  const qop = /auth/.test(param('qop') ?? '') ? 'auth' : undefined;
  const ha1 = md5(`${user}:${realm}:${password}`);
  const ha2 = md5(`${method}:${uri}`);
  const ncText = nc.toString(16).padStart(8, '0');
  const response = qop ? md5(`${ha1}:${nonce}:${ncText}:${cnonce}:${qop}:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
  const parts = [`username="${user}"`, `realm="${realm}"`, `nonce="${nonce}"`, `uri="${uri}"`, `response="${response}"`];
  if (qop) parts.push(`qop=${qop}`, `nc=${ncText}`, `cnonce="${cnonce}"`);
  const opaque = param('opaque');
  if (opaque !== undefined) parts.push(`opaque="${opaque}"`);
  return `Digest ${parts.join(', ')}`;
}

/** One RTSP viewer over interleaved TCP; `tally` counts channel 0 (RTP) once playing. */
export class RtspViewer {
  readonly tally = new RtpTally();
  rtcpPackets = 0;
  error: string | undefined;
  closed = false;
  private socket: Socket | undefined;
  private readonly reader = new InterleavedReader();
  private cseq = 0;
  private session: string | undefined;
  private authorization: string | undefined;
  private challenge: string | undefined;
  private pending: ((r: Extract<RtspItem, { kind: 'response' }>) => void) | undefined;

  constructor(
    private readonly url: string,
    private readonly credentials?: { user: string; password: string },
    /** A loopback source address of its own: picamd takes at most 16 RTSP connections from one address. */
    private readonly localAddress?: string,
  ) {}

  /** Connects and plays; resolves once PLAY is answered 200. */
  async start(): Promise<void> {
    const u = new URL(this.url);
    this.socket = connect({ port: Number(u.port || 554), host: u.hostname, ...(this.localAddress ? { localAddress: this.localAddress } : {}) });
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => {
      try {
        for (const item of this.reader.push(chunk)) {
          if (item.kind === 'response') {
            const p = this.pending;
            this.pending = undefined;
            p?.(item);
          } else if (item.channel === 0) this.tally.add(item.payload);
          else this.rtcpPackets++;
        }
      } catch (err) {
        this.error = (err as Error).message;
        this.socket?.destroy();
      }
    });
    this.socket.on('error', (err) => (this.error ??= err.message));
    this.socket.on('close', () => (this.closed = true));
    await new Promise<void>((resolve, reject) => {
      this.socket!.once('connect', resolve);
      this.socket!.once('error', reject);
    });
    await this.request('OPTIONS', this.url);
    const described = await this.request('DESCRIBE', this.url, [['Accept', 'application/sdp']]);
    const base = described.headers.get('content-base') ?? `${this.url}/`;
    const control = /^a=control:(.+)$/m.exec(described.body.split(/^m=/m)[1] ?? '')?.[1]?.trim() ?? '';
    const track = /^rtsp:/.test(control) ? control : new URL(control, base.endsWith('/') ? base : `${base}/`).href;
    const setup = await this.request('SETUP', track, [['Transport', 'RTP/AVP/TCP;unicast;interleaved=0-1']]);
    this.session = setup.headers.get('session')?.split(';')[0];
    await this.request('PLAY', this.url, [['Range', 'npt=0.000-']]);
  }

  close(): void {
    this.socket?.destroy();
  }

  private async request(method: string, uri: string, headers: Array<[string, string]> = []): Promise<Extract<RtspItem, { kind: 'response' }>> {
    for (let attempt = 0; ; attempt++) {
      if (this.challenge && this.credentials) {
        this.authorization = digestAuthorization(this.challenge, this.credentials.user, this.credentials.password, method, uri, this.cseq + 1);
      }
      const all: Array<[string, string]> = [['CSeq', String(++this.cseq)], ['User-Agent', 'picamd-bench'], ...headers];
      if (this.session) all.push(['Session', this.session]);
      if (this.authorization) all.push(['Authorization', this.authorization]);
      const response = new Promise<Extract<RtspItem, { kind: 'response' }>>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${method}: no response within 10 s`)), 10_000);
        this.pending = (r) => {
          clearTimeout(timer);
          resolve(r);
        };
      });
      this.socket!.write(`${method} ${uri} RTSP/1.0\r\n${all.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
      const r = await response;
      if (r.status === 401 && this.credentials && attempt === 0) {
        this.challenge = r.headers.get('www-authenticate')?.split('\n').find((c) => /^Digest /i.test(c));
        continue;
      }
      if (r.status !== 200) throw new Error(`${method}: RTSP ${r.status}`);
      return r;
    }
  }
}
