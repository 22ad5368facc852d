// The CAVLC code tables of ITU-T H.264 clause 9.2, written out as bit strings: coeff_token (table
// 9-5), total_zeros (tables 9-7, 9-8 and 9-9a for 4:2:0 chroma DC) and run_before (table 9-10).
// Only what an encoder needs: the code for a value. Checked by the decoders that read picamd's
// pictures (test/formats/h264-writer) and by a prefix-code test of every table.

/**
 * coeff_token for one nC range: row TotalCoeff (0..16), then one code per TrailingOnes value
 * (0..min(3, TotalCoeff)), in the order of table 9-5.
 */
export type CoeffTokenTable = readonly (readonly string[])[];

const row = (text: string): string[] => text.trim().split(/\s+/);

/** 0 <= nC < 2. */
const NC_0: CoeffTokenTable = [
  row('1'),
  row('000101 01'),
  row('00000111 000100 001'),
  row('000000111 00000110 0000101 00011'),
  row('0000000111 000000110 00000101 000011'),
  row('00000000111 0000000110 000000101 0000100'),
  row('0000000001111 00000000110 0000000101 00000100'),
  row('0000000001011 0000000001110 00000000101 000000100'),
  row('0000000001000 0000000001010 0000000001101 0000000100'),
  row('00000000001111 00000000001110 0000000001001 00000000100'),
  row('00000000001011 00000000001010 00000000001101 0000000001100'),
  row('000000000001111 000000000001110 00000000001001 00000000001100'),
  row('000000000001011 000000000001010 000000000001101 00000000001000'),
  row('0000000000001111 000000000000001 000000000001001 000000000001100'),
  row('0000000000001011 0000000000001110 0000000000001101 000000000001000'),
  row('0000000000000111 0000000000001010 0000000000001001 0000000000001100'),
  row('0000000000000100 0000000000000110 0000000000000101 0000000000001000'),
];

/** 2 <= nC < 4. */
const NC_2: CoeffTokenTable = [
  row('11'),
  row('001011 10'),
  row('000111 00111 011'),
  row('0000111 001010 001001 0101'),
  row('00000111 000110 000101 0100'),
  row('00000100 0000110 0000101 00110'),
  row('000000111 00000110 00000101 001000'),
  row('00000001111 000000110 000000101 000100'),
  row('00000001011 00000001110 00000001101 0000100'),
  row('000000001111 00000001010 00000001001 000000100'),
  row('000000001011 000000001110 000000001101 00000001100'),
  row('000000001000 000000001010 000000001001 00000001000'),
  row('0000000001111 0000000001110 0000000001101 000000001100'),
  row('0000000001011 0000000001010 0000000001001 0000000001100'),
  row('0000000000111 00000000001011 0000000000110 0000000001000'),
  row('00000000001001 00000000001000 00000000001010 0000000000001'),
  row('00000000000111 00000000000110 00000000000101 00000000000100'),
];

/** 4 <= nC < 8. */
const NC_4: CoeffTokenTable = [
  row('1111'),
  row('001111 1110'),
  row('001011 01111 1101'),
  row('001000 01100 01110 1100'),
  row('0001111 01010 01011 1011'),
  row('0001011 01000 01001 1010'),
  row('0001001 001110 001101 1001'),
  row('0001000 001010 001001 1000'),
  row('00001111 0001110 0001101 01101'),
  row('00001011 00001110 0001010 001100'),
  row('000001111 00001010 00001101 0001100'),
  row('000001011 000001110 00001001 00001100'),
  row('000001000 000001010 000001101 00001000'),
  row('0000001101 000000111 000001001 000001100'),
  row('0000001001 0000001100 0000001011 0000001010'),
  row('0000000101 0000001000 0000000111 0000000110'),
  row('0000000001 0000000100 0000000011 0000000010'),
];

/** nC == -1: the 2x2 chroma DC of 4:2:0. TotalCoeff 0..4. */
export const COEFF_TOKEN_CHROMA_DC: CoeffTokenTable = [
  row('01'),
  row('000111 1'),
  row('000100 000110 001'),
  row('000011 0000011 0000010 000101'),
  row('000010 00000011 00000010 0000000'),
];

/** The coeff_token code for a block whose neighbours give `nC` (>= 0; 8 and over is a 6-bit fixed-length code). */
export function coeffTokenCode(nC: number, totalCoeff: number, trailingOnes: number): string {
  if (nC >= 8) {
    // 6 bits: TotalCoeff - 1 in 4 bits and TrailingOnes in 2, except 000011 for no coefficient.
    if (totalCoeff === 0) return '000011';
    return (((totalCoeff - 1) << 2) | trailingOnes).toString(2).padStart(6, '0');
  }
  const table = nC < 2 ? NC_0 : nC < 4 ? NC_2 : NC_4;
  return lookup(table, totalCoeff, trailingOnes);
}

export function lookup(table: CoeffTokenTable, totalCoeff: number, trailingOnes: number): string {
  const code = table[totalCoeff]?.[trailingOnes];
  if (code === undefined) throw new RangeError(`no coeff_token for TotalCoeff ${totalCoeff}, TrailingOnes ${trailingOnes}`);
  return code;
}

/** Every coeff_token table with nC < 8 (for the prefix-code test). */
export const COEFF_TOKEN_TABLES: Readonly<Record<string, CoeffTokenTable>> = { NC_0, NC_2, NC_4, CHROMA_DC: COEFF_TOKEN_CHROMA_DC };

/**
 * total_zeros for 4x4 blocks (tables 9-7 and 9-8): index TotalCoeff (1..15), then one code per
 * total_zeros value (0 .. 16 - TotalCoeff).
 */
export const TOTAL_ZEROS_4X4: readonly (readonly string[])[] = [
  [],
  row('1 011 010 0011 0010 00011 00010 000011 000010 0000011 0000010 00000011 00000010 000000011 000000010 000000001'),
  row('111 110 101 100 011 0101 0100 0011 0010 00011 00010 000011 000010 000001 000000'),
  row('0101 111 110 101 0100 0011 100 011 0010 00011 00010 000001 00001 000000'),
  row('00011 111 0101 0100 110 101 100 0011 011 0010 00010 00001 00000'),
  row('0101 0100 0011 111 110 101 100 011 0010 00001 0001 00000'),
  row('000001 00001 111 110 101 100 011 010 0001 001 000000'),
  row('000001 00001 101 100 011 11 010 0001 001 000000'),
  row('000001 0001 00001 011 11 10 010 001 000000'),
  row('000001 000000 0001 11 10 001 01 00001'),
  row('00001 00000 001 11 10 01 0001'),
  row('0000 0001 001 010 1 011'),
  row('0000 0001 01 1 001'),
  row('000 001 1 01'),
  row('00 01 1'),
  row('0 1'),
];

/** total_zeros for the 2x2 chroma DC of 4:2:0 (table 9-9a): index TotalCoeff (1..3). */
export const TOTAL_ZEROS_CHROMA_DC: readonly (readonly string[])[] = [
  [],
  row('1 01 001 000'),
  row('1 01 00'),
  row('1 0'),
];

/** run_before (table 9-10): index min(zerosLeft, 7) (1..7), then one code per run_before value. */
export const RUN_BEFORE: readonly (readonly string[])[] = [
  [],
  row('1 0'),
  row('1 01 00'),
  row('11 10 01 00'),
  row('11 10 01 001 000'),
  row('11 10 011 010 001 000'),
  row('11 000 001 011 010 101 100'),
  row('111 110 101 100 011 010 001 0001 00001 000001 0000001 00000001 000000001 0000000001 00000000001'),
];
