import { buildPart, buildPartInPlace, type Part } from '../formats/multipart.js';
import { Output, type Reader, type ViewerLimit } from './output.js';

export type { ViewerTotals } from './output.js';

/** What the MJPEG output needs of a viewer. */
export interface Viewer extends Reader {
  offer(part: Part): void;
  /** Whether a part in `buffer` is still being sent or waits to be; a viewer without it is taken to hold every part. */
  holds?(buffer: ArrayBufferLike): boolean;
}

/** Frames with free room around them for their part headers (a FramePool's): their parts are laid out in place. */
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
  private seq = 0;

  constructor(
    private readonly now: () => number,
    limit: number | ViewerLimit,
    private readonly inPlace?: InPlaceFrames,
  ) {
    super(limit);
  }

  /** Publishes a frame to every viewer; `live` is false for placeholders. */
  publish(jpeg: Buffer, live: boolean): Part {
    const layout = this.inPlace?.owns(jpeg) ? buildPartInPlace : buildPart;
    const part = layout(jpeg, ++this.seq, this.now(), live);
    this.newest = part;
    if (live) this.newestLive = part;
    this.published++;
    for (const viewer of this.viewers) viewer.offer(part);
    return part;
  }

  /**
   * Whether a part in `buffer` may still be read: the newest parts (for new viewers and the
   * snapshot) and what any viewer is sending or has waiting. A FramePool reuses a buffer only when not.
   */
  holds(buffer: ArrayBufferLike): boolean {
    if (this.newest?.wire.buffer === buffer || this.newestLive?.wire.buffer === buffer) return true;
    for (const viewer of this.viewers) if (!viewer.holds || viewer.holds(buffer)) return true;
    return false;
  }

  /** Forget the last live frame, e.g. when privacy turns on, so it is never served again. */
  forgetLive(): void {
    this.newestLive = undefined;
    if (this.newest?.live) this.newest = undefined;
  }

  /**
   * Adds a viewer, or returns false when every viewer slot is taken. The viewer gets the newest
   * frame at once when it is younger than `freshMs`, so a page shows a picture without waiting.
   */
  add(viewer: V, freshMs: number): boolean {
    if (!this.admit(viewer)) return false;
    const newest = this.newest;
    if (newest && this.now() - newest.at <= freshMs) viewer.offer(newest);
    return true;
  }

  /** The newest live frame when it is younger than maxAgeMs. */
  latestLive(maxAgeMs: number): Part | undefined {
    const part = this.newestLive;
    return part && this.now() - part.at <= maxAgeMs ? part : undefined;
  }
}
