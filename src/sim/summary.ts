// The simulated camera's settings line: every setting that differs from rpicam-vid's default, as
// short "name=value" words, shown in the picture's overlay so a viewer (and a test) sees a change of
// settings arrive with the first frame of the new camera process.

import { defaultSimOptions, type SimOptions } from './options.js';

/** Non-default settings beyond the mode (size, rate and quality are on the overlay's first line). */
export function simSettingsSummary(options: SimOptions): string[] {
  const d = defaultSimOptions();
  const words: string[] = [];
  const differs = <K extends keyof SimOptions>(key: K) => options[key] !== d[key];
  const num = (n: number) => String(Number(n.toFixed(3)));

  if (options.rotation === 180) words.push('rot=180');
  if (options.hflip) words.push('hflip');
  if (options.vflip) words.push('vflip');
  if (differs('camera')) words.push(`cam=${options.camera}`);
  if (differs('brightness')) words.push(`bright=${num(options.brightness)}`);
  if (differs('contrast')) words.push(`contrast=${num(options.contrast)}`);
  if (differs('saturation')) words.push(`sat=${num(options.saturation)}`);
  if (differs('sharpness')) words.push(`sharp=${num(options.sharpness)}`);
  if (differs('denoise')) words.push(`denoise=${options.denoise}`);
  if (differs('hdr')) words.push(`hdr=${options.hdr}`);
  if (differs('autofocusMode')) words.push(`af=${options.autofocusMode}`);
  if (differs('autofocusRange')) words.push(`afrange=${options.autofocusRange}`);
  if (differs('autofocusSpeed')) words.push(`afspeed=${options.autofocusSpeed}`);
  if (options.lensPosition !== null) {
    words.push(`lens=${options.lensPosition === 'default' ? 'default' : num(options.lensPosition)}`);
  }
  if (differs('exposure')) words.push(`exp=${options.exposure}`);
  if (differs('ev')) words.push(`ev=${num(options.ev)}`);
  if (differs('shutterUs')) words.push(`shutter=${options.shutterUs}us`);
  if (differs('gain')) words.push(`gain=${num(options.gain)}`);
  if (differs('metering')) words.push(`meter=${options.metering}`);
  if (differs('flickerPeriodUs')) words.push(`flicker=${options.flickerPeriodUs}us`);
  if (differs('awb')) words.push(`awb=${options.awb}`);
  if (options.awbGains) words.push(`awbgains=${num(options.awbGains[0])},${num(options.awbGains[1])}`);
  if (options.tuningFile !== null) words.push(`tuning=${options.tuningFile.split('/').pop()}`);
  // The encoder's settings, in H.264 mode only (MJPEG ignores them, as rpicam-vid does).
  if (options.codec === 'h264') {
    if (differs('intra')) words.push(`intra=${options.intra}`);
    if (options.profile !== null) words.push(`profile=${options.profile}`);
    if (options.level !== null) words.push(`level=${options.level}`);
    if (differs('bitrateBps')) words.push(`bitrate=${num(options.bitrateBps / 1000)}kbps`);
  }
  return words;
}

/** Words laid into lines of at most `width` characters, at most `maxLines` (the last ends in "..."). */
export function wrapWords(words: readonly string[], width: number, maxLines: number): string[] {
  if (maxLines < 1 || width < 4) return [];
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    const piece = word.length > width ? `${word.slice(0, Math.max(0, width - 3))}...` : word;
    if (line && line.length + 1 + piece.length > width) {
      lines.push(line);
      line = piece;
    } else {
      line = line ? `${line} ${piece}` : piece;
    }
  }
  if (line) lines.push(line);
  if (lines.length > maxLines) {
    const kept = lines.slice(0, maxLines);
    const last = kept[maxLines - 1]!;
    kept[maxLines - 1] = last.length + 4 <= width ? `${last} ...` : `${last.slice(0, Math.max(0, width - 3))}...`;
    return kept;
  }
  return lines;
}
