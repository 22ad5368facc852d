// H.264 over RTP, RFC 6184 in packetization mode 1 (non-interleaved): each NAL unit that fits goes in
// a packet of its own (single NAL unit packet); a larger one is cut into FU-A fragments. The marker bit
// is set on the last packet of an access unit. Access unit delimiters are left out (RFC 6184 allows
// it; they carry nothing a receiver needs). No STAP-A: parameter sets are small but rare (once per
// keyframe), and single packets are what every depacketizer reads. Pure: payloads are slices of the
// NAL units, never copies; only the two FU bytes are new.

import { NalType } from '../h264/access-unit.js';
import { payloadOf, type RtpPayload } from './packet.js';

/** Payload type number picamd announces for H.264 in its SDP (dynamic range, RFC 3551). */
export const H264_PAYLOAD_TYPE = 96;
const FU_A = 28;
/** FU indicator and FU header. */
const FU_HEADER_BYTES = 2;

/**
 * The payloads of one access unit, in order. `maxPayload`: bytes of one RTP payload at most (the
 * path's MTU less the IP, UDP and RTP headers; about 1400 keeps a packet under Ethernet's 1500).
 */
export function h264Payloads(nals: readonly Buffer[], maxPayload: number): RtpPayload[] {
  if (maxPayload <= FU_HEADER_BYTES) throw new RangeError(`maxPayload ${maxPayload} leaves no room for a fragment`);
  const units = nals.filter((nal) => nal.length > 0 && (nal[0]! & 0x1f) !== NalType.aud);
  const out: RtpPayload[] = [];
  units.forEach((nal, i) => {
    const last = i === units.length - 1;
    if (nal.length <= maxPayload) {
      out.push(payloadOf([nal], last));
      return;
    }
    const header = nal[0]!;
    const indicator = (header & 0xe0) | FU_A;
    const type = header & 0x1f;
    const room = maxPayload - FU_HEADER_BYTES;
    // The NAL header byte is not sent: the FU indicator and header carry its fields.
    for (let at = 1; at < nal.length; at += room) {
      const end = Math.min(nal.length, at + room);
      const start = at === 1;
      const stop = end === nal.length;
      const fu = Buffer.from([indicator, (start ? 0x80 : 0) | (stop ? 0x40 : 0) | type]);
      out.push(payloadOf([fu, nal.subarray(at, end)], last && stop));
    }
  });
  return out;
}

/**
 * profile-level-id for the SDP (RFC 6184 8.1): the SPS's profile_idc, constraint flags and
 * level_idc, as six hex digits.
 */
export function profileLevelId(sps: Buffer): string {
  if (sps.length < 4) throw new RangeError('an SPS has at least 4 bytes');
  return sps.subarray(1, 4).toString('hex').toUpperCase();
}

/** sprop-parameter-sets for the SDP: the SPS and PPS, base64, comma-separated. */
export function spropParameterSets(sps: Buffer, pps: Buffer): string {
  return `${sps.toString('base64')},${pps.toString('base64')}`;
}
