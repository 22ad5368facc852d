// TEMPORARY until the Annex-B parser is merged: cuts a whole Annex-B stream into access units.
import { NalType, type AccessUnit } from '../../src/h264/access-unit.js';

export function accessUnitsOf(stream: Buffer): AccessUnit[] {
  const starts: number[] = [];
  for (let i = 0; i + 3 <= stream.length; i++) {
    if (stream[i] === 0 && stream[i + 1] === 0 && stream[i + 2] === 1) {
      starts.push(i + 3);
      i += 2;
    }
  }
  const nals = starts.map((start, k) => {
    let end = k + 1 < starts.length ? starts[k + 1]! - 3 : stream.length;
    while (end > start && stream[end - 1] === 0) end--;
    return stream.subarray(start, end);
  });
  const units: AccessUnit[] = [];
  let current: Buffer[] = [];
  let sawSlice = false;
  const flush = () => {
    if (current.length === 0) return;
    const find = (type: number) => current.find((n) => (n[0]! & 0x1f) === type);
    const sps = find(NalType.sps);
    const pps = find(NalType.pps);
    units.push({ nals: current, keyframe: find(NalType.idr) !== undefined, ...(sps ? { sps } : {}), ...(pps ? { pps } : {}), bytes: 0 });
    current = [];
    sawSlice = false;
  };
  for (const nal of nals) {
    const type = nal[0]! & 0x1f;
    const isSlice = type === NalType.slice || type === NalType.idr;
    if (sawSlice && (!isSlice || (nal[1]! & 0x80) !== 0)) flush();
    current.push(nal);
    if (isSlice) sawSlice = true;
  }
  flush();
  return units;
}
