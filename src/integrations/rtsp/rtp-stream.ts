import { INTERLEAVED_HEADER_BYTES, RTP_HEADER_BYTES, writeInterleavedHeader, writeRtpHeader, type RtpPayload } from '../../formats/rtp/packet.js';
import { senderReport } from '../../formats/rtp/rtcp.js';

// One RTSP session's RTP stream: its SSRC, sequence numbers, its timestamps' random base, the counts a
// sender report needs, and where the packets go: the RTSP connection (interleaved) or two UDP ports
// of the client. What is waiting to go out is the pacing's measure of a client that falls behind.

/** Where one session's packets go. */
export interface RtpTransport {
  /** One picture's packets, each complete (header and payload), in order. */
  sendPackets(packets: ReadonlyArray<{ header: Buffer; payload: RtpPayload }>): void;
  sendRtcp(packet: Buffer): void;
  /** Bytes handed over that have not gone out yet. */
  backlog(): number;
}

/** RTP over the RTSP connection: one buffer per picture, one write (a copy, for a single syscall). */
export class InterleavedTransport implements RtpTransport {
  constructor(
    private readonly socket: { write(data: Buffer): boolean; readonly writableLength: number; readonly destroyed: boolean },
    private readonly rtpChannel: number,
    private readonly rtcpChannel: number,
  ) {}

  sendPackets(packets: ReadonlyArray<{ header: Buffer; payload: RtpPayload }>): void {
    if (this.socket.destroyed) return;
    let total = 0;
    for (const p of packets) total += INTERLEAVED_HEADER_BYTES + p.header.length + p.payload.bytes;
    const out = Buffer.allocUnsafe(total);
    let at = 0;
    for (const p of packets) {
      writeInterleavedHeader(out, at, this.rtpChannel, p.header.length + p.payload.bytes);
      at += INTERLEAVED_HEADER_BYTES;
      at += p.header.copy(out, at);
      for (const part of p.payload.parts) at += part.copy(out, at);
    }
    this.socket.write(out);
  }

  sendRtcp(packet: Buffer): void {
    if (this.socket.destroyed) return;
    const out = Buffer.allocUnsafe(INTERLEAVED_HEADER_BYTES + packet.length);
    writeInterleavedHeader(out, 0, this.rtcpChannel, packet.length);
    packet.copy(out, INTERLEAVED_HEADER_BYTES);
    this.socket.write(out);
  }

  backlog(): number {
    return this.socket.writableLength;
  }
}

/** What UdpTransport needs of the server's two UDP sockets. */
export interface UdpSockets {
  sendRtp(parts: readonly Buffer[], port: number, address: string): void;
  sendRtcp(packet: Buffer, port: number, address: string): void;
  /** Bytes queued for sending on the RTP socket, over every session. */
  queued(): number;
}

/** RTP over UDP to the client's address (never another: see transport.ts), no copies. */
export class UdpTransport implements RtpTransport {
  constructor(
    private readonly sockets: UdpSockets,
    private readonly address: string,
    private readonly rtpPort: number,
    private readonly rtcpPort: number,
  ) {}

  sendPackets(packets: ReadonlyArray<{ header: Buffer; payload: RtpPayload }>): void {
    for (const p of packets) this.sockets.sendRtp([p.header, ...p.payload.parts], this.rtpPort, this.address);
  }

  sendRtcp(packet: Buffer): void {
    this.sockets.sendRtcp(packet, this.rtcpPort, this.address);
  }

  backlog(): number {
    return this.sockets.queued();
  }
}

export interface RtpStreamOptions {
  payloadType: number;
  ssrc: number;
  /** Random start of the sequence numbers and of the timestamps (RFC 3550 5.1). */
  firstSequence: number;
  timestampBase: number;
  cname: string;
}

export class RtpStream {
  private sequence: number;
  private packets = 0;
  private octets = 0;
  /** The last picture sent: its RTP timestamp and when (monotonic ms), for the sender report. */
  private last: { timestamp: number; atMs: number } | undefined;

  constructor(
    readonly transport: RtpTransport,
    private readonly options: RtpStreamOptions,
  ) {
    this.sequence = options.firstSequence;
  }

  get ssrc(): number {
    return this.options.ssrc;
  }

  /** The sequence number the next packet gets (RTP-Info's seq). */
  get nextSequence(): number {
    return this.sequence & 0xffff;
  }

  /** The RTP timestamp of a media time in 90 kHz ticks. */
  timestampOf(ticks: number): number {
    return (this.options.timestampBase + Math.round(ticks)) >>> 0;
  }

  /** Sends one picture; `ticks`: its time in 90 kHz ticks, `atMs`: when it was published. */
  sendPicture(payloads: readonly RtpPayload[], ticks: number, atMs: number): number {
    const timestamp = this.timestampOf(ticks);
    const packets = payloads.map((payload) => {
      const header = Buffer.allocUnsafe(RTP_HEADER_BYTES);
      writeRtpHeader(header, 0, { payloadType: this.options.payloadType, sequence: this.sequence++, timestamp, ssrc: this.options.ssrc, marker: payload.marker });
      this.packets++;
      this.octets += payload.bytes;
      return { header, payload };
    });
    this.transport.sendPackets(packets);
    this.last = { timestamp, atMs };
    let bytes = 0;
    for (const p of packets) bytes += RTP_HEADER_BYTES + p.payload.bytes;
    return bytes;
  }

  /** A sender report now: the RTP time of this moment extrapolated from the last picture. */
  sendReport(wallMs: number, nowMs: number): void {
    if (!this.last) return;
    const rtpTimestamp = (this.last.timestamp + Math.round((nowMs - this.last.atMs) * 90)) >>> 0;
    this.transport.sendRtcp(senderReport({ ssrc: this.options.ssrc, wallMs, rtpTimestamp, packets: this.packets, octets: this.octets, cname: this.options.cname }));
  }
}
