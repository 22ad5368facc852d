// Each viewer's own timeline over fragments that every viewer shares. The packager (fmp4.ts) writes
// one fragment per picture, with the decode time since the camera's stream began and a sequence
// number counted for the whole stream; a viewer that joins later should see its first fragment at
// decode time 0 with sequence number 1 (mpv --length, VLC's "Fragment sequence discontinuity").
//
// The fragment stays one shared Buffer: a viewer gets its own copy of the moof and the mdat header
// (about a hundred bytes, the two fields rewritten), then a view of the shared fragment's payload.
// Nothing of the picture itself is copied per viewer. Pure: no I/O.

import { BOX_HEADER_BYTES } from './boxes.js';

/** Where the fields a viewer rewrites lie in one fragment (moof + mdat). */
interface FragmentLayout {
  /** Bytes of the moof and the mdat's header: what a viewer gets its own copy of. */
  headerBytes: number;
  /** The mfhd's sequence_number. */
  sequenceAt: number;
  /** The tfdt's baseMediaDecodeTime (version 1: 64 bits). */
  decodeTimeAt: number;
}

/** A buffer that is not one fragment as the packager writes them. */
export class FragmentLayoutError extends Error {
  constructor(message: string) {
    super(`mp4 fragment: ${message}`);
    this.name = 'FragmentLayoutError';
  }
}

/** True when `bytes` starts with a moof box (a fragment, not an init segment). */
export function isFragment(bytes: Buffer): boolean {
  return bytes.length >= BOX_HEADER_BYTES && bytes.readUInt32BE(4) === TYPES.moof;
}

/** A box type as the 32-bit number its four bytes make (compared without decoding text). */
function fourCcValue(type: string): number {
  return Buffer.from(type, 'latin1').readUInt32BE(0);
}

const TYPES: Record<string, number> = Object.fromEntries(['moof', 'mfhd', 'traf', 'tfhd', 'tfdt', 'mdat'].map((t) => [t, fourCcValue(t)]));

/**
 * Finds the fields in a fragment of moof(mfhd, traf(tfhd, tfdt, ...)) then mdat, checking each box's
 * type and size instead of assuming the packager's offsets.
 */
export function fragmentLayout(fragment: Buffer): FragmentLayout {
  const boxAt = (at: number, type: string, within: number): number => {
    if (at + BOX_HEADER_BYTES > within) throw new FragmentLayoutError(`no room for ${type} at ${at}`);
    const size = fragment.readUInt32BE(at);
    if (fragment.readUInt32BE(at + 4) !== TYPES[type]) {
      throw new FragmentLayoutError(`${fragment.toString('latin1', at + 4, at + 8)} at ${at} where ${type} was expected`);
    }
    if (size < BOX_HEADER_BYTES || at + size > within) throw new FragmentLayoutError(`${type} at ${at} has size ${size}`);
    return size;
  };
  const moofBytes = boxAt(0, 'moof', fragment.length);
  const mfhdBytes = boxAt(8, 'mfhd', moofBytes);
  if (mfhdBytes !== 16) throw new FragmentLayoutError(`mfhd of ${mfhdBytes} bytes`);
  const trafAt = 8 + mfhdBytes;
  const trafEnd = trafAt + boxAt(trafAt, 'traf', moofBytes);
  const tfhdAt = trafAt + BOX_HEADER_BYTES;
  const tfdtAt = tfhdAt + boxAt(tfhdAt, 'tfhd', trafEnd);
  const tfdtBytes = boxAt(tfdtAt, 'tfdt', trafEnd);
  if (fragment[tfdtAt + 8] !== 1 || tfdtBytes !== 20) throw new FragmentLayoutError('tfdt is not version 1');
  boxAt(moofBytes, 'mdat', fragment.length);
  return { headerBytes: moofBytes + BOX_HEADER_BYTES, sequenceAt: 8 + 12, decodeTimeAt: tfdtAt + 12 };
}

/** The decode time the packager gave a fragment, in its timescale's ticks. */
export function fragmentDecodeTime(fragment: Buffer): number {
  return Number(fragment.readBigUInt64BE(fragmentLayout(fragment).decodeTimeAt));
}

/**
 * One viewer's timeline: its first fragment (a keyframe, see GopPacer) at decode time 0 with
 * sequence number 1, and every later one shifted by the same amount and numbered on, so the gaps a
 * viewer that fell behind skips stay gaps in time but not in numbering.
 */
export class ViewerTimeline {
  private origin: number | undefined;
  private sequence = 0;

  /** This viewer's header (a copy, its two fields rewritten) and the shared rest (a view, no copy). */
  split(fragment: Buffer): [header: Buffer, body: Buffer] {
    const layout = fragmentLayout(fragment);
    const decodeTime = Number(fragment.readBigUInt64BE(layout.decodeTimeAt));
    this.origin ??= decodeTime;
    if (decodeTime < this.origin) throw new FragmentLayoutError(`decode time ${decodeTime} before this viewer's first ${this.origin}`);
    this.sequence++;
    const header = Buffer.allocUnsafe(layout.headerBytes);
    fragment.copy(header, 0, 0, layout.headerBytes);
    header.writeUInt32BE(this.sequence, layout.sequenceAt);
    header.writeBigUInt64BE(BigInt(decodeTime - this.origin), layout.decodeTimeAt);
    return [header, fragment.subarray(layout.headerBytes)];
  }

  /** Fragments this viewer has been given. */
  get fragments(): number {
    return this.sequence;
  }
}
