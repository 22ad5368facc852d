// process.memoryUsage() reads /proc/self/stat and so needs a free file descriptor. A flood of
// connections can take every one; then the last reading stands instead of a status request failing.

export interface MemoryReading {
  rss: number;
  heapUsed: number;
  arrayBuffers: number;
}

/** A reader that returns the last good reading when a new one cannot be taken. */
export function lastGoodMemory(read: () => MemoryReading = () => process.memoryUsage()): () => MemoryReading {
  let last: MemoryReading = { rss: 0, heapUsed: 0, arrayBuffers: 0 };
  return () => {
    try {
      last = read();
    } catch {
      // Out of descriptors for a moment; see above.
    }
    return last;
  };
}
