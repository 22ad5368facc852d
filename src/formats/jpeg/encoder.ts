// A small baseline JPEG encoder (YCbCr 4:2:0, the standard Annex K Huffman tables, IJG quality
// scaling). It exists for two reasons jpeg-js cannot serve:
//  - the simulated camera needs every MCU encoded on its own (restart interval 1), so pre-encoded
//    MCUs can be spliced into new frames without re-encoding anything;
//  - 4:2:0 like a real camera, and a flat 8x8 block (most of a placeholder frame) skips the DCT.

import type { Raster } from './raster.js';

/** The Annex K tables, natural (row-major) order. */
const LUMA_Q = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51,
  87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101,
  72, 92, 95, 98, 112, 100, 103, 99,
];
const CHROMA_Q = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99,
  99, 99, 99, ...new Array<number>(32).fill(99),
];

/** Annex K.3 Huffman tables: code counts per length 1..16, then the symbols. */
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const DC_LUMA = { bits: [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], values: range(0, 11) };
const DC_CHROMA = { bits: [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0], values: range(0, 11) };
const AC_LUMA = {
  bits: [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d],
  values: [
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22, 0x71, 0x14,
    0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09,
    0x0a, ...range(0x16, 0x1a), ...range(0x25, 0x2a), ...range(0x34, 0x3a), ...range(0x43, 0x4a),
    ...range(0x53, 0x5a), ...range(0x63, 0x6a), ...range(0x73, 0x7a), ...range(0x83, 0x8a), ...range(0x92, 0x9a),
    ...range(0xa2, 0xaa), ...range(0xb2, 0xba), ...range(0xc2, 0xca), ...range(0xd2, 0xda), ...range(0xe1, 0xea),
    ...range(0xf1, 0xfa),
  ],
};
const AC_CHROMA = {
  bits: [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77],
  values: [
    0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13, 0x22, 0x32,
    0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0, 0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16,
    0x24, 0x34, 0xe1, 0x25, 0xf1, ...range(0x17, 0x1a), ...range(0x26, 0x2a), ...range(0x35, 0x3a),
    ...range(0x43, 0x4a), ...range(0x53, 0x5a), ...range(0x63, 0x6a), ...range(0x73, 0x7a), ...range(0x82, 0x8a),
    ...range(0x92, 0x9a), ...range(0xa2, 0xaa), ...range(0xb2, 0xba), ...range(0xc2, 0xca), ...range(0xd2, 0xda),
    ...range(0xe2, 0xea), ...range(0xf2, 0xfa),
  ],
};

/** ZIGZAG[k] is the natural index of the k-th coefficient in zigzag order. */
const ZIGZAG = (() => {
  const order: number[] = [];
  for (let s = 0; s < 15; s++) {
    const cells: number[] = [];
    for (let row = Math.max(0, s - 7); row <= Math.min(7, s); row++) cells.push(row * 8 + (s - row));
    // Even diagonals run bottom-left to top-right, odd ones top-right to bottom-left.
    order.push(...(s % 2 === 0 ? cells.reverse() : cells));
  }
  return Uint8Array.from(order);
})();

/** AAN scale factors: the float DCT below leaves coefficient (u, v) multiplied by 8 * s[u] * s[v]. */
const AAN = Array.from({ length: 8 }, (_, k) => (k === 0 ? 1 : Math.cos((k * Math.PI) / 16) * Math.SQRT2));

interface HuffmanCodes {
  code: Uint16Array;
  length: Uint8Array;
}

/** Annex C: canonical codes from the count-per-length list. */
function huffmanCodes(spec: { bits: number[]; values: number[] }): HuffmanCodes {
  const code = new Uint16Array(256);
  const length = new Uint8Array(256);
  let next = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    for (let i = 0; i < spec.bits[len - 1]!; i++) {
      const symbol = spec.values[k++]!;
      code[symbol] = next++;
      length[symbol] = len;
    }
    next <<= 1;
  }
  return { code, length };
}

