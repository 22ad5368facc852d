import { buildPart, type Part } from '../formats/multipart.js';
import { Output, type Reader, type ViewerLimit } from './output.js';

export type { ViewerTotals } from './output.js';

/** What the MJPEG output needs of a viewer. */
export interface Viewer extends Reader {
  offer(part: Part): void;
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
  ) {
    super(limit);
  }

  /** Publishes a frame to every viewer; `live` is false for placeholders. */
  publish(jpeg: Buffer, live: boolean): Part {
    const part = buildPart(jpeg, ++this.seq, this.now(), live);
    this.newest = part;
    if (live) this.newestLive = part;
    this.published++;
    for (const viewer of this.viewers) viewer.offer(part);
    return part;
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
