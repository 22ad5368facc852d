// One IDR picture coded with Intra_16x16 macroblocks (ITU-T H.264 7.3.5, 8.3.3, 8.3.4) and CAVLC
// residuals: each macroblock is predicted from its already decoded neighbours (vertical, horizontal
// or DC, whichever is closest), and only the difference is sent. A placeholder is mostly flat
// colour, where the prediction is exact and a macroblock costs a few bits; text costs what its
// edges need. The encoder keeps the picture exactly as a decoder rebuilds it (transform.ts), so the
// prediction of each macroblock starts from what the viewer really sees.

import { BitWriter } from './bit-writer.js';
import { writeResidualBlock } from './cavlc.js';
import { macroblocks, nalUnit, NalUnitType, writeIdrSliceHeader, checkParameters, type StreamParameters } from './parameter-sets.js';
import {
  chromaQp,
  dequantiseAc,
  dequantiseChromaDc,
  dequantiseLumaDc,
  forward4x4,
  inverse4x4,
  quantiseAc,
  quantiseChromaDc,
  quantiseLumaDc,
  ZIGZAG,
} from './transform.js';
import type { Yuv420 } from './yuv.js';

export interface IntraPicture {
  /** The coded slice NAL unit (nal_unit_type 5), without start code or length. */
  readonly nal: Buffer;
  /** The picture as every decoder reconstructs it, in the planes' padded layout. */
  readonly decoded: Yuv420;
}

/** Intra16x16PredMode values (table 7-11) used here. */
const LUMA_VERTICAL = 0;
const LUMA_HORIZONTAL = 1;
const LUMA_DC = 2;
/** intra_chroma_pred_mode values (table 7-16) used here. */
const CHROMA_DC = 0;
const CHROMA_HORIZONTAL = 1;
const CHROMA_VERTICAL = 2;

/** Luma 4x4 block index (6.4.3) to its column and row in the macroblock, in blocks. */
const BLOCK_X = [0, 1, 0, 1, 2, 3, 2, 3, 0, 1, 0, 1, 2, 3, 2, 3] as const;
const BLOCK_Y = [0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3] as const;

/** Codes `picture` (the stream's size, see rasterToYuv420) as the one slice of an IDR picture. */
export function encodeIntraPicture(p: StreamParameters, picture: Yuv420, idrPicId: number): IntraPicture {
  checkParameters(p);
  const { cols, rows } = macroblocks(p);
  if (picture.lumaWidth !== cols * 16 || picture.lumaHeight !== rows * 16) {
    throw new RangeError(`the picture is ${picture.width}x${picture.height}, the stream ${p.width}x${p.height}`);
  }
  const decoded: Yuv420 = {
    ...picture,
    y: new Uint8Array(picture.y.length),
    cb: new Uint8Array(picture.cb.length),
    cr: new Uint8Array(picture.cr.length),
  };
  const state: PictureState = {
    qp: p.qp,
    qpC: chromaQp(p.qp, 0),
    source: picture,
    decoded,
    lumaTotals: new Uint8Array(cols * 4 * rows * 4),
    cbTotals: new Uint8Array(cols * 2 * rows * 2),
    crTotals: new Uint8Array(cols * 2 * rows * 2),
    cols,
  };
  // Flat pictures code in a few bits per macroblock; text needs more.
  const w = new BitWriter(cols * rows * 8);
  writeIdrSliceHeader(w, p, idrPicId);
  for (let mby = 0; mby < rows; mby++) {
    for (let mbx = 0; mbx < cols; mbx++) encodeMacroblock(w, state, mbx, mby);
  }
  w.trailingBits();
  return { nal: nalUnit(3, NalUnitType.idr, w.toBuffer()), decoded };
}

interface PictureState {
  qp: number;
  qpC: number;
  source: Yuv420;
  decoded: Yuv420;
  /** TotalCoeff of each luma 4x4 block's AC levels (what nC is made of), cols * 4 blocks a row. */
  lumaTotals: Uint8Array;
  /** The same for each 4x4 chroma block, cols * 2 a row. */
  cbTotals: Uint8Array;
  crTotals: Uint8Array;
  cols: number;
}

