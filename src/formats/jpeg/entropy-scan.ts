// The frame parser's hot loop in WebAssembly SIMD: find where a JPEG's entropy-coded data stops
// being plain data. A camera frame has a 0xFF every 20-250 bytes (stuffed FF00, and RSTn where the
// encoder restarts often), and Buffer.indexOf costs a call into C++ per 0xFF; this looks at 16 bytes
// per step and steps over FF00 and RSTn itself, one call per chunk. The module is written out below
// by hand (a dozen instructions; the text form is beside each line), so there is nothing to fetch
// or build. Node 20 and 22 run WebAssembly SIMD on x86-64 and arm64 (the Pi's NEON).

/**
 * scan(from, end) over the bytes copied to memory[0, end): the index of the first 0xFF at or after
 * `from` that is not followed by 0x00 or RST0-7 (a fill byte, a marker), or of a 0xFF at end - 1
 * (its next byte is still to come); -1 when there is none.
 */
// prettier-ignore
const WASM = Uint8Array.of(
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // \0asm, version 1
  0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, // type 0: (i32 from, i32 end) -> i32
  0x03, 0x02, 0x01, 0x00, // function 0 has type 0
  0x05, 0x03, 0x01, 0x00, 0x01, // one memory, at least one page
  0x07, 0x11, 0x02, // two exports:
  0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, //   "memory"
  0x04, 0x73, 0x63, 0x61, 0x6e, 0x00, 0x00, //   "scan"
  0x0a, 0xb9, 0x01, 0x01, // code: 185 bytes, one body
  0xb6, 0x01, 0x02, 0x02, 0x7f, 0x01, 0x7b, // 182 bytes; locals 2 (mask) and 3 (code), i32; 4 (next), v128
  0x03, 0x40,                                               // loop $next: from `from`, find a 0xFF
  0x02, 0x40,                                               //   block $found
  0x02, 0x40,                                               //     block $tail
  0x03, 0x40,                                               //       loop $wide: 16 bytes and the byte after them
  0x20, 0x00, 0x41, 0x11, 0x6a, 0x20, 0x01, 0x4b, 0x0d, 0x01, //         from + 17 > end: br $tail
  0x20, 0x00, 0xfd, 0x00, 0x00, 0x00,                       //         v128.load [from]
  0x41, 0x7f, 0xfd, 0x0f, 0xfd, 0x23,                       //         ff = eq(that, splat 0xFF)
  0x20, 0x00, 0xfd, 0x00, 0x00, 0x01, 0x22, 0x04,           //         next = v128.load [from + 1]
  0x41, 0x00, 0xfd, 0x0f, 0xfd, 0x23,                       //         eq(next, splat 0x00)
  0x20, 0x04, 0x41, 0xf8, 0x01, 0xfd, 0x0f, 0xfd, 0x4e,     //         and(next, splat 0xF8)
  0x41, 0xd0, 0x01, 0xfd, 0x0f, 0xfd, 0x23, 0xfd, 0x50,     //         | eq(that, splat 0xD0): next is 00 or RST0-7
  0xfd, 0x4f, 0xfd, 0x64, 0x22, 0x02,                       //         mask = bitmask(andnot(ff, that)): a 0xFF before anything else
  0x04, 0x40,                                               //         if mask
  0x20, 0x00, 0x20, 0x02, 0x68, 0x6a, 0x0f,                 //           return from + ctz(mask)
  0x0b,                                                     //         end
  0x20, 0x00, 0x41, 0x10, 0x6a, 0x21, 0x00, 0x0c, 0x00,     //         from += 16; br $wide
  0x0b,                                                     //       end $wide
  0x0b,                                                     //     end $tail: under 17 bytes left
  0x03, 0x40,                                               //     loop $narrow
  0x20, 0x00, 0x20, 0x01, 0x4f, 0x04, 0x40, 0x41, 0x7f, 0x0f, 0x0b, //       from >= end: return -1
  0x20, 0x00, 0x2d, 0x00, 0x00, 0x41, 0xff, 0x01, 0x46, 0x0d, 0x01, //       [from] == 0xFF: br $found
  0x20, 0x00, 0x41, 0x01, 0x6a, 0x21, 0x00, 0x0c, 0x00,     //       from += 1; br $narrow
  0x0b,                                                     //     end $narrow
  0x0b,                                                     //   end $found: a 0xFF at `from`
  0x20, 0x00, 0x41, 0x01, 0x6a, 0x20, 0x01, 0x4f, 0x04, 0x40, 0x20, 0x00, 0x0f, 0x0b, //   from + 1 >= end: return from
  0x20, 0x00, 0x2d, 0x00, 0x01, 0x21, 0x03,                 //   code = [from + 1]
  0x20, 0x03, 0x45, 0x20, 0x03, 0x41, 0xd0, 0x01, 0x6b, 0x41, 0x08, 0x49, 0x72, //   code == 0 | code - 0xD0 <u 8
  0x04, 0x40, 0x20, 0x00, 0x41, 0x02, 0x6a, 0x21, 0x00, 0x0c, 0x01, 0x0b, //   then from += 2; br $next
  0x20, 0x00, 0x0f,                                         //   return from
  0x0b,                                                     // end $next
  0x41, 0x7f, 0x0b,                                         // -1 (never reached); end
);

