import type { FrameAssembler } from './jpeg/frame-parser.js';

// Frame buffers that are reused instead of allocated per frame. Each frame gets free room before
// and after it (the multipart part headers and closing delimiter, see multipart.ts's
// buildPartInPlace), so the frame is copied once, from the camera's pipe reads into its buffer,
// and goes on the wire from there. While nobody watches, a frame that lies whole in one read is
// not copied at all (lendViewsWhile). Pure: who still holds a buffer is asked of the caller.

export interface FramePoolOptions {
  /** Free bytes kept before each frame. */
  headroom: number;
  /** Free bytes kept after each frame. */
  tailroom: number;
  /** Frames are never longer than this (the parser's maxFrameBytes). */
  maxFrameBytes: number;
  /**
   * Buffers kept for reuse. When every one is still held (slow viewers each on another frame), a
   * frame gets a buffer of its own, which is freed by the garbage collector as before.
   */
  slots?: number;
  /** A new buffer's first size for the frame itself; it grows to the largest frame it held. */
  initialBytes?: number;
}

/** Whether anything outside the pool still reads the buffer (a viewer sending it, the newest frame). */
export type HeldCheck = (buffer: ArrayBufferLike) => boolean;

interface Slot {
  buffer: Buffer;
  /** Returned by finish() during the current push(): the caller has it, whatever `held` says. */
  lent: boolean;
}

const DEFAULT_SLOTS = 6;
const DEFAULT_INITIAL_BYTES = 64 * 1024;

/**
 * A FrameAssembler that copies each frame into a reused buffer. A frame the parser returned stays
 * the caller's until the next push(); after that its buffer is reused as soon as `held` says
 * nothing holds it, so whoever keeps a frame longer must either be asked by `held` or copy it.
 */
export class FramePool implements FrameAssembler {
  /** Every piece is copied into a pool buffer: the parser's caller may reuse its chunk at once. */
  readonly copies = true;
  private readonly slots: Slot[] = [];
  /** Every buffer this pool made, kept or not: frames inside them have the room around them. */
  private readonly made = new WeakSet<ArrayBufferLike>();
  private current: Slot | undefined;
  private fill = 0;
  private next = 0;
  private held: HeldCheck = () => false;
  private mayLend: () => boolean = () => false;
  private readonly maxSlots: number;
  private readonly initialBytes: number;
  /** Frames that got a buffer of their own because every kept one was held (tests, status). */
  overflows = 0;

  constructor(private readonly options: FramePoolOptions) {
    this.maxSlots = Math.max(1, options.slots ?? DEFAULT_SLOTS);
    this.initialBytes = Math.min(options.maxFrameBytes, options.initialBytes ?? DEFAULT_INITIAL_BYTES);
  }

  /** Who holds frames after they were handed on (the MJPEG output and its viewers). */
  holdersFrom(held: HeldCheck): void {
    this.held = held;
  }

  /**
   * While `when` says so, a frame that lies whole in one chunk is handed on as a view of the chunk,
   * not copied (camera frames while nobody watches: the copy is most of what a frame costs then).
   * Whoever reuses the chunks' memory then keeps such a frame valid: it does not read into memory
   * where a held frame lies (stdout-sockets.ts reads into its other area then).
   */
  lendViewsWhile(when: () => boolean): void {
    this.mayLend = when;
  }

  /** True for a frame from this pool: it has `headroom` free bytes before it and `tailroom` after it. */
  owns(frame: Buffer): boolean {
    return this.made.has(frame.buffer);
  }

  /** Buffers kept for reuse (tests). */
  get kept(): number {
    return this.slots.length;
  }

  append(piece: Buffer): void {
    const slot = this.current ?? this.acquire(piece.length);
    const at = this.options.headroom + this.fill;
    if (at + piece.length + this.options.tailroom > slot.buffer.length) this.grow(slot, this.fill + piece.length);
    piece.copy(slot.buffer, at);
    this.fill += piece.length;
  }

  finish(tail: Buffer, length: number): Buffer {
    if (this.fill === 0 && tail.length === length && this.mayLend()) return tail;
    this.append(tail);
    const slot = this.current!;
    if (this.fill !== length) throw new Error(`bug: frame of ${this.fill} bytes, the parser counted ${length}`);
    const start = this.options.headroom;
    const frame = slot.buffer.subarray(start, start + length);
    slot.lent = true;
    this.current = undefined;
    this.fill = 0;
    return frame;
  }

  /** The frame is dropped: its buffer stays this pool's, for the next frame. */
  discard(): void {
    this.fill = 0;
  }

  nextPush(): void {
    for (const slot of this.slots) slot.lent = false;
  }

  /** A free kept buffer (round robin, so the one just sent is tried last), a new one, or one of the frame's own. */
  private acquire(bytes: number): Slot {
    const n = this.slots.length;
    for (let i = 0; i < n; i++) {
      const slot = this.slots[(this.next + i) % n]!;
      if (slot.lent || this.held(slot.buffer.buffer)) continue;
      this.next = (this.next + i + 1) % n;
      this.current = slot;
      return slot;
    }
    const slot: Slot = { buffer: this.allocate(Math.max(bytes, this.initialBytes)), lent: false };
    if (n < this.maxSlots) this.slots.push(slot);
    else this.overflows++;
    this.current = slot;
    return slot;
  }

  /** Room for `frameBytes`: a larger buffer, with what the frame has so far. */
  private grow(slot: Slot, frameBytes: number): void {
    const { headroom, maxFrameBytes } = this.options;
    const size = Math.min(maxFrameBytes, Math.max(frameBytes, Math.ceil(frameBytes * 1.25)));
    const buffer = this.allocate(size);
    slot.buffer.copy(buffer, headroom, headroom, headroom + this.fill);
    slot.buffer = buffer;
  }

  private allocate(frameBytes: number): Buffer {
    const { headroom, tailroom } = this.options;
    // allocUnsafeSlow: a buffer of its own (never a slice of Node's shared pool), whose room is ours.
    const buffer = Buffer.allocUnsafeSlow(headroom + frameBytes + tailroom);
    this.made.add(buffer.buffer);
    return buffer;
  }
}