/** The Annex K Huffman tables by class (0 DC, 1 AC) and id (0 luma, 1 chroma): what RTP/JPEG receivers assume (RFC 2435). */
export const ANNEX_K_HUFFMAN: ReadonlyArray<{ tableClass: number; id: number; bits: readonly number[]; values: readonly number[] }> = [
  { tableClass: 0, id: 0, ...DC_LUMA },
  { tableClass: 1, id: 0, ...AC_LUMA },
  { tableClass: 0, id: 1, ...DC_CHROMA },
  { tableClass: 1, id: 1, ...AC_CHROMA },
];

const DC_LUMA_CODES = huffmanCodes(DC_LUMA);
const DC_CHROMA_CODES = huffmanCodes(DC_CHROMA);
const AC_LUMA_CODES = huffmanCodes(AC_LUMA);
const AC_CHROMA_CODES = huffmanCodes(AC_CHROMA);

/** Quantization for one quality setting. */
export interface JpegTables {
  readonly quality: number;
  /** DQT contents, zigzag order. */
  readonly lumaQ: Uint8Array;
  readonly chromaQ: Uint8Array;
  /** Reciprocal divisors for the AAN DCT output, natural order. */
  readonly lumaDiv: Float64Array;
  readonly chromaDiv: Float64Array;
}

/** libjpeg's quality scaling of the Annex K tables (1 = worst, 100 = best), clamped to baseline. */
export function jpegTables(quality: number): JpegTables {
  const q = Math.min(100, Math.max(1, Math.round(quality)));
  const scale = q < 50 ? Math.floor(5000 / q) : 200 - q * 2;
  const build = (base: number[]) => {
    const zigzag = new Uint8Array(64);
    const div = new Float64Array(64);
    for (let k = 0; k < 64; k++) {
      const natural = ZIGZAG[k]!;
      const value = Math.min(255, Math.max(1, Math.floor((base[natural]! * scale + 50) / 100)));
      zigzag[k] = value;
      div[natural] = 1 / (value * AAN[natural >> 3]! * AAN[natural & 7]! * 8);
    }
    return { zigzag, div };
  };
  const luma = build(LUMA_Q);
  const chroma = build(CHROMA_Q);
  return { quality: q, lumaQ: luma.zigzag, chromaQ: chroma.zigzag, lumaDiv: luma.div, chromaDiv: chroma.div };
}

/** An image converted to YCbCr and padded to whole 16x16 MCUs by repeating its edge pixels. */
export interface YCbCrPlanes {
  readonly width: number;
  readonly height: number;
  readonly mcuCols: number;
  readonly mcuRows: number;
  /** mcuCols*16 wide, mcuRows*16 high. */
  readonly y: Uint8Array;
  /** Subsampled 2x2: mcuCols*8 wide, mcuRows*8 high. */
  readonly cb: Uint8Array;
  readonly cr: Uint8Array;
}

export function mcuCount(size: number): number {
  return Math.ceil(size / 16);
}

/**
 * JFIF RGB -> YCbCr in 16-bit fixed point (as libjpeg does), chroma averaged over each 2x2 square.
 * Rows and columns past the image repeat its last row and column.
 */
