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

// BT.709 in limited range, scaled by 2^16: Y = 16 + 219/255 (0.2126 R + 0.7152 G + 0.0722 B), and
// Cb, Cr = 128 + 224/255 of (B - Y') / 1.8556 and (R - Y') / 1.5748.
const Y_R = 11966;
const Y_G = 40254;
const Y_B = 4064;
const CB_R = -6596;
const CB_G = -22189;
const CB_B = 28784;
const CR_R = 28784;
const CR_G = -26145;
const CR_B = -2639;
const HALF = 1 << 15;

export function rasterToYuv420(raster: Raster): Yuv420 {
  const { width, height, data } = raster;
  const lumaWidth = Math.ceil(width / 16) * 16;
  const lumaHeight = Math.ceil(height / 16) * 16;
  const y = new Uint8Array(lumaWidth * lumaHeight);
  const chromaWidth = lumaWidth / 2;
  const cb = new Uint8Array(chromaWidth * (lumaHeight / 2));
  const cr = new Uint8Array(cb.length);
  // Integer arithmetic, one 2x2 square at a time (its four luma samples and their average chroma);
  // rows and columns past the picture repeat its last ones.
  for (let cy = 0; cy < lumaHeight / 2; cy++) {
    const rows = [Math.min(2 * cy, height - 1) * width * 3, Math.min(2 * cy + 1, height - 1) * width * 3];
    for (let cx = 0; cx < chromaWidth; cx++) {
      const cols = [Math.min(2 * cx, width - 1) * 3, Math.min(2 * cx + 1, width - 1) * 3];
      let sumCb = 0;
      let sumCr = 0;
      for (let j = 0; j < 2; j++) {
        for (let i = 0; i < 2; i++) {
          const at = rows[j]! + cols[i]!;
          const r = data[at]!;
          const g = data[at + 1]!;
          const b = data[at + 2]!;
          y[(2 * cy + j) * lumaWidth + 2 * cx + i] = 16 + ((Y_R * r + Y_G * g + Y_B * b + HALF) >> 16);
          sumCb += CB_R * r + CB_G * g + CB_B * b;
          sumCr += CR_R * r + CR_G * g + CR_B * b;
        }
      }
      cb[cy * chromaWidth + cx] = clamp(128 + Math.round(sumCb / (4 << 16)));
      cr[cy * chromaWidth + cx] = clamp(128 + Math.round(sumCr / (4 << 16)));
    }
  }
  return { width, height, lumaWidth, lumaHeight, y, cb, cr };
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}
