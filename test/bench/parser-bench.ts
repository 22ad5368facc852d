// Throughput of FrameParser against a naive FFD8/FFD9 splitter, side by side on the same stream.
// A script, not a test: node --import tsx test/bench/parser-bench.ts
//
// The stream imitates rpicam-vid on a pipe: several hundred 50-100 KB baseline JPEGs (jpeg-js, from
// noisy images so the entropy-coded data is dense), cut into 64 KiB chunks.

import { pathToFileURL } from 'node:url';
import jpeg from 'jpeg-js';
import { FrameParser } from '../../src/formats/jpeg/frame-parser.js';

export interface ParserBenchOptions {
  /** Frames in the stream (default 300). */
  frames?: number;
  /** Distinct encoded images the stream cycles through (default 6). */
  distinctImages?: number;
  /** Chunk size, like one pipe read (default 64 KiB). */
  chunkBytes?: number;
  /** Timed passes over the stream per splitter, alternating (default 9). */
  rounds?: number;
  /** A recorded camera stream to split instead of the generated one (frames and distinctImages are then ignored). */
  stream?: Buffer;
}

export interface ParserBenchResult {
  /** Best pass: other load on a shared machine only ever slows a pass down. */
  parserMBps: number;
  naiveMBps: number;
  parserMedianMBps: number;
  naiveMedianMBps: number;
  /** parserMBps / naiveMBps */
  ratio: number;
  streamBytes: number;
  frames: number;
  meanFrameBytes: number;
  chunkBytes: number;
  rounds: number;
  /** Frames each splitter found per pass (the naive one may differ on tricky streams; not here). */
  parserFrames: number;
  naiveFrames: number;
  /** Share of one core FrameParser needs for 30 fps of 100 KB frames, on this machine. */
  parserCorePercentAt30fps100KB: number;
}

/** The splitter the parser replaces: first FFD8, then the next FFD9, with no notion of segments. */
export class NaiveSplitter {
  private static readonly soi = Buffer.from([0xff, 0xd8]);
  private static readonly eoi = Buffer.from([0xff, 0xd9]);
  private pieces: Buffer[] = [];
  private inFrame = false;

  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let pos = 0;
    let start = 0;
    while (pos < chunk.length) {
      if (!this.inFrame) {
        const soi = chunk.indexOf(NaiveSplitter.soi, pos);
        if (soi < 0) return out;
        this.inFrame = true;
        start = soi;
        pos = soi + 2;
      }
      const eoi = chunk.indexOf(NaiveSplitter.eoi, pos);
      if (eoi < 0) {
        this.pieces.push(chunk.subarray(start));
        return out;
      }
      const end = eoi + 2;
      if (this.pieces.length === 0) {
        out.push(chunk.subarray(start, end));
      } else {
        this.pieces.push(chunk.subarray(0, end));
        out.push(Buffer.concat(this.pieces));
        this.pieces = [];
      }
      this.inFrame = false;
      pos = end;
    }
    return out;
  }
}

/** A noisy width x height image encoded by jpeg-js; xorshift noise keeps runs reproducible. */
function noisyJpeg(width: number, height: number, quality: number, seed: number): Buffer {
  let x = seed >>> 0 || 1;
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0; i < data.length; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    const p = i >> 2;
    const gradient = ((p % width) + Math.floor(p / width)) & 0xff;
    data[i] = (gradient + (x & 0x3f)) & 0xff;
    data[i + 1] = (gradient + ((x >>> 8) & 0x3f)) & 0xff;
    data[i + 2] = (255 - gradient + ((x >>> 16) & 0x3f)) & 0xff;
    data[i + 3] = 0xff;
  }
  return jpeg.encode({ width, height, data }, quality).data;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** One timed pass; returns MB/s (1 MB = 10^6 bytes) and the number of frames found. */
