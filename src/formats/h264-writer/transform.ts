// The 4x4 integer transform, the luma and chroma DC transforms and their quantisation (ITU-T H.264
// 8.5), for flat 8-bit 4:2:0 pictures with no scaling matrices.
//
// The decoding side (dequantise*, inverse*) follows the standard's formulas exactly: the encoder
// predicts each macroblock from its own reconstruction, which must equal what every decoder makes
// of the bitstream, or errors would spread from block to block. The encoding side (forward*,
// quantise*) only decides which levels to send; it follows the usual integer approximation and
// may round as it likes. Blocks are 16 values in raster order (index y * 4 + x).

/** normAdjust4x4 (8-315): per QP % 6, for positions with both coordinates even, both odd, and the rest. */
const NORM_ADJUST = [
  [10, 16, 13],
  [11, 18, 14],
  [13, 20, 16],
  [14, 23, 18],
  [16, 25, 20],
  [18, 29, 23],
] as const;

/** The usual forward quantisation multipliers, the inverse of NORM_ADJUST (same position classes). */
const QUANT_MF = [
  [13107, 5243, 8066],
  [11916, 4660, 7490],
  [10082, 4194, 6554],
  [9362, 3647, 5825],
  [8192, 3355, 5243],
  [7282, 2893, 4559],
] as const;

/** Position class of raster index k: 0 both coordinates even, 1 both odd, 2 otherwise. */
function positionClass(k: number): 0 | 1 | 2 {
  const x = k & 3;
  const y = k >> 2;
  if ((x & 1) === 0 && (y & 1) === 0) return 0;
  if ((x & 1) === 1 && (y & 1) === 1) return 1;
  return 2;
}

/** LevelScale4x4 with flat weights (Flat_4x4_16): 16 * normAdjust4x4. */
export function levelScale(qp: number, k: number): number {
  return 16 * NORM_ADJUST[qp % 6]![positionClass(k)];
}

/** The frame zig-zag scan (8.5.6, table 8-13): ZIGZAG[i] is the raster index of the i-th coefficient. */
export const ZIGZAG = [0, 1, 4, 8, 5, 2, 3, 6, 9, 12, 13, 10, 7, 11, 14, 15] as const;

/** Chroma QP from the luma QP and chroma_qp_index_offset (8.5.8, table 8-15), 8-bit. */
export function chromaQp(qpY: number, offset: number): number {
  const qpi = Math.min(51, Math.max(0, qpY + offset));
  if (qpi < 30) return qpi;
  return [29, 30, 31, 32, 32, 33, 34, 34, 35, 35, 36, 36, 37, 37, 37, 38, 38, 38, 39, 39, 39, 39][qpi - 30]!;
}

/** The forward core transform Cf X Cf^T of a 4x4 residual. */
export function forward4x4(residual: ArrayLike<number>): Int32Array {
  const tmp = new Int32Array(16);
  for (let y = 0; y < 4; y++) {
    const a = residual[y * 4]!;
    const b = residual[y * 4 + 1]!;
    const c = residual[y * 4 + 2]!;
    const d = residual[y * 4 + 3]!;
    const s03 = a + d;
    const d03 = a - d;
    const s12 = b + c;
    const d12 = b - c;
    tmp[y * 4] = s03 + s12;
    tmp[y * 4 + 1] = 2 * d03 + d12;
    tmp[y * 4 + 2] = s03 - s12;
    tmp[y * 4 + 3] = d03 - 2 * d12;
  }
  const out = new Int32Array(16);
  for (let x = 0; x < 4; x++) {
    const a = tmp[x]!;
    const b = tmp[4 + x]!;
    const c = tmp[8 + x]!;
    const d = tmp[12 + x]!;
    const s03 = a + d;
    const d03 = a - d;
    const s12 = b + c;
    const d12 = b - c;
    out[x] = s03 + s12;
    out[4 + x] = 2 * d03 + d12;
    out[8 + x] = s03 - s12;
    out[12 + x] = d03 - 2 * d12;
  }
  return out;
}

/** Quantises the 15 AC coefficients of a transformed block (intra rounding); index 0 is left 0. */
export function quantiseAc(coefficients: Int32Array, qp: number): Int32Array {
  const qbits = 15 + Math.floor(qp / 6);
  const rounding = Math.floor(2 ** qbits / 3);
  const out = new Int32Array(16);
  for (let k = 1; k < 16; k++) {
    const w = coefficients[k]!;
    const level = Math.floor((Math.abs(w) * QUANT_MF[qp % 6]![positionClass(k)] + rounding) / 2 ** qbits);
    out[k] = clampLevel(w < 0 ? -level : level);
  }
  return out;
}

/** Quantises the luma DC coefficients after the forward Hadamard transform (4x4, raster). */
export function quantiseLumaDc(dc: ArrayLike<number>, qp: number): Int32Array {
  const h = hadamard4(dc);
  const qbits = 15 + Math.floor(qp / 6);
  const rounding = Math.floor(2 ** qbits / 3);
  const out = new Int32Array(16);
  for (let k = 0; k < 16; k++) {
    // The forward Hadamard is halved (>> 1), so the quantiser divides by 2^(qbits + 1) of twice the rounding.
    const y = h[k]! / 2;
    const level = Math.floor((Math.abs(y) * QUANT_MF[qp % 6]![0] + 2 * rounding) / 2 ** (qbits + 1));
    out[k] = clampLevel(y < 0 ? -level : level);
  }
  return out;
}

