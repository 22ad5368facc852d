// A small ISO BMFF reader for the packager's tests: it walks boxes by their sizes and fails when a
// size does not fit its parent exactly, so every test that reads a segment also checks its layout.

import assert from 'node:assert/strict';

export interface Mp4Box {
  readonly type: string;
  /** Offset of the box's first byte in the buffer that was read. */
  readonly start: number;
  readonly size: number;
  /** The bytes after the 8-byte header. */
  readonly payload: Buffer;
  readonly children: readonly Mp4Box[];
}

// Boxes made of boxes, and how many payload bytes come before their first child.
const CONTAINERS: Record<string, number> = {
  moov: 0,
  trak: 0,
  mdia: 0,
  minf: 0,
  dinf: 0,
  stbl: 0,
  mvex: 0,
  moof: 0,
  traf: 0,
  dref: 8, // version, flags, entry_count
  stsd: 8,
  avc1: 78, // the visual sample entry's fields
};

/** Every box in `buf` from `from` to `to`, recursively; asserts that the sizes tile the range exactly. */
export function readBoxes(buf: Buffer, from = 0, to = buf.length): Mp4Box[] {
  const boxes: Mp4Box[] = [];
  let at = from;
  while (at < to) {
    assert.ok(to - at >= 8, `box header at ${at} runs past ${to}`);
    const size = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    assert.ok(size >= 8 && at + size <= to, `${type} at ${at}: size ${size} does not fit in ${to - at} bytes`);
    const payload = buf.subarray(at + 8, at + size);
    const skip = CONTAINERS[type];
    const children = skip === undefined ? [] : readBoxes(buf, at + 8 + skip, at + size);
    boxes.push({ type, start: at, size, payload, children });
    at += size;
  }
  assert.equal(at, to, 'boxes end exactly where their parent does');
  return boxes;
}

/** The one box at `path` ("moov/trak/tkhd"); fails when there is none or more than one. */
export function findBox(boxes: readonly Mp4Box[], path: string): Mp4Box {
  const [head, ...rest] = path.split('/');
  const matches = boxes.filter((b) => b.type === head);
  assert.equal(matches.length, 1, `exactly one ${head} in ${path}`);
  return rest.length === 0 ? matches[0]! : findBox(matches[0]!.children, rest.join('/'));
}

/** Types of `boxes`, in order. */
export function types(boxes: readonly Mp4Box[]): string[] {
  return boxes.map((b) => b.type);
}

/** A full box's version and flags, and its payload after them. */
export function fullBoxFields(box: Mp4Box): { version: number; flags: number; body: Buffer } {
  return { version: box.payload[0]!, flags: box.payload.readUIntBE(1, 3), body: box.payload.subarray(4) };
}

/** What one moof + mdat fragment says about its one sample. */
export interface FragmentSample {
  sequenceNumber: number;
  trackId: number;
  tfhdFlags: number;
  decodeTime: number;
  trunFlags: number;
  dataOffset: number;
  duration: number;
  size: number;
  flags: number;
  compositionOffset: number;
  /** The sample's bytes, found through data_offset (from the start of the moof). */
  data: Buffer;
  /** The mdat's payload. */
  mdatPayload: Buffer;
}

/** Reads a fragment made of one moof (one traf, one trun of one sample with every field) and one mdat. */
export function readFragment(fragment: Buffer): FragmentSample {
  const boxes = readBoxes(fragment);
  assert.deepEqual(types(boxes), ['moof', 'mdat']);
  const moof = boxes[0]!;
  const mdat = boxes[1]!;
  assert.deepEqual(types(moof.children), ['mfhd', 'traf']);
  assert.deepEqual(types(findBox(boxes, 'moof/traf').children), ['tfhd', 'tfdt', 'trun']);
  const mfhd = fullBoxFields(findBox(boxes, 'moof/mfhd'));
  const tfhd = fullBoxFields(findBox(boxes, 'moof/traf/tfhd'));
  const tfdt = fullBoxFields(findBox(boxes, 'moof/traf/tfdt'));
  const trun = fullBoxFields(findBox(boxes, 'moof/traf/trun'));
  assert.equal(tfdt.version, 1, 'tfdt version 1 (64-bit decode time)');
  assert.equal(trun.body.readUInt32BE(0), 1, 'one sample per fragment');
  assert.equal(trun.body.length, 4 + 4 + 4 * 4, 'trun holds count, data offset and one sample of four fields');
  const dataOffset = trun.body.readInt32BE(4);
  const size = trun.body.readUInt32BE(12);
  return {
    sequenceNumber: mfhd.body.readUInt32BE(0),
    trackId: tfhd.body.readUInt32BE(0),
    tfhdFlags: tfhd.flags,
    decodeTime: Number(tfdt.body.readBigUInt64BE(0)),
    trunFlags: trun.flags,
    dataOffset,
    duration: trun.body.readUInt32BE(8),
    size,
    flags: trun.body.readUInt32BE(16),
    compositionOffset: trun.body.readUInt32BE(20),
    data: fragment.subarray(moof.start + dataOffset, moof.start + dataOffset + size),
    mdatPayload: mdat.payload,
  };
}

/** The NAL units of a sample with 4-byte length prefixes; asserts that the lengths tile it exactly. */
export function splitLengthPrefixed(sample: Buffer): Buffer[] {
  const nals: Buffer[] = [];
  let at = 0;
  while (at < sample.length) {
    assert.ok(sample.length - at >= 4, 'length prefix fits');
    const length = sample.readUInt32BE(at);
    assert.ok(at + 4 + length <= sample.length, `NAL length ${length} at ${at} fits in the sample`);
    nals.push(sample.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return nals;
}
