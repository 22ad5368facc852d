// The simulated camera's pictures, built so that a frame costs almost nothing once started: every MCU is
// entropy-coded on its own (a restart interval of one MCU), so a frame is ready-made byte strings laid
// out in order, nothing encoded per frame. How: docs/camera-settings.md#the-simulated-camera.

import { encodeScan, jpegHeader, jpegTables, mcuCount, rasterToPlanes, type JpegTables } from '../formats/jpeg/encoder.js';
import { GLYPH_WIDTH, drawText } from '../formats/jpeg/font.js';
import { createRaster, fillRect, type Raster } from '../formats/jpeg/raster.js';
import { simStampSegment } from './stamp.js';
import { wrapWords } from './summary.js';

export interface SimPictureOptions {
  width: number;
  height: number;
  quality: number;
  framerate: number;
  hflip: boolean;
  vflip: boolean;
  /** -1..1, 0 unchanged: added to every channel (1 = +255). */
  brightness?: number;
  /** 1 unchanged: scales each channel's distance from mid-grey. */
  contrast?: number;
  /** 1 unchanged, 0 grey: scales each channel's distance from the pixel's luma. */
  saturation?: number;
  /** What the live line shows after the size and rate; default "q<quality>" (MJPEG). */
  codecLabel?: string;
  /** Words shown under the live line, wrapped to the width, in at most MAX_CAPTION_LINES lines. */
  caption?: readonly string[];
}

/** Caption lines at most, so the scene stays visible. */
export const MAX_CAPTION_LINES = 3;

export interface SimFrames {
  /** The complete JPEG for frame `seq`, stamped with `tUs` (microseconds since the epoch). */
  frame(seq: number, tUs: number): Buffer;
  /** The size of a frame (they differ by a few bytes). */
  readonly approxFrameBytes: number;
}

const SOI = Buffer.from([0xff, 0xd8]);
const EOI = Buffer.from([0xff, 0xd9]);
const RST = Array.from({ length: 8 }, (_, n) => Buffer.from([0xff, 0xd0 + n]));

const OSD_BACKGROUND = [12, 14, 18] as const;
const OSD_TEXT = [235, 235, 235] as const;
const OSD_BLOCK = [255, 176, 0] as const;
const BLOCK = '\u2588';

