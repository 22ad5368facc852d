import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { AnnexBParser } from '../../../src/formats/h264/annexb.js';
import { Fmp4Packager } from '../../../src/formats/mp4/fmp4.js';
import { fragmentDecodeTime, FragmentLayoutError, isFragment, ViewerTimeline } from '../../../src/formats/mp4/viewer-timeline.js';
import { fixturePath } from '../../fixtures/h264/index.js';
import { readFragment } from '../../fakes/mp4-reader.js';

/** The fixture's 60 pictures packaged at 30 fps from t = 5 s: init, then fragments with their keyframe flags. */
function packaged(): { init: Buffer; fragments: { bytes: Buffer; keyframe: boolean }[] } {
  const parser = new AnnexBParser({ maxAccessUnitBytes: 1 << 20 });
  const units = [...parser.push(readFileSync(fixturePath('high-g15.h264'))), ...parser.flush()];
  const packager = new Fmp4Packager({ framerate: 30 });
  const fragments = units.map((au, i) => {
    const out = packager.package(au, 5000 + (i * 1000) / 30)!;
    return { bytes: out.fragment, keyframe: out.keyframe };
  });
  return { init: packager.init!, fragments };
}

describe('ViewerTimeline', () => {
  const { init, fragments } = packaged();

  it('gives a viewer that joins at a later keyframe decode time 0 and sequence number 1, then counts on', () => {
    const from = 30; // the third keyframe
    assert.equal(fragments[from]!.keyframe, true);
    const shared = fragments.slice(from).map((f) => readFragment(f.bytes));
    assert.ok(shared[0]!.decodeTime > 0 && shared[0]!.sequenceNumber === 31, 'the packager counts from the stream\'s start');
    const timeline = new ViewerTimeline();
    const seen = fragments.slice(from).map((f) => readFragment(Buffer.concat(timeline.split(f.bytes))));
    assert.deepEqual(seen.map((s) => s.sequenceNumber), Array.from({ length: 30 }, (_, i) => i + 1));
    assert.deepEqual(seen.map((s) => s.decodeTime), shared.map((s) => s.decodeTime - shared[0]!.decodeTime));
    assert.equal(seen[0]!.decodeTime, 0);
    // Everything else is the packager's: durations, sizes, flags, composition offsets and the sample.
    seen.forEach((s, i) => {
      const { sequenceNumber: _a, decodeTime: _b, ...rest } = s;
      const { sequenceNumber: _c, decodeTime: _d, ...expected } = shared[i]!;
      assert.deepEqual(rest, expected);
    });
    assert.equal(timeline.fragments, 30);
  });

  it('copies only the header: the rest is a view of the shared fragment', () => {
    const timeline = new ViewerTimeline();
    const fragment = fragments[0]!.bytes;
    const [header, body] = timeline.split(fragment);
    assert.ok(header.length < 150, `header of ${header.length} bytes`);
    assert.equal(body.buffer, fragment.buffer, 'same memory');
    assert.equal(body.byteOffset, fragment.byteOffset + header.length);
    assert.equal(header.length + body.length, fragment.length);
    assert.equal(header.toString('latin1', header.length - 4), 'mdat', 'the header ends with the mdat\'s own header');
    // The shared fragment itself is never written to.
    assert.equal(readFragment(fragment).sequenceNumber, 1);
  });

  it('two viewers on the same fragments keep their own numbering', () => {
    const early = new ViewerTimeline();
    const late = new ViewerTimeline();
    for (const f of fragments.slice(0, 15)) early.split(f.bytes);
    for (const f of fragments.slice(15, 20)) {
      const a = readFragment(Buffer.concat(early.split(f.bytes)));
      const b = readFragment(Buffer.concat(late.split(f.bytes)));
      assert.equal(a.sequenceNumber, b.sequenceNumber + 15);
      assert.equal(a.decodeTime - b.decodeTime, fragmentDecodeTime(fragments[15]!.bytes) - fragmentDecodeTime(fragments[0]!.bytes));
    }
  });

  it('tells fragments from init segments, and refuses what is not a fragment of this layout', () => {
    assert.equal(isFragment(fragments[0]!.bytes), true);
    assert.equal(isFragment(init), false);
    assert.equal(isFragment(Buffer.alloc(3)), false);
    const timeline = new ViewerTimeline();
    assert.throws(() => timeline.split(init), FragmentLayoutError);
    const cut = fragments[0]!.bytes.subarray(0, 60);
    assert.throws(() => timeline.split(cut), FragmentLayoutError);
    const renamed = Buffer.from(fragments[0]!.bytes);
    renamed.write('tfdx', 52, 'latin1');
    assert.throws(() => timeline.split(renamed), /tfdx at 48 where tfdt was expected/);
    assert.equal(timeline.fragments, 0, 'nothing counted for what was refused');
  });
});
