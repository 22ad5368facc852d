import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { escapeRbsp, unescapeRbsp } from '../../../src/formats/h264/bits.js';
import { buildStampSei, readStampSei } from '../../../src/formats/h264/sei.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const UUID = '7069 6361 6d64 2d73 696d 2d73 7461 6d70';

describe('buildStampSei', () => {
  it('writes one user_data_unregistered message with the UUID, seq and tUs big-endian', () => {
    const nal = buildStampSei(0x11223344556677, 0x12345678abcdef);
    assert.deepEqual(nal, hex(`06 05 20 ${UUID} 0011 2233 4455 6677 0012 3456 78ab cdef 80`));
    assert.deepEqual(readStampSei(nal), { seq: 0x11223344556677, tUs: 0x12345678abcdef });
  });

  it('applies emulation prevention where the numbers hold 00 00 0x, and reads them back', () => {
    // seq 1: 00 00 00 00 00 00 00 01; tUs 0x0000_0300_0001_0003: 00 00 03 and 00 01 00 03.
    const seq = 1;
    const tUs = 0x0000_0300_0001_0003;
    const nal = buildStampSei(seq, tUs);
    assert.deepEqual(
      nal,
      hex(`06 05 20 ${UUID} 000003 000003 000003 0001 000003 03 000003 01 0003 80`),
    );
    assert.deepEqual(unescapeRbsp(nal), hex(`06 05 20 ${UUID} 0000 0000 0000 0001 0000 0300 0001 0003 80`));
    // No start code prefix inside the unit.
    for (let i = 0; i + 2 < nal.length; i++) {
      assert.ok(!(nal[i] === 0 && nal[i + 1] === 0 && nal[i + 2]! <= 2), `00 00 0x at ${i}`);
    }
    assert.deepEqual(readStampSei(nal), { seq, tUs });
    assert.deepEqual(readStampSei(buildStampSei(0, 0)), { seq: 0, tUs: 0 });
  });

  it('round-trips any stamp', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.maxSafeNat(), (seq, tUs) => {
        assert.deepEqual(readStampSei(buildStampSei(seq, tUs)), { seq, tUs });
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffffff }), (seq, tUs) => {
        assert.deepEqual(readStampSei(buildStampSei(seq, tUs)), { seq, tUs });
      }),
    );
  });

  it('rejects numbers it cannot write', () => {
    assert.throws(() => buildStampSei(-1, 0), RangeError);
    assert.throws(() => buildStampSei(0, 1.5), RangeError);
    assert.throws(() => buildStampSei(Number.MAX_SAFE_INTEGER + 1, 0), RangeError);
  });
});

describe('readStampSei', () => {
  const stamp = buildStampSei(42, 1_760_000_000_000_000);

  it('finds the stamp after another message in the same SEI', () => {
    // An encoder's own user data (another UUID, 20 bytes), then the stamp message.
    const other = Buffer.concat([hex('05 14'), Buffer.alloc(16, 0xab), hex('78 32 36 34')]);
    const rbsp = Buffer.concat([hex('06'), other, unescapeRbsp(stamp).subarray(1)]);
    assert.deepEqual(readStampSei(escapeRbsp(rbsp)), { seq: 42, tUs: 1_760_000_000_000_000 });
    // payloadType and payloadSize of 255 or more are written as FF bytes plus the rest.
    const long = Buffer.concat([hex('06 ff 05 ff 01'), Buffer.alloc(256, 0x11), unescapeRbsp(stamp).subarray(1)]);
    assert.deepEqual(readStampSei(escapeRbsp(long)), { seq: 42, tUs: 1_760_000_000_000_000 });
  });

  it('gives undefined for other NAL units, other UUIDs and malformed SEIs', () => {
    assert.equal(readStampSei(Buffer.alloc(0)), undefined);
    const asSlice = Buffer.from(stamp);
    asSlice[0] = 0x01;
    assert.equal(readStampSei(asSlice), undefined);
    const forbidden = Buffer.from(stamp);
    forbidden[0] = 0x86;
    assert.equal(readStampSei(forbidden), undefined);
    // nal_ref_idc does not matter.
    const referenced = Buffer.from(stamp);
    referenced[0] = 0x66;
    assert.deepEqual(readStampSei(referenced), { seq: 42, tUs: 1_760_000_000_000_000 });
    const otherUuid = Buffer.from(stamp);
    otherUuid[3] = 0x71;
    assert.equal(readStampSei(otherUuid), undefined);
    const recoveryPoint = escapeRbsp(Buffer.concat([hex('06 06 01 84'), Buffer.alloc(32, 0x22), hex('80')]));
    assert.equal(readStampSei(recoveryPoint), undefined);
    // A size running past the end.
    assert.equal(readStampSei(escapeRbsp(Buffer.concat([hex('06 05 ff'), Buffer.alloc(40, 0x70)]))), undefined);
    // Cut short.
    assert.equal(readStampSei(stamp.subarray(0, stamp.length - 9)), undefined);
    // Numbers beyond what a JS number holds exactly.
    const huge = unescapeRbsp(stamp);
    huge.writeBigUInt64BE(2n ** 60n, 19);
    assert.equal(readStampSei(escapeRbsp(huge)), undefined);
  });
});