export function rasterToPlanes(raster: Raster): YCbCrPlanes {
  const { width, height, data } = raster;
  const mcuCols = mcuCount(width);
  const mcuRows = mcuCount(height);
  const yStride = mcuCols * 16;
  const cStride = mcuCols * 8;
  const cRows = mcuRows * 8;
  const y = new Uint8Array(yStride * mcuRows * 16);
  const cb = new Uint8Array(cStride * cRows);
  const cr = new Uint8Array(cStride * cRows);
  const clampByte = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);
  for (let cy = 0; cy < cRows; cy++) {
    const top = Math.min(cy * 2, height - 1) * width * 3;
    const bottom = Math.min(cy * 2 + 1, height - 1) * width * 3;
    const yTop = cy * 2 * yStride;
    const yBottom = yTop + yStride;
    for (let cx = 0; cx < cStride; cx++) {
      const left = Math.min(cx * 2, width - 1) * 3;
      const right = Math.min(cx * 2 + 1, width - 1) * 3;
      let i = top + left;
      let r = data[i]!;
      let g = data[i + 1]!;
      let b = data[i + 2]!;
      let sr = r;
      let sg = g;
      let sb = b;
      y[yTop + cx * 2] = (19595 * r + 38470 * g + 7471 * b + 32768) >> 16;
      i = top + right;
      r = data[i]!;
      g = data[i + 1]!;
      b = data[i + 2]!;
      sr += r;
      sg += g;
      sb += b;
      y[yTop + cx * 2 + 1] = (19595 * r + 38470 * g + 7471 * b + 32768) >> 16;
      i = bottom + left;
      r = data[i]!;
      g = data[i + 1]!;
      b = data[i + 2]!;
      sr += r;
      sg += g;
      sb += b;
      y[yBottom + cx * 2] = (19595 * r + 38470 * g + 7471 * b + 32768) >> 16;
      i = bottom + right;
      r = data[i]!;
      g = data[i + 1]!;
      b = data[i + 2]!;
      sr += r;
      sg += g;
      sb += b;
      y[yBottom + cx * 2 + 1] = (19595 * r + 38470 * g + 7471 * b + 32768) >> 16;
      // Sums of four samples: divide by 4 along with the 2^16 scale (>> 18).
      cb[cy * cStride + cx] = clampByte((-11059 * sr - 21709 * sg + 32768 * sb + (128 << 18) + (1 << 17)) >> 18);
      cr[cy * cStride + cx] = clampByte((32768 * sr - 27439 * sg - 5329 * sb + (128 << 18) + (1 << 17)) >> 18);
    }
  }
  return { width, height, mcuCols, mcuRows, y, cb, cr };
}

/** Everything between SOI and the entropy-coded data: DQT, SOF0, DHT, DRI (if any), SOS. */
export function jpegHeader(tables: JpegTables, width: number, height: number, restartInterval = 0): Buffer {
  const parts: number[] = [];
  const segment = (marker: number, body: number[]) => {
    const length = body.length + 2;
    parts.push(0xff, marker, length >> 8, length & 0xff, ...body);
  };
  segment(0xdb, [0x00, ...tables.lumaQ, 0x01, ...tables.chromaQ]);
  // Y sampled 2x2, Cb and Cr 1x1: 4:2:0.
  segment(0xc0, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
  const huffman = (tableClass: number, id: number, spec: { bits: number[]; values: number[] }) => [
    (tableClass << 4) | id,
    ...spec.bits,
    ...spec.values,
  ];
  segment(0xc4, [
    ...huffman(0, 0, DC_LUMA),
    ...huffman(1, 0, AC_LUMA),
    ...huffman(0, 1, DC_CHROMA),
    ...huffman(1, 1, AC_CHROMA),
  ]);
  if (restartInterval > 0) segment(0xdd, [restartInterval >> 8, restartInterval & 0xff]);
  segment(0xda, [3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]);
  return Buffer.from(parts);
}

/** Entropy-coded data. `mcuEnds[i]` is where MCU i ends when the MCUs were coded independently. */
export interface EncodedScan {
  readonly data: Buffer;
  readonly mcuEnds: Uint32Array | undefined;
}

/** Bit packing with 0xFF byte stuffing, into a buffer that grows as needed. */
class BitWriter {
  out = Buffer.allocUnsafe(1 << 16);
  pos = 0;
  private bits = 0;
  private count = 0;

  ensure(room: number): void {
    if (this.pos + room <= this.out.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.pos + room));
    this.out.copy(bigger, 0, 0, this.pos);
    this.out = bigger;
  }

  /** Appends the low `length` bits of `value` (length <= 16). */
  put(value: number, length: number): void {
    this.bits = (this.bits << length) | (value & ((1 << length) - 1));
    this.count += length;
    while (this.count >= 8) {
      this.count -= 8;
      const byte = (this.bits >>> this.count) & 0xff;
      this.out[this.pos++] = byte;
      if (byte === 0xff) this.out[this.pos++] = 0;
    }
    this.bits &= (1 << this.count) - 1;
  }

  /** Pads the last byte with 1 bits, as required before a marker. */
  align(): void {
    if (this.count > 0) this.put(0x7f, 8 - this.count);
  }
}

