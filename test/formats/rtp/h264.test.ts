import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { h264Payloads, profileLevelId, spropParameterSets } from '../../../src/formats/rtp/h264.js';
import { depacketizeH264, joined } from '../../fakes/rtp.js';

/** A NAL unit: a header byte of type 1..23 (not 9, the delimiter picamd leaves out), then a body. */
const nal = fc
  .tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 23 }).filter((t) => t !== 9), fc.uint8Array({ minLength: 0, maxLength: 5000 }))
  .map(([nri, type, body]) => Buffer.concat([Buffer.from([(nri << 5) | type]), body]));

test('any access unit at any payload size: the payloads fit, read back as the same NAL units, the marker only on the last', () => {
  fc.assert(
    fc.property(fc.array(nal, { minLength: 1, maxLength: 8 }), fc.integer({ min: 3, max: 1500 }), (nals, max) => {
      const payloads = h264Payloads(nals, max);
      for (const p of payloads) assert.ok(p.bytes <= max && p.bytes === joined(p).length);
      assert.deepEqual(depacketizeH264(payloads.map(joined)), nals);
      assert.deepEqual(payloads.map((p) => p.marker), payloads.map((_, i) => i === payloads.length - 1));
    }),
  );
});

test('a small NAL unit goes whole; a large one as FU-A with the NRI and type of its header; delimiters are left out', () => {
  const aud = Buffer.from([0x09, 0xf0]);
  const sps = Buffer.from([0x67, 0x64, 0x00, 0x1f, 0xac]);
  const idr = Buffer.concat([Buffer.from([0x65]), Buffer.alloc(3000, 7)]);
  const payloads = h264Payloads([aud, sps, idr], 1400).map(joined);
  assert.deepEqual(payloads[0], sps);
  assert.equal(payloads.length, 1 + 3);
  assert.deepEqual([...payloads[1]!.subarray(0, 2)], [0x60 | 28, 0x80 | 5]);
  assert.deepEqual([...payloads[2]!.subarray(0, 2)], [0x60 | 28, 5]);
  assert.deepEqual([...payloads[3]!.subarray(0, 2)], [0x60 | 28, 0x40 | 5]);
  // The fragments slice the picture's buffer: nothing of it is copied.
  const parts = h264Payloads([idr], 1400)[0]!.parts;
  assert.equal(parts[1]!.buffer, idr.buffer);
});

test('profile-level-id and sprop-parameter-sets come from the SPS and PPS', () => {
  const sps = Buffer.from([0x67, 0x42, 0xc0, 0x1f, 0x8c, 0x8d]);
  const pps = Buffer.from([0x68, 0xce, 0x3c, 0x80]);
  assert.equal(profileLevelId(sps), '42C01F');
  assert.equal(spropParameterSets(sps, pps), 'Z0LAH4yN,aM48gA==');
});
