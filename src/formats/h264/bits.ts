// Bit-level reading of H.264 syntax (ITU-T H.264 7.2, 7.3, 9.1) and the emulation prevention that
// keeps a start code from appearing inside a NAL unit (7.4.1.1).
//
// Inside a NAL unit the encoder writes 00 00 03 wherever the payload (the RBSP) holds 00 00 followed
// by 00, 01, 02 or 03; the 03 is removed before the payload is read. Pure: plain functions and a
// reader over a Buffer, no I/O.

/** The payload ran out, or a code is longer than this reader supports. `bitPosition` is where. */
export class BitstreamError extends Error {
  constructor(
    message: string,
    readonly bitPosition: number,
  ) {
    super(`${message} at bit ${bitPosition}`);
    this.name = 'BitstreamError';
  }
}

/**
 * The RBSP of a NAL unit (or any part of it): every 03 that follows 00 00 is removed. Returns `nal`
 * itself (no copy) when it holds no such 03, a new Buffer otherwise. Works on a NAL unit with its
 * header byte, whose value (never 00 in a valid unit) does not change the outcome.
 */
export function unescapeRbsp(nal: Buffer): Buffer {
  const first = findEscape(nal, 0);
  if (first === -1) return nal;
  const out = Buffer.allocUnsafe(nal.length - 1);
  let written = 0;
  let from = 0;
  let at = first;
  while (at !== -1) {
    // `at` is the index of a 03 preceded by 00 00 that counts as emulation prevention.
    written += nal.copy(out, written, from, at);
    from = at + 1;
    at = findEscape(nal, from);
  }
  written += nal.copy(out, written, from);
  return out.subarray(0, written);
}

/**
 * The index of the next emulation prevention 03 at or after `from`, or -1. A 03 removed earlier resets
 * the run of zeros, so 00 00 03 00 00 03 holds two, and the search never starts mid-run after one.
 */
function findEscape(nal: Buffer, from: number): number {
  let zeros = 0;
  for (let i = from; i < nal.length; i++) {
    const byte = nal[i]!;
    if (zeros >= 2 && byte === 0x03) return i;
    zeros = byte === 0 ? zeros + 1 : 0;
  }
  return -1;
}

/**
 * The NAL unit bytes for an RBSP: 03 inserted after every 00 00 that is followed by a byte of 03 or
 * less, and after a final 00 00 (the standard's cabac_zero_word case: a NAL unit may not end with 00).
 * Returns `rbsp` itself when nothing needs escaping.
 */
export function escapeRbsp(rbsp: Buffer): Buffer {
  let needed = 0;
  let zeros = 0;
  for (let i = 0; i < rbsp.length; i++) {
    const byte = rbsp[i]!;
    if (zeros >= 2 && byte <= 0x03) {
      needed++;
      zeros = 0;
    }
    zeros = byte === 0 ? zeros + 1 : 0;
  }
  const trailing = zeros >= 2;
  if (needed === 0 && !trailing) return rbsp;
  const out = Buffer.allocUnsafe(rbsp.length + needed + (trailing ? 1 : 0));
  let w = 0;
  zeros = 0;
  for (let i = 0; i < rbsp.length; i++) {
    const byte = rbsp[i]!;
    if (zeros >= 2 && byte <= 0x03) {
      out[w++] = 0x03;
      zeros = 0;
    }
    out[w++] = byte;
    zeros = byte === 0 ? zeros + 1 : 0;
  }
  if (trailing) out[w++] = 0x03;
  return out;
}

/**
 * Reads an RBSP (emulation prevention already removed, see unescapeRbsp) most significant bit first,
 * with the standard's descriptors: u(n), ue(v), se(v). Every read past the end throws a
 * BitstreamError; a failed read leaves the position unchanged.
 */
export class BitReader {
  private readonly data: Buffer;
  private readonly endBit: number;
  private pos: number;