const block = new Float64Array(64);
const quantized = new Int32Array(64);

/**
 * Forward DCT (AAN float, as libjpeg's jfdctflt) and quantization of the 8x8 block at (x, y) of a
 * plane, into `quantized` in zigzag order.
 */
function transformBlock(plane: Uint8Array, stride: number, x: number, y: number, div: Float64Array): void {
  let min = 255;
  let max = 0;
  for (let row = 0; row < 8; row++) {
    const src = (y + row) * stride + x;
    for (let col = 0; col < 8; col++) {
      const v = plane[src + col]!;
      if (v < min) min = v;
      if (v > max) max = v;
      block[row * 8 + col] = v - 128;
    }
  }
  if (min === max) {
    // A flat block has only a DC term: sum of the 64 samples, here 64 * (v - 128).
    quantized.fill(0);
    const dc = 64 * (min - 128) * div[0]!;
    quantized[0] = dc < 0 ? -Math.round(-dc) : Math.round(dc);
    return;
  }
  for (let i = 0; i < 64; i += 8) dct1d(i, 1);
  for (let i = 0; i < 8; i++) dct1d(i, 8);
  for (let k = 0; k < 64; k++) {
    const natural = ZIGZAG[k]!;
    const v = block[natural]! * div[natural]!;
    let q = v < 0 ? -Math.round(-v) : Math.round(v);
    if (q > 1023) q = 1023;
    else if (q < -1023) q = -1023;
    quantized[k] = q;
  }
}

function dct1d(base: number, step: number): void {
  const b = block;
  const i0 = base;
  const i1 = base + step;
  const i2 = base + 2 * step;
  const i3 = base + 3 * step;
  const i4 = base + 4 * step;
  const i5 = base + 5 * step;
  const i6 = base + 6 * step;
  const i7 = base + 7 * step;
  const tmp0 = b[i0]! + b[i7]!;
  const tmp7 = b[i0]! - b[i7]!;
  const tmp1 = b[i1]! + b[i6]!;
  const tmp6 = b[i1]! - b[i6]!;
  const tmp2 = b[i2]! + b[i5]!;
  const tmp5 = b[i2]! - b[i5]!;
  const tmp3 = b[i3]! + b[i4]!;
  const tmp4 = b[i3]! - b[i4]!;
  // Even part.
  let tmp10 = tmp0 + tmp3;
  const tmp13 = tmp0 - tmp3;
  let tmp11 = tmp1 + tmp2;
  let tmp12 = tmp1 - tmp2;
  b[i0] = tmp10 + tmp11;
  b[i4] = tmp10 - tmp11;
  const z1 = (tmp12 + tmp13) * 0.707106781;
  b[i2] = tmp13 + z1;
  b[i6] = tmp13 - z1;
  // Odd part.
  tmp10 = tmp4 + tmp5;
  tmp11 = tmp5 + tmp6;
  tmp12 = tmp6 + tmp7;
  const z5 = (tmp10 - tmp12) * 0.382683433;
  const z2 = 0.5411961 * tmp10 + z5;
  const z4 = 1.306562965 * tmp12 + z5;
  const z3 = tmp11 * 0.707106781;
  const z11 = tmp7 + z3;
  const z13 = tmp7 - z3;
  b[i5] = z13 + z2;
  b[i3] = z13 - z2;
  b[i1] = z11 + z4;
  b[i7] = z11 - z4;
}

