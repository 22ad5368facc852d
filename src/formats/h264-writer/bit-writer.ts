// Bit-level writing of H.264 syntax (ITU-T H.264 7.2, 9.1): the counterpart of src/h264/bits.ts's
// BitReader, for the pictures picamd encodes itself (placeholders). Pure: grows a byte array, no I/O.

/** Writes an RBSP most significant bit first with the standard's descriptors u(n), ue(v), se(v). */
export class BitWriter {
  private bytes: Uint8Array;
  /** Bits written so far. */
  private pos = 0;

  constructor(initialBytes = 256) {
    this.bytes = new Uint8Array(Math.max(16, initialBytes));
  }

  /** Bits written so far. */
  get bitLength(): number {
    return this.pos;
  }

  /** True at a byte boundary. */
  byteAligned(): boolean {
    return (this.pos & 7) === 0;
  }

  /** u(n) for 0 <= n <= 32 and 0 <= value < 2^n. */
  u(n: number, value: number): void {
    if (!Number.isInteger(n) || n < 0 || n > 32) throw new RangeError(`u(${n}): n must be 0..32`);
    if (!Number.isInteger(value) || value < 0 || value >= 2 ** n) {
      throw new RangeError(`u(${n}): ${value} does not fit in ${n} bits`);
    }
    this.reserve(n);
    // Bit by bit from the top: simple, and every field here is short.
    for (let bit = n - 1; bit >= 0; bit--) {
      if (Math.floor(value / 2 ** bit) % 2 === 1) this.bytes[this.pos >> 3]! |= 0x80 >> (this.pos & 7);
      this.pos++;
    }
  }

  /** u(1) from a boolean. */
  flag(value: boolean): void {
    this.u(1, value ? 1 : 0);
  }

  /** A code given as a string of '0' and '1' (the VLC tables of clause 9). */
  code(bits: string): void {
    if (!/^[01]*$/.test(bits)) throw new RangeError(`code "${bits}" holds something other than 0 and 1`);
    this.reserve(bits.length);
    for (let i = 0; i < bits.length; i++) {
      if (bits.charCodeAt(i) === 0x31) this.bytes[this.pos >> 3]! |= 0x80 >> (this.pos & 7);
      this.pos++;
    }
  }

  /** ue(v): unsigned Exp-Golomb (9.1), 0 .. 2^32 - 2. */
  ue(value: number): void {
    if (!Number.isInteger(value) || value < 0 || value > 2 ** 32 - 2) throw new RangeError(`ue(v): ${value} is out of range`);
    const codeNum = value + 1;
    const length = Math.floor(Math.log2(codeNum));
    this.u(length, 0);
    this.u(length + 1, codeNum);
  }

  /** se(v): signed Exp-Golomb (9.1.1): 0, 1, -1, 2, -2, ... */
  se(value: number): void {
    if (!Number.isInteger(value)) throw new RangeError(`se(v): ${value} is not an integer`);
    this.ue(value > 0 ? 2 * value - 1 : -2 * value);
  }

  /** rbsp_trailing_bits(): a stop bit, then zeros to the byte boundary (7.3.2.11). */
  trailingBits(): void {
    this.u(1, 1);
    this.alignZero();
  }

  /** Zero bits up to the next byte boundary (e.g. pcm_alignment_zero_bit). */
  alignZero(): void {
    const pad = (8 - (this.pos & 7)) & 7;
    this.reserve(pad);
    this.pos += pad;
  }

  /** The bytes written, as a new Buffer; the last byte is padded with zeros. */
  toBuffer(): Buffer {
    return Buffer.from(this.bytes.subarray(0, (this.pos + 7) >> 3));
  }

  private reserve(bits: number): void {
    const needed = (this.pos + bits + 7) >> 3;
    if (needed <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(needed, this.bytes.length * 2));
    grown.set(this.bytes);
    this.bytes = grown;
  }
}
