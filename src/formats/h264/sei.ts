// The simulated camera's capture stamp in H.264: an SEI NAL unit (type 6) with one
// user_data_unregistered message (payloadType 5, ITU-T H.264 D.1.7) of 32 bytes: the UUID
// "picamd-sim-stamp" in ASCII, the frame number and the capture time in microseconds since the epoch,
// each 8 bytes big-endian. The H.264 counterpart of the COM segment in src/sim/stamp.ts, so the
// benchmark and tests can tell which frame a viewer received and when it was captured.

import { escapeRbsp, unescapeRbsp } from './bits.js';
import { NalType } from './access-unit.js';

/** 70696361-6d64-2d73-696d-2d7374616d70: "picamd-sim-stamp". */
const STAMP_UUID = Buffer.from('picamd-sim-stamp', 'latin1');
const USER_DATA_UNREGISTERED = 5;
const PAYLOAD_SIZE = 32;
/** Header, payloadType, payloadSize, payload, rbsp_trailing_bits. */
const RBSP_SIZE = 1 + 1 + 1 + PAYLOAD_SIZE + 1;

export interface SeiStamp {
  seq: number;
  tUs: number;
}

function checkStampValue(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative safe integer, got ${value}`);
  }
}

/** The stamp SEI NAL unit, without a start code, emulation prevention applied. */
export function buildStampSei(seq: number, tUs: number): Buffer {
  checkStampValue('seq', seq);
  checkStampValue('tUs', tUs);
  const rbsp = Buffer.alloc(RBSP_SIZE);
  rbsp[0] = NalType.sei; // forbidden_zero_bit 0, nal_ref_idc 0 (an SEI is never a reference)
  rbsp[1] = USER_DATA_UNREGISTERED;
  rbsp[2] = PAYLOAD_SIZE;
  STAMP_UUID.copy(rbsp, 3);
  rbsp.writeBigUInt64BE(BigInt(seq), 19);
  rbsp.writeBigUInt64BE(BigInt(tUs), 27);
  rbsp[35] = 0x80; // rbsp_stop_one_bit and alignment
  return escapeRbsp(rbsp);
}

/**
 * The stamp in an SEI NAL unit (without start code), or undefined when `nal` is not an SEI or holds no
 * stamp message. Walks every sei_message, so a stamp after other messages (an encoder's own user data,
 * say) is found too; a malformed SEI gives undefined rather than an error.
 */
export function readStampSei(nal: Buffer): SeiStamp | undefined {
  if (nal.length < RBSP_SIZE || (nal[0]! & 0x9f) !== NalType.sei) return undefined;
  const rbsp = unescapeRbsp(nal);
  let pos = 1;
  // sei_rbsp(): messages until only rbsp_trailing_bits (0x80) are left.
  while (pos < rbsp.length && !(rbsp[pos] === 0x80 && pos === rbsp.length - 1)) {
    let payloadType = 0;
    while (rbsp[pos] === 0xff) {
      payloadType += 255;
      pos++;
    }
    if (pos >= rbsp.length) return undefined;
    payloadType += rbsp[pos++]!;
    let payloadSize = 0;
    while (rbsp[pos] === 0xff) {
      payloadSize += 255;
      pos++;
    }
    if (pos >= rbsp.length) return undefined;
    payloadSize += rbsp[pos++]!;
    if (pos + payloadSize > rbsp.length) return undefined;
    if (
      payloadType === USER_DATA_UNREGISTERED &&
      payloadSize === PAYLOAD_SIZE &&
      rbsp.compare(STAMP_UUID, 0, 16, pos, pos + 16) === 0
    ) {
      const seq = rbsp.readBigUInt64BE(pos + 16);
      const tUs = rbsp.readBigUInt64BE(pos + 24);
      if (seq > BigInt(Number.MAX_SAFE_INTEGER) || tUs > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
      return { seq: Number(seq), tUs: Number(tUs) };
    }
    pos += payloadSize;
  }
  return undefined;
}