/** Pre-renders everything; `frame()` only concatenates. */
export function prerenderSimFrames(options: SimPictureOptions): SimFrames {
  const { width, height } = options;
  const tables = jpegTables(options.quality);
  const mcuCols = mcuCount(width);
  const mcuRows = mcuCount(height);
  const header = jpegHeader(tables, width, height, 1);

  // --- Background: one picture, every MCU coded independently.
  const raster = drawBackground(mcuCols * 16, mcuRows * 16, width, options.hflip, options.vflip);
  adjustPicture(raster, options.brightness ?? 0, options.contrast ?? 1, options.saturation ?? 1);
  const background = rasterToPlanes(raster);
  const scan = encodeScan(background, tables, true);
  const ends = scan.mcuEnds!;
  const mcuStart = (i: number) => (i === 0 ? 0 : ends[i - 1]!);

  // rows[source * 8 + phase]: the source row's MCUs, each followed by its RST marker, numbered from
  // `phase`. A row's phase depends on where it is shown, (displayRow * mcuCols) % 8: just 0 when the
  // width is a multiple of 128 px, at most all 8.
  const rows: Buffer[] = new Array(mcuRows * 8);
  const phases = new Set(Array.from({ length: mcuRows }, (_, r) => (r * mcuCols) & 7));
  for (const phase of phases) {
    for (let source = 0; source < mcuRows; source++) {
      const first = source * mcuCols;
      const row = Buffer.allocUnsafe(ends[first + mcuCols - 1]! - mcuStart(first) + 2 * mcuCols);
      let pos = 0;
      for (let c = 0; c < mcuCols; c++) {
        pos += scan.data.copy(row, pos, mcuStart(first + c), ends[first + c]);
        row[pos++] = 0xff;
        row[pos++] = 0xd0 + ((phase + c) & 7);
      }
      rows[source * 8 + phase] = row;
    }
  }

  // --- On-screen display: lines of character cells, cellMcus x cellMcus MCUs each: the live line,
  // then the caption.
  const cellMcus = height >= 1000 ? 2 : 1;
  const cells = Math.floor(mcuCols / cellMcus);
  const captionRoom = Math.max(0, Math.min(MAX_CAPTION_LINES, Math.floor(mcuRows / cellMcus / 2) - 1));
  const caption = captionRoom > 0 ? wrapWords(options.caption ?? [], cells, captionRoom) : [];
  const osdRows = Math.min(cellMcus * (1 + caption.length), mcuRows);
  const tiles = new Map<string, Buffer[]>();
  const tile = (ch: string): Buffer[] => {
    let chunks = tiles.get(ch);
    if (!chunks) {
      chunks = encodeTile(ch, cellMcus, tables);
      tiles.set(ch, chunks);
    }
    return chunks;
  };
  const mode = `${width}x${height} ${Number(options.framerate.toFixed(2))}fps ${options.codecLabel ?? `q${tables.quality}`}`;
  for (const ch of `0123456789#:. ${BLOCK}${mode}${caption.join('')}`) tile(ch);
  const blank = tile(' ');

  /** The characters in each cell: "#0000042 12:34:56.789", a moving block, the mode at the right. */
  const osdLine = (seq: number, tUs: number): string => {
    let left = `#${String(seq).padStart(7, '0')} ${clock(tUs)}`;
    if (left.length > cells) left = `#${seq} ${clock(tUs)}`;
    let right = ` ${mode}`;
    let track = cells - left.length - 1 - right.length;
    if (track < 8) {
      right = '';
      track = cells - left.length - 1;
    }
    if (track <= 0) return left.slice(0, cells);
    const at = seq % track;
    return `${left} ${' '.repeat(at)}${BLOCK}${' '.repeat(track - at - 1)}${right}`;
  };

  const scrollDirection = options.vflip ? -1 : 1;
  const parts: Buffer[] = [];

  const frame = (seq: number, tUs: number): Buffer => {
    parts.length = 0;
    parts.push(SOI, simStampSegment(seq, tUs), header);
    const lines = [osdLine(seq, tUs), ...caption];
    for (let r = 0; r < osdRows; r++) {
      const line = lines[Math.floor(r / cellMcus)]!;
      const tileRow = r % cellMcus;
      for (let c = 0; c < mcuCols; c++) {
        const cell = Math.floor(c / cellMcus);
        const chunks = cell < cells ? tile(line[cell] ?? ' ') : blank;
        parts.push(chunks[tileRow * cellMcus + (c % cellMcus)]!, RST[(r * mcuCols + c) & 7]!);
      }
    }
    for (let r = osdRows; r < mcuRows; r++) {
      const source = (((r + scrollDirection * seq) % mcuRows) + mcuRows) % mcuRows;
      parts.push(rows[source * 8 + ((r * mcuCols) & 7)]!);
    }
    // No restart marker after the last MCU: drop it (a lone marker when the OSD is all there is, else
    // the end of the last background row).
    const last = parts.pop()!;
    if (last.length > 2) parts.push(last.subarray(0, last.length - 2));
    parts.push(EOI);
    return Buffer.concat(parts);
  };

  return { frame, approxFrameBytes: frame(0, 0).length };
}

