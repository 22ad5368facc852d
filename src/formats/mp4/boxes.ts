// A small ISO base media file format (ISO/IEC 14496-12) box writer: what the fragmented-MP4 packager
// needs and nothing more. A box is a 32-bit big-endian size (counting the whole box), a four-character
// type and a payload; a full box adds a version byte and 24 bits of flags before the payload.
//
// Pure: every function returns a new Buffer. The boxes built here are small (headers and tables); the
// packager copies the media data itself once, straight into the fragment it sends.

/** Bytes of a box header (size and type); a full box has 4 more (version and flags). */
export const BOX_HEADER_BYTES = 8;
export const FULL_BOX_HEADER_BYTES = 12;

/** Writes `size` and `type` at `offset` of `out`: the header of a box of `size` bytes. */
export function writeBoxHeader(out: Buffer, offset: number, size: number, type: string): void {
  if (type.length !== 4) throw new Error(`box type must have four characters: "${type}"`);
  out.writeUInt32BE(size, offset);
  out.write(type, offset + 4, 4, 'latin1');
}

/** A box of `type` around the concatenated `payload` parts. */
export function box(type: string, ...payload: Uint8Array[]): Buffer {
  let size = BOX_HEADER_BYTES;
  for (const part of payload) size += part.length;
  const out = Buffer.allocUnsafe(size);
  writeBoxHeader(out, 0, size, type);
  let offset = BOX_HEADER_BYTES;
  for (const part of payload) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A full box: version (8 bits) and flags (24 bits) ahead of the payload. */
export function fullBox(type: string, version: number, flags: number, ...payload: Uint8Array[]): Buffer {
  return box(type, u8(version), u24(flags), ...payload);
}

export function u8(value: number): Buffer {
  const out = Buffer.allocUnsafe(1);
  out.writeUInt8(value, 0);
  return out;
}

export function u16(value: number): Buffer {
  const out = Buffer.allocUnsafe(2);
  out.writeUInt16BE(value, 0);
  return out;
}

export function u24(value: number): Buffer {
  const out = Buffer.allocUnsafe(3);
  out.writeUIntBE(value, 0, 3);
  return out;
}

export function u32(value: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(value, 0);
  return out;
}

/** A 64-bit unsigned field from a safe integer (decode times in a 90 kHz timescale outgrow 32 bits in 13 hours). */
export function u64(value: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`u64 field out of range: ${value}`);
  const out = Buffer.allocUnsafe(8);
  out.writeBigUInt64BE(BigInt(value), 0);
  return out;
}

/** `count` zero bytes (reserved fields, pre_defined fields). */
export function zeros(count: number): Buffer {
  return Buffer.alloc(count);
}

/** A four-character code as 4 bytes (brands in ftyp, handler_type in hdlr). */
export function fourCc(code: string): Buffer {
  if (code.length !== 4) throw new Error(`four-character code expected: "${code}"`);
  return Buffer.from(code, 'latin1');
}

/** A 16.16 fixed-point number (tkhd width and height, mvhd rate). */
export function fixed16x16(value: number): Buffer {
  return u32(Math.round(value * 0x10000));
}

/** The unity transformation matrix of mvhd and tkhd: { 1, 0, 0, 0, 1, 0, 0, 0, 1 } in 16.16 and 2.30. */
export function unityMatrix(): Buffer {
  return Buffer.concat([
    u32(0x00010000), u32(0), u32(0),
    u32(0), u32(0x00010000), u32(0),
    u32(0), u32(0), u32(0x40000000),
  ]);
}
