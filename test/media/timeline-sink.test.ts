import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { AnnexBParser } from '../../src/formats/h264/annexb.js';
import { Fmp4Packager } from '../../src/formats/mp4/fmp4.js';
import { GopPacer } from '../../src/media/gop-pacer.js';
import { TimelineSink } from '../../src/media/timeline-sink.js';
import type { FrameSink } from '../../src/media/viewer.js';
import { readFragment } from '../fakes/mp4-reader.js';
import { fixturePath } from '../fixtures/h264/index.js';

/** A socket stand-in: records every buffer and takes it whole unless told to block. */
class RecordingSink implements FrameSink {
  readonly sent: Buffer[] = [];
  blockNext = 0;
  send(wire: Buffer): boolean {
    this.sent.push(wire);
    if (this.blockNext > 0) {
      this.blockNext--;
      return false;
    }
    return true;
  }
}

function packaged(): { init: Buffer; fragments: { bytes: Buffer; keyframe: boolean }[] } {
  const parser = new AnnexBParser({ maxAccessUnitBytes: 1 << 20 });
  const units = [...parser.push(readFileSync(fixturePath('high-g15.h264'))), ...parser.flush()];
  const packager = new Fmp4Packager({ framerate: 30 });
  const fragments = units.map((au, i) => {
    const out = packager.package(au, 2000 + (i * 1000) / 30)!;
    return { bytes: out.fragment, keyframe: out.keyframe };
  });
  return { init: packager.init!, fragments };
}

describe('TimelineSink', () => {
  const { init, fragments } = packaged();

  it('passes the init segment as it is and sends each fragment as this viewer\'s header, then the shared rest', () => {
    const inner = new RecordingSink();
    let drained = 0;
    const sink = new TimelineSink(inner, () => drained++);
    assert.equal(sink.send(init), true);
    assert.equal(inner.sent[0], init, 'the same buffer');
    assert.equal(sink.send(fragments[15]!.bytes), true);
    assert.equal(inner.sent.length, 3);
    const [header, body] = [inner.sent[1]!, inner.sent[2]!];
    assert.equal(body.buffer, fragments[15]!.bytes.buffer, 'the rest is the shared fragment');
    const seen = readFragment(Buffer.concat([header, body]));
    assert.equal(seen.sequenceNumber, 1);
    assert.equal(seen.decodeTime, 0);
    assert.equal(drained, 0, 'nothing blocked: the pacer needs no call');
  });

  it('a moof it cannot read goes out as it is rather than throwing into the fan-out', () => {
    const inner = new RecordingSink();
    const sink = new TimelineSink(inner, () => {});
    const odd = Buffer.from(fragments[0]!.bytes.subarray(0, 40));
    assert.equal(sink.send(odd), true);
    assert.equal(inner.sent[0], odd);
  });

  it('a header the socket does not take whole: the rest waits, and the pacer hears once both are out', () => {
    const inner = new RecordingSink();
    let drained = 0;
    const sink = new TimelineSink(inner, () => drained++);
    inner.blockNext = 1;
    assert.equal(sink.send(fragments[0]!.bytes), false);
    assert.equal(inner.sent.length, 1, 'only the header so far');
    inner.blockNext = 1; // the rest blocks too
    sink.innerDrained();
    assert.equal(inner.sent.length, 2);
    assert.equal(drained, 0);
    sink.innerDrained();
    assert.equal(drained, 1);
    assert.equal(inner.sent.length, 2, 'nothing sent twice');
  });

  it('inside a GopPacer: a viewer joining mid-stream numbers its fragments from 1 and times them from 0', () => {
    const inner = new RecordingSink();
    // GopPacer puts its sink behind a TimelineSink of its own.
    const pacer = new GopPacer(7, inner, () => 0, 1 << 20);
    // Joins at the second group of pictures: the pacer skips to its keyframe.
    pacer.start(init, []);
    for (const [i, f] of fragments.entries()) {
      if (i >= 10) pacer.offer({ ...f, at: i });
      if (i % 4 === 0) inner.blockNext = 1; // the socket is slow now and then
      if (i % 4 === 1) pacer.drained();
    }
    while (pacer.stats().busy) pacer.drained();
    const wire = Buffer.concat(inner.sent.slice(1));
    const seen: { sequenceNumber: number; decodeTime: number }[] = [];
    for (let at = 0; at < wire.length; ) {
      const moof = wire.readUInt32BE(at);
      const mdat = wire.readUInt32BE(at + moof);
      seen.push(readFragment(wire.subarray(at, at + moof + mdat)));
      at += moof + mdat;
    }
    // What the slow socket made the pacer skip leaves gaps in time, never in numbering.
    assert.equal(seen.length, pacer.stats().delivered);
    assert.ok(pacer.stats().skipped > 0 && seen.length > 15, `${seen.length} delivered, ${pacer.stats().skipped} skipped`);
    assert.deepEqual(seen.map((s) => s.sequenceNumber), Array.from({ length: seen.length }, (_, i) => i + 1));
    assert.equal(seen[0]!.decodeTime, 0);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.decodeTime > seen[i - 1]!.decodeTime);
  });
});