/** Bits needed for |v| (the JPEG "category"). */
const category = (v: number) => 32 - Math.clz32(v < 0 ? -v : v);

function writeBlock(w: BitWriter, predictor: number, dc: HuffmanCodes, ac: HuffmanCodes): number {
  const q = quantized;
  const diff = q[0]! - predictor;
  const dcCat = category(diff);
  w.put(dc.code[dcCat]!, dc.length[dcCat]!);
  if (dcCat > 0) w.put(diff < 0 ? diff - 1 : diff, dcCat);
  let run = 0;
  for (let k = 1; k < 64; k++) {
    const v = q[k]!;
    if (v === 0) {
      run++;
      continue;
    }
    while (run > 15) {
      w.put(ac.code[0xf0]!, ac.length[0xf0]!);
      run -= 16;
    }
    const cat = category(v);
    const symbol = (run << 4) | cat;
    w.put(ac.code[symbol]!, ac.length[symbol]!);
    w.put(v < 0 ? v - 1 : v, cat);
    run = 0;
  }
  if (run > 0) w.put(ac.code[0]!, ac.length[0]!);
  return q[0]!;
}

/**
 * The entropy-coded scan of `planes`. With `independentMcus`, every MCU starts with fresh DC
 * predictors and ends on a byte boundary (restart interval 1 without the RST markers): MCU i is
 * `data.subarray(mcuEnds[i-1] ?? 0, mcuEnds[i])` and the caller places RSTn markers between them.
 */
export function encodeScan(planes: YCbCrPlanes, tables: JpegTables, independentMcus = false): EncodedScan {
  const { mcuCols, mcuRows, y, cb, cr } = planes;
  const yStride = mcuCols * 16;
  const cStride = mcuCols * 8;
  const w = new BitWriter();
  const mcuEnds = independentMcus ? new Uint32Array(mcuCols * mcuRows) : undefined;
  let predY = 0;
  let predCb = 0;
  let predCr = 0;
  for (let my = 0; my < mcuRows; my++) {
    for (let mx = 0; mx < mcuCols; mx++) {
      // A 4:2:0 MCU is at most 6 blocks of 64 coefficients, each at most ~32 bits, doubled by stuffing.
      w.ensure(6 * 64 * 8 + 16);
      if (independentMcus) predY = predCb = predCr = 0;
      for (let b = 0; b < 4; b++) {
        transformBlock(y, yStride, mx * 16 + (b & 1) * 8, my * 16 + (b >> 1) * 8, tables.lumaDiv);
        predY = writeBlock(w, predY, DC_LUMA_CODES, AC_LUMA_CODES);
      }
      transformBlock(cb, cStride, mx * 8, my * 8, tables.chromaDiv);
      predCb = writeBlock(w, predCb, DC_CHROMA_CODES, AC_CHROMA_CODES);
      transformBlock(cr, cStride, mx * 8, my * 8, tables.chromaDiv);
      predCr = writeBlock(w, predCr, DC_CHROMA_CODES, AC_CHROMA_CODES);
      if (mcuEnds) {
        w.align();
        mcuEnds[my * mcuCols + mx] = w.pos;
      }
    }
  }
  w.align();
  return { data: w.out.subarray(0, w.pos), mcuEnds };
}

const SOI = Buffer.from([0xff, 0xd8]);
const EOI = Buffer.from([0xff, 0xd9]);

/** A complete baseline JPEG of `raster` (4:2:0, no restart markers). */
export function encodeJpeg(raster: Raster, quality: number): Buffer {
  const tables = jpegTables(quality);
  const scan = encodeScan(rasterToPlanes(raster), tables);
  return Buffer.concat([SOI, jpegHeader(tables, raster.width, raster.height), scan.data, EOI]);
}