function timePass(split: (chunk: Buffer) => Buffer[], chunks: Buffer[], bytes: number): [number, number] {
  let frames = 0;
  const t0 = process.hrtime.bigint();
  for (const chunk of chunks) frames += split(chunk).length;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return [bytes / 1e6 / seconds, frames];
}

export async function runParserBench(options: ParserBenchOptions = {}): Promise<ParserBenchResult> {
  const frameCount = options.frames ?? 300;
  const distinct = options.distinctImages ?? 6;
  const chunkBytes = options.chunkBytes ?? 64 * 1024;
  const rounds = options.rounds ?? 9;

  // 304x228 to 336x252 noisy images at quality 75 or 85 land between about 50 and 95 KB.
  const generate = () => {
    const images = Array.from({ length: distinct }, (_, i) =>
      noisyJpeg(304 + 16 * (i % 3), 228 + 12 * (i % 3), 75 + (i % 2) * 10, i + 1),
    );
    return Buffer.concat(Array.from({ length: frameCount }, (_, i) => images[i % distinct]!));
  };
  const stream = options.stream ?? generate();
  const chunks: Buffer[] = [];
  for (let o = 0; o < stream.length; o += chunkBytes) chunks.push(stream.subarray(o, o + chunkBytes));

  const parserRates: number[] = [];
  const naiveRates: number[] = [];
  let parserFrames = 0;
  let naiveFrames = 0;
  // One untimed warm-up pass each, then alternate so both see the same machine load.
  for (let round = -1; round < rounds; round++) {
    const parser = new FrameParser({ maxFrameBytes: 1 << 20 });
    const [parserRate, pf] = timePass((c) => parser.push(c), chunks, stream.length);
    const naive = new NaiveSplitter();
    const [naiveRate, nf] = timePass((c) => naive.push(c), chunks, stream.length);
    if (round < 0) continue;
    parserRates.push(parserRate);
    naiveRates.push(naiveRate);
    parserFrames = pf;
    naiveFrames = nf;
  }

  const frames = options.stream ? parserFrames : frameCount;
  const parserMBps = Math.max(...parserRates);
  const naiveMBps = Math.max(...naiveRates);
  return {
    parserMBps,
    naiveMBps,
    parserMedianMBps: median(parserRates),
    naiveMedianMBps: median(naiveRates),
    ratio: parserMBps / naiveMBps,
    streamBytes: stream.length,
    frames,
    meanFrameBytes: Math.round(stream.length / frames),
    chunkBytes,
    rounds,
    parserFrames,
    naiveFrames,
    parserCorePercentAt30fps100KB: (30 * 100_000) / 1e6 / parserMBps * 100,
  };
}

function printTable(r: ParserBenchResult): void {
  const mb = (n: number) => (n / 1e6).toFixed(1);
  console.log(
    `stream: ${r.frames} frames, ${mb(r.streamBytes)} MB (mean ${(r.meanFrameBytes / 1000).toFixed(1)} KB/frame), ` +
      `${r.chunkBytes} B chunks, ${r.rounds} passes each`,
  );
  console.log('splitter         best MB/s  median MB/s  frames/s (best)  frames found');
  const row = (name: string, best: number, med: number, found: number) =>
    console.log(
      `${name.padEnd(15)}${best.toFixed(0).padStart(11)}${med.toFixed(0).padStart(13)}` +
        `${((best * 1e6) / r.meanFrameBytes).toFixed(0).padStart(17)}${String(found).padStart(14)}`,
    );
  row('FrameParser', r.parserMBps, r.parserMedianMBps, r.parserFrames);
  row('naive FFD8/FFD9', r.naiveMBps, r.naiveMedianMBps, r.naiveFrames);
  console.log(
    `FrameParser/naive: ${r.ratio.toFixed(2)}x; 30 fps of 100 KB frames needs ` +
      `${r.parserCorePercentAt30fps100KB.toFixed(2)}% of one core here`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTable(await runParserBench());
}