/** Quantises the four chroma DC coefficients (2x2, raster) after the forward 2x2 transform. */
export function quantiseChromaDc(dc: ArrayLike<number>, qp: number): Int32Array {
  const [a, b, c, d] = [dc[0]!, dc[1]!, dc[2]!, dc[3]!];
  const f = [a + b + c + d, a - b + c - d, a + b - c - d, a - b - c + d];
  const qbits = 15 + Math.floor(qp / 6);
  const rounding = Math.floor(2 ** qbits / 3);
  const out = new Int32Array(4);
  for (let k = 0; k < 4; k++) {
    const level = Math.floor((Math.abs(f[k]!) * QUANT_MF[qp % 6]![0] + 2 * rounding) / 2 ** (qbits + 1));
    out[k] = clampLevel(f[k]! < 0 ? -level : level);
  }
  return out;
}

/**
 * Levels stay within what CAVLC codes with a level_prefix of at most 15 (9.2.2.1), which every
 * profile decodes: |level| <= 2063 whatever suffixLength is.
 */
const MAX_LEVEL = 2000;
function clampLevel(level: number): number {
  return Math.max(-MAX_LEVEL, Math.min(MAX_LEVEL, level));
}

/** The 4x4 Hadamard transform H c H (symmetric: the same forward and inverse, no scaling). */
function hadamard4(c: ArrayLike<number>): Int32Array {
  const tmp = new Int32Array(16);
  for (let y = 0; y < 4; y++) {
    const [a, b, cc, d] = [c[y * 4]!, c[y * 4 + 1]!, c[y * 4 + 2]!, c[y * 4 + 3]!];
    tmp[y * 4] = a + b + cc + d;
    tmp[y * 4 + 1] = a + b - cc - d;
    tmp[y * 4 + 2] = a - b - cc + d;
    tmp[y * 4 + 3] = a - b + cc - d;
  }
  const out = new Int32Array(16);
  for (let x = 0; x < 4; x++) {
    const [a, b, cc, d] = [tmp[x]!, tmp[4 + x]!, tmp[8 + x]!, tmp[12 + x]!];
    out[x] = a + b + cc + d;
    out[4 + x] = a + b - cc - d;
    out[8 + x] = a - b - cc + d;
    out[12 + x] = a - b + cc - d;
  }
  return out;
}

/** Intra16x16 luma DC: the scaled DC of each 4x4 block (dcY, 8.5.10), raster order of the blocks. */
export function dequantiseLumaDc(levels: ArrayLike<number>, qp: number): Int32Array {
  const f = hadamard4(levels);
  const scale = levelScale(qp, 0);
  const qp6 = Math.floor(qp / 6);
  const out = new Int32Array(16);
  for (let k = 0; k < 16; k++) {
    out[k] = qp >= 36 ? (f[k]! * scale) << (qp6 - 6) : (f[k]! * scale + (1 << (5 - qp6))) >> (6 - qp6);
  }
  return out;
}

/** 4:2:0 chroma DC: the scaled DC of each 4x4 chroma block (dcC, 8.5.11.2), raster order. */
export function dequantiseChromaDc(levels: ArrayLike<number>, qpC: number): Int32Array {
  const [a, b, c, d] = [levels[0]!, levels[1]!, levels[2]!, levels[3]!];
  const f = [a + b + c + d, a - b + c - d, a + b - c - d, a - b - c + d];
  const scale = levelScale(qpC, 0);
  const qp6 = Math.floor(qpC / 6);
  return Int32Array.from(f, (v) => ((v * scale) << qp6) >> 5);
}

/** Scales a block's AC levels (8.5.12.1) and puts `dc` (already scaled) at index 0. */
export function dequantiseAc(levels: ArrayLike<number>, qp: number, dc: number): Int32Array {
  const qp6 = Math.floor(qp / 6);
  const out = new Int32Array(16);
  out[0] = dc;
  for (let k = 1; k < 16; k++) {
    const c = levels[k]!;
    if (c === 0) continue;
    const scale = levelScale(qp, k);
    out[k] = qp >= 24 ? (c * scale) << (qp6 - 4) : (c * scale + (1 << (3 - qp6))) >> (4 - qp6);
  }
  return out;
}

/** The inverse transform (8.5.12.2): rows first, then columns, then (x + 32) >> 6. */
export function inverse4x4(d: Int32Array): Int32Array {
  const f = new Int32Array(16);
  for (let y = 0; y < 4; y++) {
    const [d0, d1, d2, d3] = [d[y * 4]!, d[y * 4 + 1]!, d[y * 4 + 2]!, d[y * 4 + 3]!];
    const e0 = d0 + d2;
    const e1 = d0 - d2;
    const e2 = (d1 >> 1) - d3;
    const e3 = d1 + (d3 >> 1);
    f[y * 4] = e0 + e3;
    f[y * 4 + 1] = e1 + e2;
    f[y * 4 + 2] = e1 - e2;
    f[y * 4 + 3] = e0 - e3;
  }
  const r = new Int32Array(16);
  for (let x = 0; x < 4; x++) {
    const [f0, f1, f2, f3] = [f[x]!, f[4 + x]!, f[8 + x]!, f[12 + x]!];
    const g0 = f0 + f2;
    const g1 = f0 - f2;
    const g2 = (f1 >> 1) - f3;
    const g3 = f1 + (f3 >> 1);
    r[x] = (g0 + g3 + 32) >> 6;
    r[4 + x] = (g1 + g2 + 32) >> 6;
    r[8 + x] = (g1 - g2 + 32) >> 6;
    r[12 + x] = (g0 - g3 + 32) >> 6;
  }
  return r;
}
