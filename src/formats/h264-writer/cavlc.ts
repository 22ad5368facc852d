// residual_block_cavlc() (ITU-T H.264 7.3.5.3.2, 9.2) from the encoder's side: one block of
// coefficient levels, in scan order, as coeff_token, trailing ones' signs, levels, total_zeros and
// run_before.

import type { BitWriter } from './bit-writer.js';
import { coeffTokenCode, COEFF_TOKEN_CHROMA_DC, lookup, RUN_BEFORE, TOTAL_ZEROS_4X4, TOTAL_ZEROS_CHROMA_DC } from './cavlc-tables.js';

/**
 * Writes one block: `levels` in scan order (maxNumCoeff of them: 16, 15 for an AC block, 4 for 4:2:0
 * chroma DC). `nC` is -1 for chroma DC, otherwise from the neighbouring blocks (9.2.1). Returns
 * TotalCoeff, which the blocks to the right and below need for their own nC.
 */
export function writeResidualBlock(w: BitWriter, levels: ArrayLike<number>, nC: number): number {
  const maxNumCoeff = levels.length;
  // Non-zero levels from the highest frequency down, with their scan positions.
  const values: number[] = [];
  const positions: number[] = [];
  for (let i = maxNumCoeff - 1; i >= 0; i--) {
    if (levels[i] !== 0) {
      values.push(levels[i]!);
      positions.push(i);
    }
  }
  const totalCoeff = values.length;
  let trailingOnes = 0;
  while (trailingOnes < Math.min(3, totalCoeff) && Math.abs(values[trailingOnes]!) === 1) trailingOnes++;

  w.code(nC === -1 ? lookup(COEFF_TOKEN_CHROMA_DC, totalCoeff, trailingOnes) : coeffTokenCode(nC, totalCoeff, trailingOnes));
  if (totalCoeff === 0) return 0;

  let suffixLength = totalCoeff > 10 && trailingOnes < 3 ? 1 : 0;
  for (let i = 0; i < totalCoeff; i++) {
    const level = values[i]!;
    if (i < trailingOnes) {
      w.u(1, level < 0 ? 1 : 0); // trailing_ones_sign_flag
      continue;
    }
    let levelCode = level > 0 ? 2 * level - 2 : -2 * level - 1;
    // The first level after fewer than three trailing ones cannot be +-1: the decoder adds 2 back.
    if (i === trailingOnes && trailingOnes < 3) levelCode -= 2;
    writeLevel(w, levelCode, suffixLength);
    if (suffixLength === 0) suffixLength = 1;
    if (Math.abs(level) > 3 << (suffixLength - 1) && suffixLength < 6) suffixLength++;
  }

  if (totalCoeff < maxNumCoeff) {
    const totalZeros = positions[0]! + 1 - totalCoeff;
    const table = maxNumCoeff === 4 ? TOTAL_ZEROS_CHROMA_DC : TOTAL_ZEROS_4X4;
    w.code(table[totalCoeff]![totalZeros]!);
    let zerosLeft = totalZeros;
    for (let i = 0; i < totalCoeff - 1 && zerosLeft > 0; i++) {
      const run = positions[i]! - positions[i + 1]! - 1;
      w.code(RUN_BEFORE[Math.min(zerosLeft, 7)]![run]!);
      zerosLeft -= run;
    }
  }
  return totalCoeff;
}

/** level_prefix and level_suffix for one levelCode (9.2.2.1), never a level_prefix over 15. */
function writeLevel(w: BitWriter, levelCode: number, suffixLength: number): void {
  let prefix: number;
  let suffixBits: number;
  let suffix: number;
  if (suffixLength === 0) {
    if (levelCode < 14) {
      prefix = levelCode;
      suffixBits = 0;
      suffix = 0;
    } else if (levelCode < 30) {
      prefix = 14;
      suffixBits = 4;
      suffix = levelCode - 14;
    } else {
      prefix = 15;
      suffixBits = 12;
      suffix = levelCode - 30;
    }
  } else if (levelCode < 15 << suffixLength) {
    prefix = levelCode >> suffixLength;
    suffixBits = suffixLength;
    suffix = levelCode & ((1 << suffixLength) - 1);
  } else {
    prefix = 15;
    suffixBits = 12;
    suffix = levelCode - (15 << suffixLength);
  }
  if (suffix >= 1 << suffixBits) throw new RangeError(`level code ${levelCode} needs a level_prefix over 15`);
  w.u(prefix, 0);
  w.u(1, 1);
  w.u(suffixBits, suffix);
}
