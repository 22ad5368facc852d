import { buildPart, type Part } from './multipart.js';

/** What the broadcaster needs of a viewer. */
export interface Viewer {
  readonly id: number;
  offer(part: Part): void;
}

/**
 * Fans every frame out to every viewer. A frame becomes one shared wire buffer (see buildPart);
 * viewers receive references to it and pace themselves (ViewerPacer).
 */
export class Broadcaster<V extends Viewer = Viewer> {
  private readonly viewers = new Set<V>();
  private newest: Part | undefined;
  private newestLive: Part | undefined;
  private seq = 0;
  private published = 0;
  private nextViewerId = 1;

  constructor(
    private readonly now: () => number,
    private maxViewers: number,
  ) {}

  /** A new viewer limit: those watching stay, new ones are refused while over it. */
  setLimit(maxViewers: number): void {
    this.maxViewers = maxViewers;
  }

  get limit(): number {
    return this.maxViewers;
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

  /** An id for the next viewer. */
  allocateId(): number {
    return this.nextViewerId++;
  }

  get full(): boolean {
    return this.viewers.size >= this.maxViewers;
  }

  /**
   * Adds a viewer, or returns false when maxViewers are watching. The viewer gets the newest frame
   * at once when it is younger than `freshMs`, so a page shows a picture without waiting.
   */
  add(viewer: V, freshMs: number): boolean {
    if (this.full) return false;
    this.viewers.add(viewer);
    const newest = this.newest;
    if (newest && this.now() - newest.at <= freshMs) viewer.offer(newest);
    return true;
  }

  remove(viewer: V): void {
    this.viewers.delete(viewer);
  }

  /** The newest live frame when it is younger than maxAgeMs. */
  latestLive(maxAgeMs: number): Part | undefined {
    const part = this.newestLive;
    return part && this.now() - part.at <= maxAgeMs ? part : undefined;
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  list(): V[] {
    return [...this.viewers];
  }

  get framesPublished(): number {
    return this.published;
  }
}