function encodeMacroblock(w: BitWriter, s: PictureState, mbx: number, mby: number): void {
  const left = mbx > 0;
  const top = mby > 0;
  const stride = s.source.lumaWidth;
  const x0 = mbx * 16;
  const y0 = mby * 16;

  // Luma: the closest of the available predictions.
  let lumaMode = LUMA_DC;
  let lumaPred = predictLuma(s.decoded.y, stride, x0, y0, LUMA_DC, left, top);
  let best = sad(s.source.y, stride, x0, y0, 16, lumaPred);
  for (const mode of [LUMA_VERTICAL, LUMA_HORIZONTAL]) {
    if (best === 0) break;
    if ((mode === LUMA_VERTICAL && !top) || (mode === LUMA_HORIZONTAL && !left)) continue;
    const pred = predictLuma(s.decoded.y, stride, x0, y0, mode, left, top);
    const cost = sad(s.source.y, stride, x0, y0, 16, pred);
    if (cost < best) {
      best = cost;
      lumaMode = mode;
      lumaPred = pred;
    }
  }
  // Chroma: one prediction mode for both components.
  const cStride = stride / 2;
  const cx0 = mbx * 8;
  const cy0 = mby * 8;
  let chromaMode = CHROMA_DC;
  let cbPred = predictChroma(s.decoded.cb, cStride, cx0, cy0, CHROMA_DC, left, top);
  let crPred = predictChroma(s.decoded.cr, cStride, cx0, cy0, CHROMA_DC, left, top);
  let bestChroma = sad(s.source.cb, cStride, cx0, cy0, 8, cbPred) + sad(s.source.cr, cStride, cx0, cy0, 8, crPred);
  for (const mode of [CHROMA_HORIZONTAL, CHROMA_VERTICAL]) {
    if (bestChroma === 0) break;
    if ((mode === CHROMA_VERTICAL && !top) || (mode === CHROMA_HORIZONTAL && !left)) continue;
    const cb = predictChroma(s.decoded.cb, cStride, cx0, cy0, mode, left, top);
    const cr = predictChroma(s.decoded.cr, cStride, cx0, cy0, mode, left, top);
    const cost = sad(s.source.cb, cStride, cx0, cy0, 8, cb) + sad(s.source.cr, cStride, cx0, cy0, 8, cr);
    if (cost < bestChroma) {
      bestChroma = cost;
      chromaMode = mode;
      cbPred = cb;
      crPred = cr;
    }
  }
  if (best === 0 && bestChroma === 0) {
    // Flat colour predicted exactly (most of a placeholder): no residual at all, a few bits.
    copyBlock(lumaPred, 16, s.decoded.y, stride, x0, y0);
    copyBlock(cbPred, 8, s.decoded.cb, cStride, cx0, cy0);
    copyBlock(crPred, 8, s.decoded.cr, cStride, cx0, cy0);
    w.ue(1 + lumaMode); // I_16x16_<lumaMode>_0_0
    w.ue(chromaMode);
    w.se(0); // mb_qp_delta
    writeResidualBlock(w, NO_LEVELS, neighbourNc(s.lumaTotals, s.cols * 4, mbx * 4, mby * 4)); // the luma DC: no coefficient
    return;
  }
  const dcInput = new Int32Array(16);
  const ac: Int32Array[] = [];
  for (let b = 0; b < 16; b++) {
    const bx = b & 3;
    const by = b >> 2;
    if (best === 0) {
      // The prediction is exact (flat colour, most of a placeholder): nothing to send.
      ac.push(NO_LEVELS);
      continue;
    }
    const coefficients = forward4x4(residual(s.source.y, stride, x0 + bx * 4, y0 + by * 4, lumaPred, 16, bx * 4, by * 4));
    dcInput[b] = coefficients[0]!;
    ac.push(quantiseAc(coefficients, s.qp));
  }
  const dcLevels = quantiseLumaDc(dcInput, s.qp);
  const lumaAc = ac.some((levels) => levels.some((v) => v !== 0));
  const dcScaled = dequantiseLumaDc(dcLevels, s.qp);
  if (best === 0) copyBlock(lumaPred, 16, s.decoded.y, stride, x0, y0);
  else for (let b = 0; b < 16; b++) {
    const bx = b & 3;
    const by = b >> 2;
    const r = inverse4x4(dequantiseAc(ac[b]!, s.qp, dcScaled[b]!));
    reconstruct(s.decoded.y, stride, x0 + bx * 4, y0 + by * 4, lumaPred, 16, bx * 4, by * 4, r);
  }

  const cb = codeChroma(s.source.cb, cStride, cx0, cy0, cbPred, s.qpC);
  const cr = codeChroma(s.source.cr, cStride, cx0, cy0, crPred, s.qpC);
  const chromaAc = cb.ac.some((l) => l.some((v) => v !== 0)) || cr.ac.some((l) => l.some((v) => v !== 0));
  const chromaDc = cb.dc.some((v) => v !== 0) || cr.dc.some((v) => v !== 0);
  const cbpChroma = chromaAc ? 2 : chromaDc ? 1 : 0;
  for (const [component, plane, pred] of [[cb, s.decoded.cb, cbPred], [cr, s.decoded.cr, crPred]] as const) {
    // What is not sent is zero for the decoder too.
    if (cbpChroma < 2) for (const levels of component.ac) levels.fill(0);
    const dcScaledC = dequantiseChromaDc(component.dc, s.qpC);
    for (let b = 0; b < 4; b++) {
      const bx = b & 1;
      const by = b >> 1;
      const r = inverse4x4(dequantiseAc(component.ac[b]!, s.qpC, dcScaledC[b]!));
      reconstruct(plane, cStride, cx0 + bx * 4, cy0 + by * 4, pred, 8, bx * 4, by * 4, r);
    }
  }

  // macroblock_layer() for I_16x16_<lumaMode>_<cbpChroma>_<0 or 15> (table 7-11).
  w.ue(1 + lumaMode + 4 * cbpChroma + (lumaAc ? 12 : 0));
  w.ue(chromaMode); // intra_chroma_pred_mode
  w.se(0); // mb_qp_delta
  // residual(): the luma DC, the luma AC blocks (when any), the chroma DC (Cb, Cr), the chroma AC.
  const lumaGrid = s.cols * 4;
  const lumaNc = (gx: number, gy: number) => neighbourNc(s.lumaTotals, lumaGrid, gx, gy);
  writeResidualBlock(w, scan(dcLevels, 0), lumaNc(mbx * 4, mby * 4));
  if (lumaAc) {
    for (let blkIdx = 0; blkIdx < 16; blkIdx++) {
      const gx = mbx * 4 + BLOCK_X[blkIdx]!;
      const gy = mby * 4 + BLOCK_Y[blkIdx]!;
      const levels = ac[BLOCK_Y[blkIdx]! * 4 + BLOCK_X[blkIdx]!]!;
      s.lumaTotals[gy * lumaGrid + gx] = writeResidualBlock(w, scan(levels, 1), lumaNc(gx, gy));
    }
  }
  if (cbpChroma > 0) {
    writeResidualBlock(w, cb.dc, -1);
    writeResidualBlock(w, cr.dc, -1);
  }
  if (cbpChroma === 2) {
    const chromaGrid = s.cols * 2;
    for (const [component, totals] of [[cb, s.cbTotals], [cr, s.crTotals]] as const) {
      for (let b = 0; b < 4; b++) {
        const gx = mbx * 2 + (b & 1);
        const gy = mby * 2 + (b >> 1);
        totals[gy * chromaGrid + gx] = writeResidualBlock(w, scan(component.ac[b]!, 1), neighbourNc(totals, chromaGrid, gx, gy));
      }
    }
  }
}

