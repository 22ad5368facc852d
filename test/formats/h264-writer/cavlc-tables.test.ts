import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coeffTokenCode, COEFF_TOKEN_TABLES, RUN_BEFORE, TOTAL_ZEROS_4X4, TOTAL_ZEROS_CHROMA_DC } from '../../../src/formats/h264-writer/cavlc-tables.js';

/** True when no code is a prefix of another, so a decoder can tell every value apart. */
function assertPrefixFree(name: string, codes: readonly string[]): void {
  for (const a of codes) {
    assert.match(a, /^[01]+$/, `${name}: "${a}"`);
    for (const b of codes) if (a !== b) assert.ok(!b.startsWith(a), `${name}: ${a} is a prefix of ${b}`);
  }
  assert.equal(new Set(codes).size, codes.length, `${name}: a code appears twice`);
  // Kraft: prefix-free binary codes have sum(2^-length) <= 1.
  assert.ok(codes.reduce((sum, c) => sum + 2 ** -c.length, 0) <= 1, `${name}: Kraft sum over 1`);
}

describe('CAVLC tables (ITU-T H.264 9.2)', () => {
  it('coeff_token: one code per (TotalCoeff, TrailingOnes) with TrailingOnes <= min(3, TotalCoeff), prefix-free per nC range', () => {
    for (const [name, table] of Object.entries(COEFF_TOKEN_TABLES)) {
      const maxTotal = name === 'CHROMA_DC' ? 4 : 16;
      assert.equal(table.length, maxTotal + 1, name);
      table.forEach((row, totalCoeff) => assert.equal(row.length, Math.min(3, totalCoeff) + 1, `${name} TotalCoeff ${totalCoeff}`));
      assertPrefixFree(name, table.flat());
    }
    // 8 <= nC: six bits, TotalCoeff - 1 then TrailingOnes, 000011 for none (table 9-5's last column).
    assert.equal(coeffTokenCode(8, 0, 0), '000011');
    assert.equal(coeffTokenCode(8, 1, 0), '000000');
    assert.equal(coeffTokenCode(16, 16, 3), '111111');
    const fixed: string[] = ['000011'];
    for (let total = 1; total <= 16; total++) for (let ones = 0; ones <= Math.min(3, total); ones++) fixed.push(coeffTokenCode(9, total, ones));
    assertPrefixFree('8 <= nC', fixed);
  });

  it('total_zeros: a code for every count of zeros a block can hold', () => {
    for (let total = 1; total <= 15; total++) {
      assert.equal(TOTAL_ZEROS_4X4[total]!.length, 16 - total + 1, `TotalCoeff ${total}`);
      assertPrefixFree(`total_zeros ${total}`, TOTAL_ZEROS_4X4[total]!);
    }
    for (let total = 1; total <= 3; total++) {
      assert.equal(TOTAL_ZEROS_CHROMA_DC[total]!.length, 4 - total + 1);
      assertPrefixFree(`chroma DC total_zeros ${total}`, TOTAL_ZEROS_CHROMA_DC[total]!);
    }
  });

  it('run_before: runs 0..zerosLeft (up to 14 in the last table), prefix-free', () => {
    for (let zerosLeft = 1; zerosLeft <= 7; zerosLeft++) {
      assert.equal(RUN_BEFORE[zerosLeft]!.length, zerosLeft === 7 ? 15 : zerosLeft + 1);
      assertPrefixFree(`run_before ${zerosLeft}`, RUN_BEFORE[zerosLeft]!);
    }
  });
});