// The few WebAssembly names used here: TypeScript declares them only with the DOM library.
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
}

/** Chunks larger than this are scanned with Buffer.indexOf: the camera pipe's reads are 64 KB. */
export const MAX_SCAN_CHUNK = 256 * 1024;
const PAGE = 64 * 1024;

/** Entropy-coded data scanned in WebAssembly memory: one copy of a chunk, then one call per run of data. */
export class EntropyScanner {
  private bytes: Uint8Array;
  /** The chunk whose bytes are in memory now (see load). */
  private loaded: Buffer | undefined;
  /** See readArea. */
  private area: Buffer | undefined;

  private constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly scanIn: (from: number, end: number) => number,
  ) {
    this.bytes = new Uint8Array(memory.buffer);
  }

  /** A scanner, or undefined where this Node cannot run WebAssembly SIMD (then Buffer.indexOf does it). */
  static create(): EntropyScanner | undefined {
    try {
      const { exports } = new WebAssembly.Instance(new WebAssembly.Module(WASM));
      return new EntropyScanner(exports.memory as WebAssembly.Memory, exports.scan as (from: number, end: number) => number);
    } catch {
      return undefined;
    }
  }

  /**
   * Memory that a reader may fill with the chunks it then scans (the camera socket's reused read
   * buffer): those are scanned where they lie, without the copy. It lies after the room where other
   * chunks are copied (up to MAX_SCAN_CHUNK), so the two never overlap, and the memory is grown once,
   * here, to hold both: a later scan never grows it, which would detach the reader's buffer.
   */
  readArea(bytes: number): Buffer {
    if (this.area) {
      if (this.area.length < bytes) throw new RangeError(`the read area is ${this.area.length} bytes, not ${bytes}`);
      return this.area.subarray(0, bytes);
    }
    const pages = Math.ceil((MAX_SCAN_CHUNK + bytes) / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (pages > 0) this.memory.grow(pages);
    this.bytes = new Uint8Array(this.memory.buffer);
    this.area = Buffer.from(this.memory.buffer, MAX_SCAN_CHUNK, bytes);
    return this.area;
  }

  /**
   * The index in `chunk` of the first 0xFF at or after `from` that ends a run of entropy-coded data
   * (see WASM), or -1. A chunk in the read area is scanned in place; any other is copied into memory
   * at its first scan, and forget() drops that copy.
   */
  scan(chunk: Buffer, from: number): number {
    if (chunk.buffer === this.memory.buffer) {
      const at = chunk.byteOffset;
      const stop = this.scanIn(at + from, at + chunk.length);
      return stop < 0 ? stop : stop - at;
    }
    if (chunk !== this.loaded) {
      const pages = Math.ceil(chunk.length / PAGE) - this.memory.buffer.byteLength / PAGE;
      if (pages > 0) {
        // Growing detaches the memory's buffer, and with it a reader's read area.
        if (this.area) throw new RangeError(`a chunk of ${chunk.length} bytes does not fit beside the read area`);
        this.memory.grow(pages);
        this.bytes = new Uint8Array(this.memory.buffer);
      }
      this.bytes.set(chunk);
      this.loaded = chunk;
    }
    return this.scanIn(from, chunk.length);
  }

  /** The caller may change or reuse the last chunk now: the next scan copies it again. */
  forget(): void {
    this.loaded = undefined;
  }
}

let shared: EntropyScanner | null | undefined;

/**
 * One scanner for the process: frame parsers share it (each scan is synchronous, and a chunk other
 * than the loaded one is copied in), so a process with many parsers holds one small memory.
 */
export function sharedEntropyScanner(): EntropyScanner | undefined {
  if (shared === undefined) shared = EntropyScanner.create() ?? null;
  return shared ?? undefined;
}