function clock(tUs: number): string {
  const d = new Date(Math.floor(tUs / 1000));
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** One character cell as cellMcus^2 independently coded MCUs, row by row. */
function encodeTile(ch: string, cellMcus: number, tables: JpegTables): Buffer[] {
  const size = cellMcus * 16;
  const raster = createRaster(size, size, OSD_BACKGROUND);
  const scale = size / 8;
  if (ch === BLOCK) fillRect(raster, scale, scale, size - 2 * scale, size - 2 * scale, OSD_BLOCK);
  else drawText(raster, Math.floor((size - GLYPH_WIDTH * scale) / 2), 0, ch, scale, OSD_TEXT);
  const scan = encodeScan(rasterToPlanes(raster), tables, true);
  const ends = scan.mcuEnds!;
  // Copies, so the tiles do not pin the encoder's whole output buffer.
  return Array.from(ends, (end, i) => Buffer.from(scan.data.subarray(i === 0 ? 0 : ends[i - 1]!, end)));
}

/**
 * A colourful, textured scene, periodic in y over `h` so it can scroll and wrap without a seam.
 * The texture (fine noise, edges) gives frames the size a real camera's frames have.
 */
function drawBackground(w: number, h: number, imageWidth: number, hflip: boolean, vflip: boolean): Raster {
  const raster = createRaster(w, h);
  const data = raster.data;
  const TAU = Math.PI * 2;
  // A cosine table keeps this fast at 1080p: 2 million pixels, three colour channels.
  const COS_STEPS = 1024;
  const cosTable = Float64Array.from({ length: COS_STEPS }, (_, i) => Math.cos((i / COS_STEPS) * TAU));
  const cosTurns = (turns: number) => cosTable[Math.floor((turns - Math.floor(turns)) * COS_STEPS)]!;
  const cellW = Math.max(16, Math.round(imageWidth / 12));
  const cellRows = Math.max(1, Math.round(h / (2 * cellW)));
  const cellH = h / (2 * cellRows);
  let seed = 0x2545f491;
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 0x1_0000_0000;
  };
  for (let y = 0; y < h; y++) {
    const sy = vflip ? h - 1 - y : y;
    const v = sy / h;
    const wave = 0.12 * cosTurns(v * 2);
    const light = 0.72 + 0.28 * cosTurns(v * 3);
    const checkerRow = Math.floor(sy / cellH) & 1;
    for (let x = 0; x < w; x++) {
      const sx = hflip ? imageWidth - 1 - x : x;
      const u = sx / imageWidth;
      const hue = u + wave;
      const checker = ((Math.floor(sx / cellW) & 1) ^ checkerRow) === 1 ? 26 : -26;
      // Diagonal stripes, a whole number of periods over h.
      const stripes = 6 * cosTurns(sx / 37 + (sy / h) * Math.round(h / 29));
      const noise = (random() - 0.5) * 4;
      const base = checker + stripes + noise;
      const i = (y * w + x) * 3;
      data[i] = clampByte(light * (128 + 90 * cosTurns(hue)) + base);
      data[i + 1] = clampByte(light * (128 + 90 * cosTurns(hue - 1 / 3)) + base);
      data[i + 2] = clampByte(light * (128 + 90 * cosTurns(hue + 1 / 3)) + base);
    }
  }
  return raster;
}

/** Saturation about the pixel's luma, then contrast about mid-grey, then brightness; in place. */
function adjustPicture(raster: Raster, brightness: number, contrast: number, saturation: number): void {
  if (brightness === 0 && contrast === 1 && saturation === 1) return;
  const data = raster.data;
  const offset = brightness * 255 + 128 - 128 * contrast;
  for (let i = 0; i < data.length; i += 3) {
    const r = data[i]!;
    const g = data[i + 1]!;
    const b = data[i + 2]!;
    const y = 0.299 * r + 0.587 * g + 0.114 * b;
    data[i] = clampByte((y + (r - y) * saturation) * contrast + offset);
    data[i + 1] = clampByte((y + (g - y) * saturation) * contrast + offset);
    data[i + 2] = clampByte((y + (b - y) * saturation) * contrast + offset);
  }
}

const clampByte = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v | 0);

