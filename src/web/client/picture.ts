// Frames onto the <img>: each JPEG through a blob: URL; while one decodes, newer ones replace the
// waiting one, never a queue, so a slow phone shows the newest frame rather than falling behind.

export class FramePainter {
  private pending: Uint8Array | undefined;
  private painting = false;
  private shownUrl: string | undefined;
  private sized = false;

  /** `onSized` gets the first decoded picture's size, for the frame's aspect ratio. */
  constructor(
    private readonly img: HTMLImageElement,
    private readonly onSized: (width: number, height: number) => void,
  ) {}

  show(jpeg: Uint8Array): void {
    this.pending = jpeg;
    if (!this.painting) this.paint();
  }

  private paint(): void {
    const jpeg = this.pending;
    if (!jpeg) return;
    this.pending = undefined;
    this.painting = true;
    const url = URL.createObjectURL(new Blob([jpeg as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }));
    const done = () => {
      // The previous picture stays on screen until this one is decoded (HTML "pending request").
      if (this.shownUrl) URL.revokeObjectURL(this.shownUrl);
      this.shownUrl = url;
      this.painting = false;
      if (!this.sized && this.img.naturalWidth > 0) {
        this.sized = true;
        this.onSized(this.img.naturalWidth, this.img.naturalHeight);
      }
      this.paint();
    };
    this.img.src = url;
    this.img.decode().then(done, done);
  }
}