  /** Starts at byte `byteOffset` of `rbsp` (e.g. 1 to step over the NAL header). */
  constructor(rbsp: Buffer, byteOffset = 0) {
    if (!Number.isInteger(byteOffset) || byteOffset < 0 || byteOffset > rbsp.length) {
      throw new RangeError(`byteOffset ${byteOffset} is outside the ${rbsp.length}-byte buffer`);
    }
    this.data = rbsp;
    this.endBit = rbsp.length * 8;
    this.pos = byteOffset * 8;
  }

  /** Bits read so far, counted from the start of the buffer. */
  get position(): number {
    return this.pos;
  }

  /** Bits left before the end of the buffer. */
  get bitsLeft(): number {
    return this.endBit - this.pos;
  }

  /** True when every bit has been read. */
  atEnd(): boolean {
    return this.pos >= this.endBit;
  }

  /** True at a byte boundary (byte_aligned()). */
  byteAligned(): boolean {
    return (this.pos & 7) === 0;
  }

  /** u(n) for 0 <= n <= 32, as a non-negative number. */
  u(n: number): number {
    if (!Number.isInteger(n) || n < 0 || n > 32) throw new RangeError(`u(${n}): n must be 0..32`);
    if (n > this.bitsLeft) {
      throw new BitstreamError(`u(${n}) needs ${n} bits but ${this.bitsLeft} are left`, this.pos);
    }
    let value = 0;
    let pos = this.pos;
    let remaining = n;
    while (remaining > 0) {
      const bitInByte = pos & 7;
      const take = Math.min(8 - bitInByte, remaining);
      const byte = this.data[pos >> 3]!;
      const bits = (byte >> (8 - bitInByte - take)) & ((1 << take) - 1);
      value = value * (1 << take) + bits; // multiplication: stays exact past 31 bits
      pos += take;
      remaining -= take;
    }
    this.pos = pos;
    return value;
  }

  /** u(1) as a boolean. */
  flag(): boolean {
    return this.u(1) === 1;
  }

  /** Skips `n` bits. */
  skip(n: number): void {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`skip(${n}): n must be a non-negative integer`);
    if (n > this.bitsLeft) {
      throw new BitstreamError(`skip(${n}) needs ${n} bits but ${this.bitsLeft} are left`, this.pos);
    }
    this.pos += n;
  }

  /** ue(v): unsigned Exp-Golomb (9.1), 0 .. 2^32 - 2. */
  ue(): number {
    const start = this.pos;
    let leadingZeros = 0;
    for (;;) {
      if (this.pos >= this.endBit) {
        this.pos = start;
        throw new BitstreamError('ue(v) runs past the end', start);
      }
      const bit = (this.data[this.pos >> 3]! >> (7 - (this.pos & 7))) & 1;
      this.pos++;
      if (bit === 1) break;
      leadingZeros++;
      if (leadingZeros > 31) {
        this.pos = start;
        throw new BitstreamError('ue(v) has more than 31 leading zero bits', start);
      }
    }
    if (leadingZeros > this.bitsLeft) {
      this.pos = start;
      throw new BitstreamError(`ue(v) needs ${leadingZeros} suffix bits past the end`, start);
    }
    return 2 ** leadingZeros - 1 + this.u(leadingZeros);
  }

  /** se(v): signed Exp-Golomb (9.1.1): 0, 1, -1, 2, -2, ... */
  se(): number {
    const k = this.ue();
    if (k === 0) return 0; // not -0
    return k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
  }

  /**
   * more_rbsp_data() (7.2): true while there is syntax left before the rbsp_stop_one_bit, the last 1
   * bit of the buffer. False at the end, and for a buffer with no 1 bit at all.
   */
  moreRbspData(): boolean {
    const stop = this.stopBitPosition();
    return stop !== -1 && this.pos < stop;
  }

  /** The bit position of the rbsp_stop_one_bit (the last 1 bit), or -1 when every bit is 0. */
  private stopBitPosition(): number {
    for (let i = this.data.length - 1; i >= 0; i--) {
      const byte = this.data[i]!;
      if (byte !== 0) {
        let bit = 7;
        while (((byte >> (7 - bit)) & 1) === 0) bit--;
        return i * 8 + bit;
      }
    }
    return -1;
  }
}
