import assert from 'node:assert/strict';
import { test } from 'node:test';
import jpeg from 'jpeg-js';
import { prerenderSimFrames, type SimPictureOptions } from '../../src/sim/frames.js';
import { readSimStamp } from '../../src/sim/stamp.js';

const options = (over: Partial<SimPictureOptions> = {}): SimPictureOptions => ({
  width: 256,
  height: 160,
  quality: 80,
  framerate: 30,
  hflip: false,
  vflip: false,
  ...over,
});

const decode = (frame: Buffer) => jpeg.decode(frame, { useTArray: true });

/** Mean absolute difference between rows [from, from+count) of a and rows [to, ...) of b (RGBA). */
function rowDiff(a: Uint8Array, from: number, b: Uint8Array, to: number, count: number, width: number): number {
  let sum = 0;
  const n = count * width * 4;
  for (let i = 0; i < n; i++) sum += Math.abs(a[from * width * 4 + i]! - b[to * width * 4 + i]!);
  return sum / n;
}

test('frames are stamped JPEGs of the requested size, at odd sizes too', () => {
  // 64x16 is all on-screen display; 200x120 has 13 MCU columns, so restart markers change phase per row.
  for (const [width, height] of [[256, 160], [200, 120], [64, 16], [1000, 1000]] as const) {
    const sim = prerenderSimFrames(options({ width, height }));
    for (const seq of [0, 1, 9]) {
      const frame = sim.frame(seq, 1_700_000_000_000_000 + seq);
      assert.deepEqual(readSimStamp(frame), { seq, tUs: 1_700_000_000_000_000 + seq });
      assert.deepEqual([...frame.subarray(-2)], [0xff, 0xd9]);
      const decoded = decode(frame);
      assert.equal(decoded.width, width);
      assert.equal(decoded.height, height);
    }
  }
});

test('the background scrolls one MCU row per frame and the display changes with the counter and clock', () => {
  const sim = prerenderSimFrames(options());
  const t = 1_700_000_000_000_000;
  const f0 = decode(sim.frame(0, t)).data;
  const f1 = decode(sim.frame(1, t)).data;
  // Frame 1 shows at row band r what frame 0 showed at r + 1 (rows below the 16-px display line).
  assert.ok(rowDiff(f1, 16, f0, 32, 96, 256) < 3);
  assert.ok(rowDiff(f1, 16, f0, 16, 96, 256) > 10, 'the picture does not move');
  // Same frame number, another time: only the top line (the clock) differs.
  const later = decode(sim.frame(0, t + 1_234_000)).data;
  assert.equal(rowDiff(later, 16, f0, 16, 144, 256), 0);
  assert.ok(rowDiff(later, 0, f0, 0, 16, 256) > 0, 'the clock does not change');
  // Same time, next frame number: the counter changes.
  const top = (seq: number) => decode(sim.frame(seq, t)).data.subarray(0, 16 * 256 * 4);
  assert.notDeepEqual(top(10), top(11));
  // Deterministic: the same frame twice is the same bytes.
  assert.deepEqual(sim.frame(5, t), sim.frame(5, t));
});

test('vflip reverses the scrolling and hflip mirrors the picture', () => {
  const t = 1_700_000_000_000_000;
  const flipped = prerenderSimFrames(options({ vflip: true }));
  const g0 = decode(flipped.frame(0, t)).data;
  const g1 = decode(flipped.frame(1, t)).data;
  assert.ok(rowDiff(g1, 32, g0, 16, 96, 256) < 3, 'vflip: content should move down');

  const normal = decode(prerenderSimFrames(options()).frame(0, t)).data;
  const mirrored = decode(prerenderSimFrames(options({ hflip: true })).frame(0, t)).data;
  let sum = 0;
  let unflipped = 0;
  for (let y = 16; y < 160; y++) {
    for (let x = 0; x < 256; x++) {
      for (let c = 0; c < 3; c++) {
        sum += Math.abs(mirrored[(y * 256 + x) * 4 + c]! - normal[(y * 256 + 255 - x) * 4 + c]!);
        unflipped += Math.abs(mirrored[(y * 256 + x) * 4 + c]! - normal[(y * 256 + x) * 4 + c]!);
      }
    }
  }
  const n = 144 * 256 * 3;
  assert.ok(sum / n < 4, `hflip is not a mirror image: ${sum / n}`);
  assert.ok(unflipped / n > 10);
});

test('quality changes the frame size', () => {
  const small = prerenderSimFrames(options({ quality: 30 })).frame(0, 0);
  const large = prerenderSimFrames(options({ quality: 90 })).frame(0, 0);
  assert.ok(small.length < large.length * 0.8, `${small.length} vs ${large.length}`);
});

