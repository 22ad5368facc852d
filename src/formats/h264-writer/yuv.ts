// RGB pictures (src/jpeg/raster.ts, what the placeholders are drawn into) as the 4:2:0 planes an
// H.264 encoder codes: BT.709 in limited range (Y 16..235, Cb and Cr 16..240), as the SPS's VUI
// says, so every player shows the same colours. Pure.

import type { Raster } from '../jpeg/raster.js';

/** 8-bit 4:2:0 planes padded to whole macroblocks (edge pixels repeated). */
export interface Yuv420 {
  /** The picture's own size. */
  readonly width: number;
  readonly height: number;
  /** Luma stride and rows: multiples of 16. */
  readonly lumaWidth: number;
  readonly lumaHeight: number;
  readonly y: Uint8Array;
  /** lumaWidth / 2 by lumaHeight / 2 each. */
  readonly cb: Uint8Array;
  readonly cr: Uint8Array;
}

const KR = 0.2126;
const KB = 0.0722;

export function rasterToYuv420(raster: Raster): Yuv420 {
  const { width, height, data } = raster;
  const lumaWidth = Math.ceil(width / 16) * 16;
  const lumaHeight = Math.ceil(height / 16) * 16;
  const y = new Uint8Array(lumaWidth * lumaHeight);
  const chromaWidth = lumaWidth / 2;
  const cb = new Uint8Array(chromaWidth * (lumaHeight / 2));
  const cr = new Uint8Array(cb.length);
  // Per-pixel luma and chroma differences, then chroma averaged over each 2x2 square.
  const cbFull = new Float64Array(lumaWidth * lumaHeight);
  const crFull = new Float64Array(lumaWidth * lumaHeight);
  for (let row = 0; row < lumaHeight; row++) {
    const source = Math.min(row, height - 1) * width * 3;
    for (let col = 0; col < lumaWidth; col++) {
      const i = source + Math.min(col, width - 1) * 3;
      const r = data[i]!;
      const g = data[i + 1]!;
      const b = data[i + 2]!;
      const luma = KR * r + (1 - KR - KB) * g + KB * b;
      y[row * lumaWidth + col] = Math.round(16 + (luma * 219) / 255);
      cbFull[row * lumaWidth + col] = ((b - luma) / (2 * (1 - KB))) * (224 / 255);
      crFull[row * lumaWidth + col] = ((r - luma) / (2 * (1 - KR))) * (224 / 255);
    }
  }
  for (let row = 0; row < lumaHeight / 2; row++) {
    for (let col = 0; col < chromaWidth; col++) {
      const a = 2 * row * lumaWidth + 2 * col;
      const sum = (plane: Float64Array) => plane[a]! + plane[a + 1]! + plane[a + lumaWidth]! + plane[a + lumaWidth + 1]!;
      cb[row * chromaWidth + col] = clamp(Math.round(128 + sum(cbFull) / 4));
      cr[row * chromaWidth + col] = clamp(Math.round(128 + sum(crFull) / 4));
    }
  }
  return { width, height, lumaWidth, lumaHeight, y, cb, cr };
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}
