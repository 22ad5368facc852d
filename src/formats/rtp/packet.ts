// RTP (RFC 3550) packets as picamd sends them: a 12-byte header (version 2, no padding, extension or
// CSRC) before a payload given as pieces, so a payload can be slices of a shared picture buffer that
// no viewer copies. The interleaved frame of RTSP over TCP (RFC 2326 10.12) is here too. Pure.

export const RTP_HEADER_BYTES = 12;
export const INTERLEAVED_HEADER_BYTES = 4;

/** One packet's payload: pieces sent back to back, and whether it ends a picture (the marker bit). */
export interface RtpPayload {
  readonly parts: readonly Buffer[];
  readonly bytes: number;
  readonly marker: boolean;
}

export interface RtpHeaderFields {
  payloadType: number;
  /** 16 bits; wraps. */
  sequence: number;
  /** 32 bits; wraps. */
  timestamp: number;
  ssrc: number;
  marker: boolean;
}

/** The 12-byte header of one packet. */
export function rtpHeader(fields: RtpHeaderFields): Buffer {
  const header = Buffer.allocUnsafe(RTP_HEADER_BYTES);
  writeRtpHeader(header, 0, fields);
  return header;
}

export function writeRtpHeader(out: Buffer, offset: number, fields: RtpHeaderFields): void {
  out[offset] = 0x80;
  out[offset + 1] = (fields.marker ? 0x80 : 0) | (fields.payloadType & 0x7f);
  out.writeUInt16BE(fields.sequence & 0xffff, offset + 2);
  out.writeUInt32BE(fields.timestamp >>> 0, offset + 4);
  out.writeUInt32BE(fields.ssrc >>> 0, offset + 8);
}

/** `$`, channel, length: what precedes each RTP or RTCP packet on an RTSP connection. */
export function writeInterleavedHeader(out: Buffer, offset: number, channel: number, length: number): void {
  if (length > 0xffff) throw new RangeError(`an interleaved frame holds at most 65535 bytes, not ${length}`);
  out[offset] = 0x24;
  out[offset + 1] = channel & 0xff;
  out.writeUInt16BE(length, offset + 2);
}

/** A payload of one piece. */
export function payloadOf(parts: readonly Buffer[], marker: boolean): RtpPayload {
  let bytes = 0;
  for (const part of parts) bytes += part.length;
  return { parts, bytes, marker };
}

/** The fields of a received RTP packet (tests and the checks of what a client sent). */
export interface ParsedRtp extends RtpHeaderFields {
  payload: Buffer;
}

/** Parses an RTP packet (version 2; CSRCs, extension and padding skipped), or undefined. */
export function parseRtp(packet: Buffer): ParsedRtp | undefined {
  if (packet.length < RTP_HEADER_BYTES || packet[0]! >> 6 !== 2) return undefined;
  const csrcs = packet[0]! & 0x0f;
  let offset = RTP_HEADER_BYTES + csrcs * 4;
  if (packet[0]! & 0x10) {
    if (packet.length < offset + 4) return undefined;
    offset += 4 + packet.readUInt16BE(offset + 2) * 4;
  }
  let end = packet.length;
  if (packet[0]! & 0x20) end -= packet[packet.length - 1]!;
  if (offset > end) return undefined;
  return {
    marker: (packet[1]! & 0x80) !== 0,
    payloadType: packet[1]! & 0x7f,
    sequence: packet.readUInt16BE(2),
    timestamp: packet.readUInt32BE(4),
    ssrc: packet.readUInt32BE(8),
    payload: packet.subarray(offset, end),
  };
}
