// The live picture's connection: /stream.mjpg read with fetch() and cut into JPEGs here, so the
// page sees every frame and every drop (an <img> gives no event when its connection dies). It
// repairs itself: a drop or 10 s without a frame retries with backoff, a full device after its
// Retry-After. What a frame looks like on screen is picture.ts's business.

import { boundaryOf, MultipartReader } from './multipart.js';
import { httpUrl, type Fetch, type PageLocation, type Timers } from './net.js';
import { backoffMs } from './view.js';

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'full';

/** Every frame is at most this far apart: the device sends a placeholder each second when the camera is off. */
export const STALL_MS = 10_000;
export const STREAM_PATH = '/stream.mjpg';

export interface StreamDeps {
  location: PageLocation;
  fetch: Fetch;
  timers: Timers;
  /** Math.random, for the backoff's jitter. */
  random: () => number;
  /** A JPEG arrived. */
  onFrame: (jpeg: Uint8Array) => void;
  /** state or detail changed. */
  onChange: () => void;
  /** A browser without streamed fetch bodies: show this URL in the <img> and let it decode MJPEG itself. */
  onNativeStream: (url: string) => void;
  /** The device has no owner (503 not-set-up, e.g. after an owner reset); the stream keeps trying meanwhile. */
  onNotSetUp: () => void;
}

export class LiveStream {
  state: StreamState = 'connecting';
  /** Why the last attempt failed, for the overlay. */
  detail = '';
  private generation = 0;
  private wanted = false;
  private controller: AbortController | undefined;
  private retryTimer: unknown;
  private stallTimer: unknown;
  private attempt = 0;

  constructor(private readonly deps: StreamDeps) {}

  start(): void {
    if (this.wanted) return;
    this.wanted = true;
    void this.connect(++this.generation);
  }

  /** Stops streaming (hidden tab): the device serves one viewer fewer. */
  stop(): void {
    this.wanted = false;
    this.generation++;
    this.deps.timers.clearTimeout(this.retryTimer);
    this.deps.timers.clearTimeout(this.stallTimer);
    this.controller?.abort();
    this.controller = undefined;
  }

  /** The device answers again: try at once instead of waiting out the backoff. */
  retryNow(): void {
    if (!this.wanted || this.controller || this.state === 'full') return;
    this.deps.timers.clearTimeout(this.retryTimer);
    this.attempt = 0;
    void this.connect(++this.generation);
  }

  private set(state: StreamState, detail = ''): void {
    if (state === this.state && detail === this.detail) return;
    this.state = state;
    this.detail = detail;
    this.deps.onChange();
  }

  private async connect(generation: number): Promise<void> {
    const { timers } = this.deps;
    const controller = new AbortController();
    this.controller = controller;
    const url = httpUrl(this.deps.location, STREAM_PATH);
    let retryAfterMs: number | undefined;
    let failure = 'The connection to the camera was lost.';
    try {
      const res = await this.deps.fetch(url, { cache: 'no-store', signal: controller.signal });
      if (res.status === 503) {
        const body = (await res.json().catch(() => undefined)) as { error?: string; message?: string } | undefined;
        retryAfterMs = (Number(res.headers.get('retry-after')) || 5) * 1000;
        if (body?.error === 'not-set-up') {
          this.set('reconnecting', 'Nobody has set up this camera yet.');
          this.deps.onNotSetUp();
        } else {
          this.set('full', body?.message ?? 'Too many people are watching right now.');
        }
      } else if (res.ok && !res.body) {
        controller.abort();
        this.wanted = false;
        this.deps.onNativeStream(url);
        this.set('live');
        return;
      } else if (!res.ok || !res.body) {
        failure = `The camera answered HTTP ${res.status}.`;
      } else {
        const reader = new MultipartReader(boundaryOf(res.headers.get('content-type')) ?? 'picamd-frame-boundary');
        const body = res.body.getReader();
        this.armStall(controller);
        for (;;) {
          const { done, value } = await body.read();
          if (done || generation !== this.generation) break;
          for (const jpeg of reader.push(value)) {
            this.armStall(controller);
            this.attempt = 0;
            this.deps.onFrame(jpeg);
            if (this.state !== 'live') this.set('live');
          }
        }
      }
    } catch {
      // Refused, reset, or aborted by the stall timer or stop(); all of them mean "try again".
    }
    timers.clearTimeout(this.stallTimer);
    controller.abort();
    if (this.controller === controller) this.controller = undefined;
    if (!this.wanted || generation !== this.generation) return;
    const delay = retryAfterMs ?? backoffMs(this.attempt++, this.deps.random());
    if (retryAfterMs === undefined) this.set('reconnecting', failure);
    this.retryTimer = timers.setTimeout(() => void this.connect(generation), delay);
  }

  private armStall(controller: AbortController): void {
    this.deps.timers.clearTimeout(this.stallTimer);
    this.stallTimer = this.deps.timers.setTimeout(() => controller.abort(), STALL_MS);
  }
}
