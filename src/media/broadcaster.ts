import { buildPart, buildPartInPlace, type Part } from '../formats/multipart.js';
import { Output, type Reader, type ViewerLimit } from './output.js';

export type { ViewerTotals } from './output.js';

/** What the MJPEG output needs of a viewer. */
export interface Viewer extends Reader {
  offer(part: Part): void;
  /** Whether a part in `buffer` is still being sent or waits to be; a viewer without it is taken to hold every part. */
  holds?(buffer: ArrayBufferLike): boolean;
}

/**
 * Where the camera's frames come from (a FramePool): frames with free room around them for their
 * part headers, whose parts are laid out in place, and, while nobody watches, views of the camera's
 * reads that the reader keeps valid while keepsIn() says a frame lies there.
 */
export interface InPlaceFrames {
  owns(jpeg: Buffer): boolean;
}

/**
 * The MJPEG output: every frame becomes one shared wire buffer (see buildPart), offered to every
 * viewer; each viewer paces itself (ViewerPacer: the newest frame, skipping while busy).
 */
export class Broadcaster<V extends Viewer = Viewer> extends Output<V> {
  private newest: Part | undefined;
  private newestLive: Part | undefined;
  /**
   * The newest live frame from the camera, not laid out yet: it came while nobody watched (most of a
   * device's day), so its part is made only when a viewer or the snapshot asks for it.
   */
  private unlaid: { jpeg: Buffer; seq: number; at: number } | undefined;
  private seq = 0;

  constructor(
    private readonly now: () => number,
    limit: number | ViewerLimit,
    private readonly inPlace?: InPlaceFrames,
  ) {
    super(limit);
  }

  /**
   * Publishes a frame to every viewer; `live` is false for placeholders. Returns its part, or
   * undefined for a camera frame (with `inPlace`) that nobody watches: laid out when first asked for.
   */
  publish(jpeg: Buffer, live: boolean): Part | undefined {
    this.published++;
    const seq = ++this.seq;
    const at = this.now();
    if (this.inPlace && live && this.viewers.size === 0) {
      this.unlaid = { jpeg, seq, at };
      return undefined;
    }
    // A live frame supersedes the one not laid out; a placeholder leaves it the newest live one.
    if (live) this.unlaid = undefined;
    else this.layOut();
    const part = this.layOutPart(jpeg, seq, at, live);
    this.newest = part;
    if (live) this.newestLive = part;
    for (const viewer of this.viewers) viewer.offer(part);
    return part;
  }

  /** The newest frame laid out as a part, if it was not yet. */
  private layOut(): void {
    const frame = this.unlaid;
    if (!frame) return;
    this.unlaid = undefined;
    this.newest = this.newestLive = this.layOutPart(frame.jpeg, frame.seq, frame.at, true);
  }

  /** In place around a pool's frame; any other (a placeholder, a view of a camera read) is copied. */
  private layOutPart(jpeg: Buffer, seq: number, at: number, live: boolean): Part {
    return (this.inPlace?.owns(jpeg) ? buildPartInPlace : buildPart)(jpeg, seq, at, live);
  }

  /**
   * Whether a frame not laid out yet lies in `area` (a view of a camera read, lent while nobody
   * watched): the reader must not read into that memory while it does.
   */
  keepsIn(area: Uint8Array): boolean {
    const jpeg = this.unlaid?.jpeg;
    return jpeg !== undefined && jpeg.buffer === area.buffer && jpeg.byteOffset >= area.byteOffset && jpeg.byteOffset < area.byteOffset + area.byteLength;
  }

  /**
   * Whether a part in `buffer` may still be read: the newest parts (for new viewers and the
   * snapshot) and what any viewer is sending or has waiting. A FramePool reuses a buffer only when not.
   */
  holds(buffer: ArrayBufferLike): boolean {
    if (this.unlaid?.jpeg.buffer === buffer) return true;
    if (this.newest?.wire.buffer === buffer || this.newestLive?.wire.buffer === buffer) return true;
    for (const viewer of this.viewers) if (!viewer.holds || viewer.holds(buffer)) return true;
    return false;
  }

  /** Forget the last live frame, e.g. when privacy turns on, so it is never served again. */
  forgetLive(): void {
    this.unlaid = undefined;
    this.newestLive = undefined;
    if (this.newest?.live) this.newest = undefined;
  }

  /**
   * Adds a viewer, or returns false when every viewer slot is taken. The viewer gets the newest
   * frame at once when it is younger than `freshMs`, so a page shows a picture without waiting.
   */
  add(viewer: V, freshMs: number): boolean {
    if (!this.admit(viewer)) return false;
    this.layOut();
    const newest = this.newest;
    if (newest && this.now() - newest.at <= freshMs) viewer.offer(newest);
    return true;
  }

  /** The newest live frame when it is younger than maxAgeMs. */
  latestLive(maxAgeMs: number): Part | undefined {
    this.layOut();
    const part = this.newestLive;
    return part && this.now() - part.at <= maxAgeMs ? part : undefined;
  }
}