/** Mean of a channel-wise function over the RGBA pixels of rows [from, to). */
function rowsStat(data: Uint8Array, width: number, from: number, to: number, f: (r: number, g: number, b: number) => number): number {
  let sum = 0;
  for (let i = from * width * 4; i < to * width * 4; i += 4) sum += f(data[i]!, data[i + 1]!, data[i + 2]!);
  return sum / ((to - from) * width);
}
const luma = (r: number, g: number, b: number) => 0.299 * r + 0.587 * g + 0.114 * b;

test('rotation 180 (both flips) shows the picture upside down', () => {
  const t = 1_700_000_000_000_000;
  const normal = decode(prerenderSimFrames(options()).frame(0, t)).data;
  const turned = decode(prerenderSimFrames(options({ hflip: true, vflip: true })).frame(0, t)).data;
  // Rows 16..143 of the turned frame against rows 143..16 of the normal one, right to left (the top
  // 16 rows of each are the overlay, so the band compared avoids both).
  let sum = 0;
  let same = 0;
  for (let y = 16; y < 144; y++) {
    for (let x = 0; x < 256; x++) {
      for (let c = 0; c < 3; c++) {
        sum += Math.abs(turned[(y * 256 + x) * 4 + c]! - normal[((159 - y) * 256 + 255 - x) * 4 + c]!);
        same += Math.abs(turned[(y * 256 + x) * 4 + c]! - normal[(y * 256 + x) * 4 + c]!);
      }
    }
  }
  const n = 128 * 256 * 3;
  assert.ok(sum / n < 4, `not the picture turned round: ${sum / n}`);
  assert.ok(same / n > 10, 'the picture did not change');
});

test('brightness, contrast and saturation change the picture\'s pixels, not the overlay', () => {
  const t = 1_700_000_000_000_000;
  const picture = (over: Partial<SimPictureOptions>) => decode(prerenderSimFrames(options(over)).frame(0, t)).data;
  const normal = picture({});
  const mean = (data: Uint8Array) => rowsStat(data, 256, 16, 160, luma);
  const spread = (data: Uint8Array) => {
    const m = mean(data);
    return Math.sqrt(rowsStat(data, 256, 16, 160, (r, g, b) => (luma(r, g, b) - m) ** 2));
  };
  const chroma = (data: Uint8Array) => rowsStat(data, 256, 16, 160, (r, g, b) => Math.max(r, g, b) - Math.min(r, g, b));

  assert.ok(mean(picture({ brightness: 0.3 })) > mean(normal) + 40, 'brighter');
  assert.ok(mean(picture({ brightness: -0.3 })) < mean(normal) - 40, 'darker');
  assert.ok(spread(picture({ contrast: 1.8 })) > spread(normal) * 1.2, 'more contrast');
  assert.ok(spread(picture({ contrast: 0.3 })) < spread(normal) * 0.5, 'less contrast');
  assert.ok(chroma(picture({ saturation: 0 })) < 6, 'black and white');
  assert.ok(chroma(picture({ saturation: 2 })) > chroma(normal) * 1.3, 'more colour');
  // Defaults change nothing; the overlay row is the same whatever the picture settings.
  assert.deepEqual(picture({ brightness: 0, contrast: 1, saturation: 1 }), normal);
  assert.equal(rowDiff(picture({ brightness: 0.5, saturation: 0 }), 0, normal, 0, 16, 256), 0);
});

test('a caption adds overlay lines under the live line and leaves the rest of the picture alone', () => {
  const t = 1_700_000_000_000_000;
  const plain = decode(prerenderSimFrames(options()).frame(3, t)).data;
  const captioned = decode(prerenderSimFrames(options({ caption: ['af=manual', 'ev=-1'] })).frame(3, t)).data;
  assert.equal(rowDiff(captioned, 0, plain, 0, 16, 256), 0, 'the live line');
  assert.ok(rowDiff(captioned, 16, plain, 16, 16, 256) > 20, 'the caption line replaces a picture row');
  assert.ok(rowsStat(captioned, 256, 16, 32, luma) < 60, 'the caption is light text on the dark overlay');
  assert.equal(rowDiff(captioned, 32, plain, 32, 128, 256), 0, 'the picture below');
  // Different settings, different caption.
  const other = decode(prerenderSimFrames(options({ caption: ['af=auto'] })).frame(3, t)).data;
  assert.ok(rowDiff(other, 16, captioned, 16, 16, 256) > 1);

  // 256 px hold 16 characters a line; many words wrap onto at most three lines, and a picture too
  // small for them keeps its scene.
  const words = Array.from({ length: 40 }, (_, i) => `setting${i}=on`);
  const full = decode(prerenderSimFrames(options({ caption: words })).frame(3, t)).data;
  assert.ok(rowDiff(full, 48, plain, 48, 16, 256) > 20, 'third caption line');
  assert.equal(rowDiff(full, 64, plain, 64, 96, 256), 0, 'no fourth line');
  const tiny = prerenderSimFrames(options({ width: 64, height: 48, caption: words })).frame(0, t);
  assert.deepEqual(tiny, prerenderSimFrames(options({ width: 64, height: 48 })).frame(0, t));
});
