// Still frames shown instead of the camera picture: offline, privacy mode, starting. They are real
// JPEGs at the camera's own width and height, so the page's image does not jump when the stream
// switches between camera frames and placeholders.

import { encodeJpeg } from '../formats/jpeg/encoder.js';
import { drawText, GLYPH_HEIGHT, normalizeText, textWidth } from '../formats/jpeg/font.js';
import { createRaster, fillRect, type Raster, type Rgb } from '../formats/jpeg/raster.js';

export type PlaceholderKind = 'offline' | 'privacy' | 'starting' | 'h264';

const BACKGROUND: Rgb = [24, 26, 30];
const TITLE: Rgb = [240, 240, 240];
const DETAIL: Rgb = [170, 174, 180];

const looks: Record<PlaceholderKind, { title: string; detail?: string; accent: Rgb }> = {
  offline: { title: 'Camera offline', accent: [220, 60, 50] },
  privacy: { title: 'Privacy mode', detail: 'The camera is switched off', accent: [240, 170, 30] },
  starting: { title: 'Camera starting\u2026', accent: [60, 140, 230] },
  h264: {
    title: 'Camera in H.264 mode',
    detail: 'This MJPEG stream has no pictures while the camera sends H.264. Open the camera\'s page, or /stream.mp4',
    accent: [60, 140, 230],
  },
};

const QUALITY = 70;

/**
 * A dark JPEG of exactly width x height with a centred message; `detail` is a second, smaller line
 * (wrapped when long), e.g. "rpicam-vid is not installed" or "restarting in 2 s". Pure: the same
 * arguments always give the same bytes.
 *
 * Encoded with the project's own 4:2:0 encoder rather than jpeg-js: the picture is mostly flat, and
 * flat 8x8 blocks skip the DCT there, which makes it several times faster (jpeg-js takes ~60-180 ms
 * for a flat 720p/1080p frame on a PC, seconds on a Pi Zero, all of it blocking the event loop).
 */
export function renderPlaceholder(kind: PlaceholderKind, width: number, height: number, detail?: string): Buffer {
  return encodeJpeg(drawPlaceholder(kind, width, height, detail), QUALITY);
}

/** The placeholder's picture before encoding: the same for the MJPEG and the H.264 placeholders. */
export function drawPlaceholder(kind: PlaceholderKind, width: number, height: number, detail?: string): Raster {
  const look = looks[kind];
  const raster = createRaster(width, height, BACKGROUND);
  const title = normalizeText(look.title);
  // An empty detail counts as none, so privacy keeps its own second line.
  const detailText = normalizeText(detail || look.detail || '');

  // Title at most 70% of the width and a tenth of the height; details at half its size.
  const titleScale = Math.max(1, Math.min(Math.floor((width * 0.7) / textWidth(title, 1)), Math.floor(height / 10 / GLYPH_HEIGHT)));
  const detailScale = Math.max(1, Math.round(titleScale / 2));
  const detailLines = detailText ? wrap(detailText, Math.floor((width * 0.9) / (6 * detailScale)), 3) : [];

  const titleHeight = GLYPH_HEIGHT * titleScale;
  const barGap = 2 * titleScale;
  const barHeight = Math.max(2, Math.round(titleScale / 2));
  const lineHeight = (GLYPH_HEIGHT + 3) * detailScale;
  const total = titleHeight + 2 * barGap + barHeight + detailLines.length * lineHeight;
  let y = Math.floor((height - total) / 2);

  const titleWidth = textWidth(title, titleScale);
  drawText(raster, Math.floor((width - titleWidth) / 2), y, title, titleScale, TITLE);
  y += titleHeight + barGap;
  fillRect(raster, Math.floor((width - titleWidth) / 2), y, titleWidth, barHeight, look.accent);
  y += barHeight + barGap;
  for (const line of detailLines) {
    drawText(raster, Math.floor((width - textWidth(line, detailScale)) / 2), y, line, detailScale, DETAIL);
    y += lineHeight;
  }
  return raster;
}

/** Greedy word wrap to `columns` characters, at most `maxLines` lines (the last one cut with "..."). */
function wrap(text: string, columns: number, maxLines: number): string[] {
  const width = Math.max(4, columns);
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const candidate = line ? `${line} ${word}` : word;
    if (candidate.length <= width) {
      line = candidate;
      continue;
    }
    if (line) lines.push(line);
    line = word;
    while (line.length > width) {
      lines.push(line.slice(0, width));
      line = line.slice(width);
    }
  }
  if (line) lines.push(line);
  if (lines.length > maxLines) {
    lines.length = maxLines;
    lines[maxLines - 1] = `${lines[maxLines - 1]!.slice(0, width - 3)}...`;
  }
  return lines;
}

/**
 * Placeholders rendered once per (kind, size, detail) and kept, so switching to one costs nothing
 * after the first time. Bounded: the least recently used entry goes when it is full.
 */
export class PlaceholderCache {
  private readonly entries = new Map<string, Buffer>();

  constructor(
    private readonly maxEntries = 8,
    private readonly render: typeof renderPlaceholder = renderPlaceholder,
  ) {}

  get(kind: PlaceholderKind, width: number, height: number, detail?: string): Buffer {
    const key = `${kind} ${width}x${height} ${detail ?? ''}`;
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const jpeg = this.render(kind, width, height, detail);
    this.entries.set(key, jpeg);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return jpeg;
  }

  get size(): number {
    return this.entries.size;
  }
}
