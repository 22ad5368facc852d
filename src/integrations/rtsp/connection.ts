import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { H264_PAYLOAD_TYPE } from '../../formats/rtp/h264.js';
import { JPEG_PAYLOAD_TYPE } from '../../formats/rtp/jpeg.js';
import { bye } from '../../formats/rtp/rtcp.js';
import { buildSdp, type SdpVideo } from '../../formats/rtp/sdp.js';
import type { Viewer } from '../../media/broadcaster.js';
import type { VideoFragment } from '../../media/gop-pacer.js';
import type { VideoViewer } from '../../media/video-feed.js';
import { errorText } from '../../platform/errors.js';
import { escapeForLog } from '../../platform/log/escape.js';
import type { Logger } from '../../platform/log/logger.js';
import type { ConnectionLogin, LoginOutcome, RtspLogin } from './login.js';
import { formatResponse, RtspParser, type RtspRequest } from './message.js';
import { H264Reader, JpegReader } from './readers.js';
import { InterleavedTransport, RtpStream, UdpTransport, type UdpSockets } from './rtp-stream.js';
import { chooseTransport, transportReply, type TransportChoice } from './transport.js';

// One RTSP connection (RFC 2326): its requests in order, its login, and at most one session with one
// track, whose RTP goes over this connection (interleaved) or to the client's UDP ports. Everything
// wrong with a request is answered on this connection and ends at most this connection.

export const STREAM_PATH = '/stream';
const TRACK = 'track1';
const PUBLIC = 'OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER';
/** Requests waiting behind one being answered (a password check); more and the client is not RTSP. */
const MAX_QUEUED_REQUESTS = 8;

/** The H.264 output as RTSP reads it (VideoFeed): RTSP's readers beside the HTTP viewers. */
export interface H264Output {
  readonly full: boolean;
  readonly group: readonly VideoFragment[];
  add(viewer: VideoViewer): boolean;
  remove(viewer: VideoViewer): void;
  allocateId(): number;
}

/** The MJPEG output as RTSP reads it (Broadcaster). */
export interface JpegOutput {
  readonly full: boolean;
  add(viewer: Viewer, freshMs: number): boolean;
  remove(viewer: Viewer): void;
  allocateId(): number;
}

export interface RtspMedia {
  codec: () => 'mjpeg' | 'h264';
  camera: () => { width: number; height: number; framerate: number };
  h264: H264Output;
  jpeg: JpegOutput;
}

export interface ConnectionContext {
  id: number;
  login: RtspLogin;
  media: RtspMedia;
  udp: (UdpSockets & { ports: { rtp: number; rtcp: number } }) | undefined;
  deviceName: () => string;
  now: () => number;
  wallNow: () => number;
  logger: Logger;
  sessionTimeoutS: number;
  maxBacklogBytes: number;
  /** A JPEG from the camera does not fit RTP/JPEG (counted once per frame). */
  jpegUnfit: (reason: string) => void;
  /** The connection closed (the server forgets it). */
  closed: (conn: RtspConnection) => void;
}

interface Session {
  id: string;
  codec: 'mjpeg' | 'h264';
  transport: TransportChoice;
  stream: RtpStream;
  reader?: H264Reader | JpegReader;
}

export class RtspConnection implements ConnectionLogin {
  readonly id: number;
  readonly remote: string;
  basic?: { header: string; user: string };
  checking?: boolean;
  /** Who logged in on this connection ('' with open viewing); undefined before a login. */
  user: string | undefined;
  /** Last time the client showed life: a request, an RTCP report (monotonic ms). */
  lastHeard: number;
  session: Session | undefined;
  private readonly parser = new RtspParser();
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  private ended = false;

