// RTCP (RFC 3550 6.4.1, 6.5): the sender report a sender sends every few seconds, which ties the RTP
// timestamps to wall-clock time (players use it to sync and to measure), in the compound packet RFC
// 3550 requires (SR, then SDES with the CNAME), and BYE. Pure: the caller passes the times in.

/** Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
const NTP_UNIX_OFFSET = 2_208_988_800;

export interface SenderReport {
  ssrc: number;
  /** Wall-clock time of the report, Unix milliseconds. */
  wallMs: number;
  /** The RTP timestamp that corresponds to wallMs, on the stream's clock. */
  rtpTimestamp: number;
  packets: number;
  octets: number;
  cname: string;
}

/** SR (no report blocks) + SDES CNAME, one compound packet. */
export function senderReport(report: SenderReport): Buffer {
  const sr = Buffer.alloc(28);
  sr[0] = 0x80;
  sr[1] = 200;
  sr.writeUInt16BE(sr.length / 4 - 1, 2);
  sr.writeUInt32BE(report.ssrc >>> 0, 4);
  const seconds = Math.floor(report.wallMs / 1000);
  const fraction = Math.floor(((report.wallMs % 1000) / 1000) * 2 ** 32);
  sr.writeUInt32BE((seconds + NTP_UNIX_OFFSET) >>> 0, 8);
  sr.writeUInt32BE(fraction >>> 0, 12);
  sr.writeUInt32BE(report.rtpTimestamp >>> 0, 16);
  sr.writeUInt32BE(report.packets >>> 0, 20);
  sr.writeUInt32BE(report.octets >>> 0, 24);
  return Buffer.concat([sr, sdesCname(report.ssrc, report.cname)]);
}

function sdesCname(ssrc: number, cname: string): Buffer {
  const name = Buffer.from(cname, 'utf8').subarray(0, 255);
  // SSRC, CNAME item (type, length, text), the end item, padded to 32 bits.
  const body = 4 + 2 + name.length + 1;
  const padded = Math.ceil(body / 4) * 4;
  const out = Buffer.alloc(4 + padded);
  out[0] = 0x81;
  out[1] = 202;
  out.writeUInt16BE(out.length / 4 - 1, 2);
  out.writeUInt32BE(ssrc >>> 0, 4);
  out[8] = 1;
  out[9] = name.length;
  name.copy(out, 10);
  return out;
}

/** BYE for one source: the stream ends (teardown, picamd stops). */
export function bye(ssrc: number): Buffer {
  const out = Buffer.alloc(8);
  out[0] = 0x81;
  out[1] = 203;
  out.writeUInt16BE(1, 2);
  out.writeUInt32BE(ssrc >>> 0, 4);
  return out;
}

/** The packet types of a compound RTCP packet (tests, and telling a receiver report from noise). */
export function rtcpPacketTypes(packet: Buffer): number[] | undefined {
  const types: number[] = [];
  for (let at = 0; at < packet.length; ) {
    if (at + 4 > packet.length || packet[at]! >> 6 !== 2) return undefined;
    types.push(packet[at + 1]!);
    at += (packet.readUInt16BE(at + 2) + 1) * 4;
    if (at > packet.length) return undefined;
  }
  return types.length > 0 ? types : undefined;
}