/** The levels of a 4x4 block in zig-zag order from index `from` (1 for an AC block of 15). */
function scan(levels: Int32Array, from: number): Int32Array {
  const out = new Int32Array(16 - from);
  for (let i = from; i < 16; i++) out[i - from] = levels[ZIGZAG[i]!]!;
  return out;
}

/**
 * nC of a block (9.2.1) from the TotalCoeff of the blocks to its left and above, in a picture of one
 * slice where every macroblock is intra: a neighbour is available when it is inside the picture.
 */
function neighbourNc(totals: Uint8Array, gridWidth: number, gx: number, gy: number): number {
  const hasLeft = gx > 0;
  const hasTop = gy > 0;
  const nA = hasLeft ? totals[gy * gridWidth + gx - 1]! : 0;
  const nB = hasTop ? totals[(gy - 1) * gridWidth + gx]! : 0;
  if (hasLeft && hasTop) return (nA + nB + 1) >> 1;
  return hasLeft ? nA : nB;
}

interface CodedChroma {
  /** The 2x2 DC levels, raster order (the chroma DC scan). */
  dc: Int32Array;
  /** Each 4x4 block's levels (raster order of blocks and of coefficients), index 0 unused. */
  ac: Int32Array[];
}

function codeChroma(plane: Uint8Array, stride: number, x0: number, y0: number, pred: Uint8Array, qpC: number): CodedChroma {
  if (sad(plane, stride, x0, y0, 8, pred) === 0) return { dc: new Int32Array(4), ac: [0, 1, 2, 3].map(() => new Int32Array(16)) };
  const dcInput = new Int32Array(4);
  const ac: Int32Array[] = [];
  for (let b = 0; b < 4; b++) {
    const bx = (b & 1) * 4;
    const by = (b >> 1) * 4;
    const coefficients = forward4x4(residual(plane, stride, x0 + bx, y0 + by, pred, 8, bx, by));
    dcInput[b] = coefficients[0]!;
    ac.push(quantiseAc(coefficients, qpC));
  }
  return { dc: quantiseChromaDc(dcInput, qpC), ac };
}

/** The levels of a block with nothing to send (shared, never written). */
const NO_LEVELS = new Int32Array(16);

/** Copies a size x size prediction into the decoded plane at (x0, y0). */
function copyBlock(pred: Uint8Array, size: number, plane: Uint8Array, stride: number, x0: number, y0: number): void {
  for (let j = 0; j < size; j++) plane.set(pred.subarray(j * size, (j + 1) * size), (y0 + j) * stride + x0);
}