  constructor(
    private readonly socket: Socket,
    private readonly ctx: ConnectionContext,
  ) {
    this.id = ctx.id;
    this.remote = socket.remoteAddress ?? 'unknown';
    this.lastHeard = ctx.now();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  /** The client's UDP RTCP port, for matching its receiver reports. */
  get udpRtcpPort(): number | undefined {
    return this.session?.transport.kind === 'udp' ? this.session.transport.rtcpPort : undefined;
  }

  get playing(): boolean {
    return this.session?.reader !== undefined;
  }

  /** The client sent an RTCP report (UDP): it is alive. */
  heard(): void {
    this.lastHeard = this.ctx.now();
  }

  /** A sender report for the session, if it plays. */
  report(): void {
    if (this.session?.reader) this.session.stream.sendReport(this.ctx.wallNow(), this.ctx.now());
  }

  /**
   * Ends the connection: the session's viewer leaves its output, a BYE goes out, the socket closes
   * (`flush`: once what was written has gone, e.g. the answer to a malformed request).
   */
  close(reason?: string, flush = false): void {
    if (this.ended) return;
    this.ended = true;
    if (reason) this.ctx.logger.info(`${this.remote}: ${reason}`);
    this.endSession();
    if (flush) {
      this.socket.end();
      this.socket.destroySoon();
      // A client that never reads what is left must not hold the socket.
      this.socket.setTimeout(5_000, () => this.socket.destroy());
    } else {
      this.socket.destroy();
    }
    this.ctx.closed(this);
  }

  private onData(chunk: Buffer): void {
    this.lastHeard = this.ctx.now();
    for (const event of this.parser.push(chunk)) {
      if (event.kind === 'interleaved') continue;
      if (event.kind === 'error') {
        this.ctx.logger.debug(`${this.remote}: ${event.message}`);
        this.write(formatResponse(event.status, [...(event.cseq ? [['CSeq', event.cseq] as [string, string]] : []), ['Connection', 'close']]));
        this.close(undefined, true);
        return;
      }
      if (++this.queued > MAX_QUEUED_REQUESTS) return this.close(`more than ${MAX_QUEUED_REQUESTS} requests waiting, closing`);
      const request = event.request;
      this.queue = this.queue
        .then(() => (this.ended ? undefined : this.handle(request)))
        .catch((err) => {
          this.ctx.logger.error(`${this.remote}: ${request.method} failed: ${errorText(err)}`);
          this.close();
        })
        .finally(() => void this.queued--);
    }
  }

  private async handle(req: RtspRequest): Promise<void> {
    const cseq = req.headers.get('cseq');
    const reply = (status: number, headers: Array<[string, string]> = [], body?: string) =>
      this.write(formatResponse(status, [...(cseq !== undefined ? [['CSeq', cseq] as [string, string]] : []), ['Server', 'picamd'], ...headers], body));
    const method = req.method;
    if (method === 'OPTIONS') return reply(200, [['Public', PUBLIC]]);
    if (method === 'ANNOUNCE' || method === 'RECORD') return reply(405, [['Allow', PUBLIC]]);
    if (!PUBLIC.split(', ').includes(method)) return reply(501, [['Allow', PUBLIC]]);

    const sessionHeader = req.headers.get('session')?.split(';')[0]?.trim();
    if (sessionHeader !== undefined && sessionHeader !== this.session?.id) return reply(454);
    if (this.session && sessionHeader !== undefined) this.lastHeard = this.ctx.now();

    if (this.user === undefined) {
      const outcome = await this.ctx.login.authenticate(this, method, req.headers.get('authorization'));
      if (this.ended) return;
      if (!this.admitted(outcome, reply)) return;
    }

    switch (method) {
      case 'DESCRIBE':
        return this.describe(req, reply);
      case 'SETUP':
        return this.setup(req, reply);
      case 'PLAY':
        return this.play(req, reply);
      case 'PAUSE':
        if (!this.session) return reply(454);
        this.stopReading();
        return reply(200, [['Session', this.sessionValue()]]);
      case 'TEARDOWN':
        if (!this.session) return reply(454);
        this.endSession();
        return reply(200);
      default:
        // GET_PARAMETER and SET_PARAMETER: the keep-alive. No parameters are readable or settable.
        if (method === 'SET_PARAMETER' && req.body.length > 0) return reply(451);
        return reply(200, this.session ? [['Session', this.sessionValue()]] : []);
    }
  }

  private admitted(outcome: LoginOutcome, reply: (status: number, headers?: Array<[string, string]>) => void): boolean {
    switch (outcome.kind) {
      case 'ok':
        this.user = outcome.user;
        return true;
      case 'challenge':
        reply(401, [['WWW-Authenticate', outcome.header]]);
        return false;
      case 'unavailable':
        reply(503, outcome.retryAfterS ? [['Retry-After', String(outcome.retryAfterS)]] : []);
        this.ctx.logger.debug(`${this.remote}: 503, ${outcome.message}`);
        return false;
    }
  }

  private describe(req: RtspRequest, reply: (status: number, headers?: Array<[string, string]>, body?: string) => void): void {
    if (streamPart(req.uri) !== '') return reply(404);
    const { media } = this.ctx;
    const codec = media.codec();
    const camera = media.camera();
    let video: SdpVideo;
    if (codec === 'h264') {
      const unit = media.h264.group[0]?.picture?.unit;
      video = { codec: 'h264', ...(unit?.sps && unit.pps ? { sps: unit.sps, pps: unit.pps } : {}), framerate: camera.framerate };
    } else {
      video = { codec: 'jpeg', width: camera.width, height: camera.height, framerate: camera.framerate };
    }
    const local = this.socket.localAddress ?? '0.0.0.0';
    const sdp = buildSdp({ sessionId: String(this.ctx.id), address: local.replace(/^::ffff:/, ''), name: this.ctx.deviceName(), control: TRACK, video });
    const base = req.uri.replace(/\/?$/, '/');
    reply(200, [['Content-Base', base], ['Content-Type', 'application/sdp']], sdp);
  }

  private setup(req: RtspRequest, reply: (status: number, headers?: Array<[string, string]>) => void): void {
    const part = streamPart(req.uri);
    if (part !== '' && part !== TRACK) return reply(404);
    const choice = chooseTransport(req.headers.get('transport'));
    if ('error' in choice) return reply(461);
    if (choice.kind === 'udp' && !this.ctx.udp) return reply(461);
    if (this.session?.reader) return reply(455);
    const codec = this.ctx.media.codec();
    const ssrc = randomBytes(4).readUInt32BE(0);
    const transport =
      choice.kind === 'tcp'
        ? new InterleavedTransport(this.socket, choice.rtpChannel, choice.rtcpChannel)
        : new UdpTransport(this.ctx.udp!, this.remote, choice.rtpPort, choice.rtcpPort);
    const random = randomBytes(6);
    const stream = new RtpStream(transport, {
      payloadType: codec === 'h264' ? H264_PAYLOAD_TYPE : JPEG_PAYLOAD_TYPE,
      ssrc,
      firstSequence: random.readUInt16BE(0),
      timestampBase: random.readUInt32BE(2),
      cname: `picamd@${this.ctx.deviceName().replace(/[^\x21-\x7e]/g, '')}`,
    });
    this.session = { id: this.session?.id ?? randomBytes(8).toString('hex'), codec, transport: choice, stream };
    this.lastHeard = this.ctx.now();
    reply(200, [
      ['Transport', transportReply(choice, ssrc, choice.kind === 'udp' ? this.ctx.udp!.ports : undefined)],
      ['Session', this.sessionValue()],
    ]);
  }

  private play(req: RtspRequest, reply: (status: number, headers?: Array<[string, string]>) => void): void {
    const session = this.session;
    if (!session) return reply(454);
    if (session.reader) return reply(200, [['Session', this.sessionValue()], ['Range', 'npt=0.000-']]);
    const { media } = this.ctx;
    if (media.codec() !== session.codec) {
      reply(503);
      return this.close('the camera changed codec since SETUP, closing');
    }
    const output = session.codec === 'h264' ? media.h264 : media.jpeg;
    if (output.full) {
      this.ctx.logger.warn(`${this.remote}: RTSP viewer refused: every viewer slot is taken`);
      return reply(453);
    }
    const base = req.uri.replace(/\/?$/, '');
    reply(200, [
      ['Session', this.sessionValue()],
      ['Range', 'npt=0.000-'],
      ['RTP-Info', `url=${base.endsWith(TRACK) ? base : `${base}/${TRACK}`};seq=${session.stream.nextSequence}`],
    ]);
    const options = {
      id: output.allocateId(),
      remote: this.remote,
      stream: session.stream,
      now: this.ctx.now,
      maxBacklogBytes: this.ctx.maxBacklogBytes,
      onClose: () => this.close('the stream changed (size or codec), closing so the client reads the new one'),
    };
    let joined: boolean;
    if (session.codec === 'h264') {
      const reader = new H264Reader(options);
      session.reader = reader;
      joined = media.h264.add(reader);
    } else {
      const reader = new JpegReader(options, this.ctx.jpegUnfit);
      session.reader = reader;
      joined = media.jpeg.add(reader, 2_000);
    }
    if (!joined) {
      session.reader = undefined;
      return this.close('no viewer slot after PLAY, closing');
    }
    const user = this.user ? `${escapeForLog(this.user, 64)} ` : '';
    this.ctx.logger.info(`RTSP viewer ${options.id} ${user}from ${this.remote} plays ${session.codec === 'h264' ? 'H.264' : 'MJPEG'} over ${session.transport.kind === 'tcp' ? 'TCP' : 'UDP'}`);
  }

  private sessionValue(): string {
    return `${this.session!.id};timeout=${this.ctx.sessionTimeoutS}`;
  }

  /** The viewer leaves its output; the session stays (PAUSE). */
  private stopReading(): void {
    const session = this.session;
    const reader = session?.reader;
    if (!session || !reader) return;
    session.reader = undefined;
    if (reader instanceof H264Reader) this.ctx.media.h264.remove(reader);
    else this.ctx.media.jpeg.remove(reader);
    const s = reader.stats();
    this.ctx.logger.info(`RTSP viewer ${reader.id} from ${this.remote} left: ${s.delivered} pictures delivered, ${s.skipped} skipped`);
  }

  private endSession(): void {
    const session = this.session;
    if (!session) return;
    const wasPlaying = session.reader !== undefined;
    this.stopReading();
    if (wasPlaying) session.stream.transport.sendRtcp(bye(session.stream.ssrc));
    this.session = undefined;
  }

  private write(data: Buffer): void {
    if (!this.ended && !this.socket.destroyed) this.socket.write(data);
  }
}

/**
 * What follows /stream in a request URI ('' for the stream itself, 'track1' for its track), or
 * undefined for another path. Absolute (rtsp://host:port/stream) or a bare path.
 */
export function streamPart(uri: string): string | undefined {
  let path = uri;
  const scheme = /^rtsp[su]?:\/\/[^/]*/i.exec(uri);
  if (scheme) path = uri.slice(scheme[0].length) || '/';
  path = path.split('?')[0]!.replace(/\/+$/, '');
  if (path === STREAM_PATH) return '';
  if (path.startsWith(`${STREAM_PATH}/`)) return path.slice(STREAM_PATH.length + 1);
  return undefined;
}
