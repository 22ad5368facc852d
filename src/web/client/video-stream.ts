// The live picture in H.264 mode: /stream.mp4 (fragmented MP4) read with fetch() and fed to Media
// Source Extensions, which work on plain http:// on a LAN (WebCodecs needs a secure context).
// Safari on iOS has ManagedMediaSource instead of MediaSource. The player holds the live edge: it
// jumps forward when it is more than LIVE_EDGE_S behind, and drops what lies far behind. Like the
// MJPEG connection it repairs itself: a drop or STALL_MS without data retries with backoff.

import { ReconnectingStream, type ConnectionDeps } from './connection.js';
import { t } from './i18n/translate.js';

export const VIDEO_PATH = '/stream.mp4';
/** Further behind the newest picture than this, the player jumps forward. */
export const LIVE_EDGE_S = 0.5;
/** Where a jump lands: this far before the newest picture, so playback does not starve at once. */
const JUMP_MARGIN_S = 0.1;
/** Buffered video older than this behind the playhead is removed, so memory stays flat. */
const KEEP_BEHIND_S = 10;
/** The head of the stream is searched this far for the codec; the init segment is far smaller. */
const MAX_HEAD_BYTES = 64 * 1024;

/** What the player should do to stay live, from what is buffered and where it plays (pure). */
export function liveEdge(buffered: ReadonlyArray<readonly [number, number]>, currentTime: number): { seekTo?: number; removeBefore?: number } {
  if (buffered.length === 0) return {};
  const start = buffered[0]![0];
  const end = buffered[buffered.length - 1]![1];
  const action: { seekTo?: number; removeBefore?: number } = {};
  if (end - currentTime > LIVE_EDGE_S || currentTime < start) action.seekTo = Math.max(start, end - JUMP_MARGIN_S);
  const playhead = action.seekTo ?? currentTime;
  if (playhead - start > 2 * KEEP_BEHIND_S) action.removeBefore = playhead - KEEP_BEHIND_S;
  return action;
}

/**
 * The MSE type for the stream, e.g. `video/mp4; codecs="avc1.64001f"`, from the avcC box in its
 * init segment; undefined until the bytes hold it.
 */
export function mimeFromInit(head: Uint8Array): string | undefined {
  for (let i = 4; i + 8 <= head.length; i++) {
    if (head[i] === 0x61 && head[i + 1] === 0x76 && head[i + 2] === 0x63 && head[i + 3] === 0x43) {
      // avcC: configurationVersion, AVCProfileIndication, profile_compatibility, AVCLevelIndication.
      const hex = (b: number) => b.toString(16).padStart(2, '0');
      return `video/mp4; codecs="avc1.${hex(head[i + 5]!)}${hex(head[i + 6]!)}${hex(head[i + 7]!)}"`;
    }
  }
  return undefined;
}

/** MediaSource, or Safari's ManagedMediaSource, or undefined where neither exists. */
export function mediaSourceClass(w: object): typeof MediaSource | undefined {
  const g = w as { ManagedMediaSource?: typeof MediaSource; MediaSource?: typeof MediaSource };
  return g.ManagedMediaSource ?? g.MediaSource;
}

export interface VideoStreamDeps extends ConnectionDeps {
  video: HTMLVideoElement;
}

export class VideoStream extends ReconnectingStream {
  private objectUrl: string | undefined;

  constructor(private readonly videoDeps: VideoStreamDeps) {
    super(videoDeps, VIDEO_PATH);
  }

  protected override unsupported(): string | undefined {
    return mediaSourceClass(window) ? undefined : t('common.server.noVideo');
  }

  protected override stopped(): void {
    this.detach();
  }

  protected async consume(res: Response, controller: AbortController, generation: number): Promise<void> {
    if (!res.body) throw new Error('no streamed body');
    await this.play(res.body.getReader(), mediaSourceClass(window)!, controller, generation);
  }

  /** Feeds one connection's bytes into a fresh MediaSource until it ends. */
  private async play(body: ReadableStreamDefaultReader<Uint8Array>, Source: typeof MediaSource, controller: AbortController, generation: number): Promise<void> {
    const { video } = this.videoDeps;
    let head: Uint8Array<ArrayBuffer> = new Uint8Array(0);
    let mime: string | undefined;
    while (!mime) {
      const { done, value } = await body.read();
      if (done || generation !== this.generation) return;
      head = concat(head, value);
      mime = mimeFromInit(head);
      if (!mime && head.length > MAX_HEAD_BYTES) throw new Error('no H.264 track in the stream');
    }
    if (!Source.isTypeSupported(mime)) {
      this.set('reconnecting', t('common.server.videoType', { type: mime }));
      throw new Error('unsupported');
    }
    const source = new Source();
    this.detach();
    // ManagedMediaSource plays only with remote playback off (Safari's rule).
    video.disableRemotePlayback = true;
    this.objectUrl = URL.createObjectURL(source);
    video.src = this.objectUrl;
    await new Promise<void>((resolve) => source.addEventListener('sourceopen', () => resolve(), { once: true }));
    const buffer = source.addSourceBuffer(mime);
    buffer.mode = 'segments';
    const queue: Uint8Array[] = [head];
    let failed = false;
    const pump = () => {
      if (buffer.updating || failed || source.readyState !== 'open') return;
      const next = queue.shift();
      if (next) {
        try {
          buffer.appendBuffer(next as Uint8Array<ArrayBuffer>);
        } catch {
          failed = true;
          controller.abort();
        }
        return;
      }
      this.keepLive(buffer);
    };
    buffer.addEventListener('updateend', pump);
    buffer.addEventListener('error', () => {
      failed = true;
      controller.abort();
    });
    pump();
    for (;;) {
      const { done, value } = await body.read();
      if (done || generation !== this.generation || failed) return;
      this.alive(controller);
      queue.push(value);
      pump();
      if (this.state !== 'live' && video.readyState >= 2) {
        void video.play().catch(() => {});
        this.set('live');
      }
    }
  }

  /** Keeps the playhead near the newest picture and the buffer short. */
  private keepLive(buffer: SourceBuffer): void {
    const { video } = this.videoDeps;
    const ranges: Array<[number, number]> = [];
    for (let i = 0; i < buffer.buffered.length; i++) ranges.push([buffer.buffered.start(i), buffer.buffered.end(i)]);
    const action = liveEdge(ranges, video.currentTime);
    if (action.seekTo !== undefined) video.currentTime = action.seekTo;
    if (action.removeBefore !== undefined && !buffer.updating) buffer.remove(0, action.removeBefore);
    if (video.paused && video.readyState >= 2) void video.play().catch(() => {});
  }

  private detach(): void {
    if (!this.objectUrl) return;
    const { video } = this.videoDeps;
    video.removeAttribute('src');
    video.load();
    URL.revokeObjectURL(this.objectUrl);
    this.objectUrl = undefined;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