/** Source minus prediction for the 4x4 block at (x, y) of the plane, (px, py) of the prediction. */
function residual(plane: Uint8Array, stride: number, x: number, y: number, pred: Uint8Array, predSize: number, px: number, py: number): Int32Array {
  const out = new Int32Array(16);
  for (let j = 0; j < 4; j++) {
    for (let i = 0; i < 4; i++) out[j * 4 + i] = plane[(y + j) * stride + x + i]! - pred[(py + j) * predSize + px + i]!;
  }
  return out;
}

/** Prediction plus decoded residual, clipped to 0..255, into the decoded plane. */
function reconstruct(
  plane: Uint8Array,
  stride: number,
  x: number,
  y: number,
  pred: Uint8Array,
  predSize: number,
  px: number,
  py: number,
  r: Int32Array,
): void {
  for (let j = 0; j < 4; j++) {
    for (let i = 0; i < 4; i++) {
      const v = pred[(py + j) * predSize + px + i]! + r[j * 4 + i]!;
      plane[(y + j) * stride + x + i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
}

function sad(plane: Uint8Array, stride: number, x0: number, y0: number, size: number, pred: Uint8Array): number {
  let total = 0;
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) total += Math.abs(plane[(y0 + j) * stride + x0 + i]! - pred[j * size + i]!);
  }
  return total;
}

/** Intra_16x16 prediction (8.3.3) from the decoded samples left of and above the macroblock. */
function predictLuma(plane: Uint8Array, stride: number, x0: number, y0: number, mode: number, left: boolean, top: boolean): Uint8Array {
  const pred = new Uint8Array(256);
  if (mode === LUMA_VERTICAL) {
    for (let j = 0; j < 16; j++) for (let i = 0; i < 16; i++) pred[j * 16 + i] = plane[(y0 - 1) * stride + x0 + i]!;
  } else if (mode === LUMA_HORIZONTAL) {
    for (let j = 0; j < 16; j++) pred.fill(plane[(y0 + j) * stride + x0 - 1]!, j * 16, j * 16 + 16);
  } else {
    let sumTop = 0;
    let sumLeft = 0;
    for (let i = 0; i < 16; i++) {
      if (top) sumTop += plane[(y0 - 1) * stride + x0 + i]!;
      if (left) sumLeft += plane[(y0 + i) * stride + x0 - 1]!;
    }
    const dc = left && top ? (sumTop + sumLeft + 16) >> 5 : left ? (sumLeft + 8) >> 4 : top ? (sumTop + 8) >> 4 : 128;
    pred.fill(dc);
  }
  return pred;
}

/** Intra chroma prediction (8.3.4) of one 8x8 component of 4:2:0. */
function predictChroma(plane: Uint8Array, stride: number, x0: number, y0: number, mode: number, left: boolean, top: boolean): Uint8Array {
  const pred = new Uint8Array(64);
  if (mode === CHROMA_VERTICAL) {
    for (let j = 0; j < 8; j++) for (let i = 0; i < 8; i++) pred[j * 8 + i] = plane[(y0 - 1) * stride + x0 + i]!;
    return pred;
  }
  if (mode === CHROMA_HORIZONTAL) {
    for (let j = 0; j < 8; j++) pred.fill(plane[(y0 + j) * stride + x0 - 1]!, j * 8, j * 8 + 8);
    return pred;
  }
  // DC per 4x4 block (8.3.4.1-3): the corner blocks use both edges; the top-right block prefers the
  // samples above, the bottom-left one the samples to the left.
  for (let b = 0; b < 4; b++) {
    const xO = (b & 1) * 4;
    const yO = (b >> 1) * 4;
    let sumTop = 0;
    let sumLeft = 0;
    for (let i = 0; i < 4; i++) {
      if (top) sumTop += plane[(y0 - 1) * stride + x0 + xO + i]!;
      if (left) sumLeft += plane[(y0 + yO + i) * stride + x0 - 1]!;
    }
    let dc: number;
    if ((xO === 0 && yO === 0) || (xO > 0 && yO > 0)) {
      dc = left && top ? (sumTop + sumLeft + 4) >> 3 : left ? (sumLeft + 2) >> 2 : top ? (sumTop + 2) >> 2 : 128;
    } else if (xO > 0) {
      dc = top ? (sumTop + 2) >> 2 : left ? (sumLeft + 2) >> 2 : 128;
    } else {
      dc = left ? (sumLeft + 2) >> 2 : top ? (sumTop + 2) >> 2 : 128;
    }
    for (let j = 0; j < 4; j++) pred.fill(dc, (yO + j) * 8 + xO, (yO + j) * 8 + xO + 4);
  }
  return pred;
}
