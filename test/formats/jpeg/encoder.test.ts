import assert from 'node:assert/strict';
import { test } from 'node:test';
import jpeg from 'jpeg-js';
import { encodeJpeg, encodeScan, jpegHeader, jpegTables, rasterToPlanes } from '../../../src/formats/jpeg/encoder.js';
import { ADVANCE, GLYPH_HEIGHT, drawText, glyph, hasGlyph, normalizeText, textWidth } from '../../../src/formats/jpeg/font.js';
import { createRaster, type Raster } from '../../../src/formats/jpeg/raster.js';

/** A smooth colour image with a few hard edges. */
function testImage(width: number, height: number): Raster {
  const raster = createRaster(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      raster.data[i] = Math.round((x / width) * 255);
      raster.data[i + 1] = Math.round((y / height) * 255);
      raster.data[i + 2] = (x >> 4) % 2 === (y >> 4) % 2 ? 200 : 60;
    }
  }
  return raster;
}

/** Mean absolute difference per channel between a raster and a decoded RGBA image. */
function meanError(raster: Raster, rgba: Uint8Array): number {
  let sum = 0;
  for (let p = 0; p < raster.width * raster.height; p++) {
    for (let c = 0; c < 3; c++) sum += Math.abs(raster.data[p * 3 + c]! - rgba[p * 4 + c]!);
  }
  return sum / (raster.width * raster.height * 3);
}

test('encodeJpeg makes a baseline JPEG that decodes to the same size and close to the same pixels', () => {
  for (const [width, height] of [[1, 1], [17, 9], [64, 48], [333, 201]] as const) {
    const raster = testImage(width, height);
    const bytes = encodeJpeg(raster, 90);
    assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xd8]);
    assert.deepEqual([...bytes.subarray(-2)], [0xff, 0xd9]);
    const decoded = jpeg.decode(bytes, { useTArray: true });
    assert.equal(decoded.width, width);
    assert.equal(decoded.height, height);
    // Chroma is subsampled 2x2, so the hard-edged blue channel is not exact; an unrelated image is off by ~80.
    assert.ok(meanError(raster, decoded.data) < 8, `${width}x${height}: error ${meanError(raster, decoded.data)}`);
  }
});

test('a flat picture comes back as its colour', () => {
  const raster = createRaster(48, 32, [24, 200, 90]);
  const decoded = jpeg.decode(encodeJpeg(raster, 70), { useTArray: true });
  for (let p = 0; p < 48 * 32; p++) {
    assert.ok(Math.abs(decoded.data[p * 4]! - 24) <= 3);
    assert.ok(Math.abs(decoded.data[p * 4 + 1]! - 200) <= 3);
    assert.ok(Math.abs(decoded.data[p * 4 + 2]! - 90) <= 3);
  }
});

test('quality changes the tables and the size', () => {
  const raster = testImage(128, 96);
  assert.ok(encodeJpeg(raster, 30).length < encodeJpeg(raster, 90).length);
  assert.equal(jpegTables(50).lumaQ[0], 16); // the Annex K table itself at quality 50
  assert.equal(jpegTables(100).lumaQ.every((q) => q === 1), true);
  assert.equal(jpegTables(1).lumaQ.every((q) => q >= 1 && q <= 255), true);
});

test('independently coded MCUs joined with RST markers decode like the plain scan', () => {
  const raster = testImage(72, 40); // 5 x 3 MCUs, the last column and row padded
  const tables = jpegTables(80);
  const planes = rasterToPlanes(raster);
  const scan = encodeScan(planes, tables, true);
  const ends = scan.mcuEnds!;
  assert.equal(ends.length, 15);
  const parts: Buffer[] = [Buffer.from([0xff, 0xd8]), jpegHeader(tables, 72, 40, 1)];
  for (let i = 0; i < ends.length; i++) {
    parts.push(scan.data.subarray(i === 0 ? 0 : ends[i - 1], ends[i]));
    if (i < ends.length - 1) parts.push(Buffer.from([0xff, 0xd0 + (i % 8)]));
  }
  parts.push(Buffer.from([0xff, 0xd9]));
  const withRestarts = jpeg.decode(Buffer.concat(parts), { useTArray: true });
  const plain = jpeg.decode(encodeJpeg(raster, 80), { useTArray: true });
  assert.deepEqual(withRestarts.data, plain.data);
});

test('the font covers printable ASCII and measures text', () => {
  for (let code = 0x20; code <= 0x7e; code++) {
    const ch = String.fromCharCode(code);
    assert.ok(hasGlyph(ch), `no glyph for ${JSON.stringify(ch)}`);
    assert.equal(glyph(ch).length, GLYPH_HEIGHT);
    if (ch !== ' ') assert.ok(glyph(ch).some((row) => row !== 0), `empty glyph for ${ch}`);
  }
  assert.equal(glyph('\u00e9'), glyph('?'));
  assert.equal(normalizeText('Camera starting\u2026'), 'Camera starting...');
  assert.equal(textWidth('ab', 3), (ADVANCE + 5) * 3);
  assert.equal(textWidth('', 3), 0);
});

test('drawText inks pixels inside the text box only', () => {
  const raster = createRaster(40, 20);
  drawText(raster, 2, 3, 'Hi', 2, [255, 255, 255]);
  let inside = 0;
  for (let y = 0; y < 20; y++) {
    for (let x = 0; x < 40; x++) {
      if (raster.data[(y * 40 + x) * 3] === 0) continue;
      assert.ok(x >= 2 && x < 2 + textWidth('Hi', 2) && y >= 3 && y < 3 + GLYPH_HEIGHT * 2, `ink at ${x},${y}`);
      inside++;
    }
  }
  assert.ok(inside > 20);
  drawText(raster, 35, 15, 'clipped', 4, [255, 0, 0]); // must not throw past the edges
});
