// A plain RGB pixel buffer: what the font draws into and the JPEG encoder reads.

export type Rgb = readonly [r: number, g: number, b: number];

export interface Raster {
  readonly width: number;
  readonly height: number;
  /** width * height * 3 bytes, row by row, R G B. */
  readonly data: Uint8Array;
}

export function createRaster(width: number, height: number, background: Rgb = [0, 0, 0]): Raster {
  const raster = { width, height, data: new Uint8Array(width * height * 3) };
  fillRect(raster, 0, 0, width, height, background);
  return raster;
}

/** Fills a rectangle, clipped to the raster. */
export function fillRect(raster: Raster, x: number, y: number, w: number, h: number, [r, g, b]: Rgb): void {
  const x0 = Math.max(0, Math.floor(x));
  const y0 = Math.max(0, Math.floor(y));
  const x1 = Math.min(raster.width, Math.floor(x + w));
  const y1 = Math.min(raster.height, Math.floor(y + h));
  if (x1 <= x0 || y1 <= y0) return;
  const data = raster.data;
  const stride = raster.width * 3;
  // Paint the first row, then copy it down: much faster than pixel by pixel for big areas.
  const first = y0 * stride + x0 * 3;
  const end = y0 * stride + x1 * 3;
  for (let i = first; i < end; i += 3) {
    data[i] = r;
    data[i + 1] = g;
    data[i + 2] = b;
  }
  for (let yy = y0 + 1; yy < y1; yy++) data.copyWithin(yy * stride + x0 * 3, first, end);
}
