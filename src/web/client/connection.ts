// What the page's two picture connections share (stream.ts: MJPEG, video-stream.ts: H.264): one
// fetch() at a time that repairs itself. A drop or STALL_MS without data retries with backoff; a
// device that is full retries after its Retry-After; a reply from the device retries at once.
// Subclasses only read the body.

import { deviceText } from './i18n/server.js';
import { t } from './i18n/translate.js';
import { httpUrl, type Fetch, type PageLocation, type Timers } from './net.js';
import { backoffMs } from './view.js';

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'full';

/** Every frame is at most this far apart: the device sends a placeholder each second when the camera is off. */
export const STALL_MS = 10_000;

export interface ConnectionDeps {
  location: PageLocation;
  fetch: Fetch;
  timers: Timers;
  /** Math.random, for the backoff's jitter. */
  random: () => number;
  /** state or detail changed. */
  onChange: () => void;
  /** The device has no owner (503 not-set-up, e.g. after an owner reset); the stream keeps trying meanwhile. */
  onNotSetUp: () => void;
}

export abstract class ReconnectingStream {
  state: StreamState = 'connecting';
  /** Why the last attempt failed, for the overlay. */
  detail = '';
  protected generation = 0;
  protected wanted = false;
  private controller: AbortController | undefined;
  private retryTimer: unknown;
  private stallTimer: unknown;
  private attempt = 0;

  constructor(
    protected readonly deps: ConnectionDeps,
    private readonly path: string,
  ) {}

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
    this.stopped();
  }

  /** The device answers again: try at once instead of waiting out the backoff. */
  retryNow(): void {
    if (!this.wanted || this.controller || this.state === 'full') return;
    this.deps.timers.clearTimeout(this.retryTimer);
    this.attempt = 0;
    void this.connect(++this.generation);
  }

  /** Why this browser cannot stream at all (then no request is made), or undefined. */
  protected unsupported(): string | undefined {
    return undefined;
  }

  /** Reads an answered request's body until it ends; throws or returns to have it retried. */
  protected abstract consume(res: Response, controller: AbortController, generation: number): Promise<void>;

  /** After stop(): release what the subclass holds. */
  protected stopped(): void {}

  protected set(state: StreamState, detail = ''): void {
    if (state === this.state && detail === this.detail) return;
    this.state = state;
    this.detail = detail;
    this.deps.onChange();
  }

  /** Data arrived: the connection is alive, and the next failure starts the backoff over. */
  protected alive(controller: AbortController): void {
    this.armStall(controller);
    this.attempt = 0;
  }

  private async connect(generation: number): Promise<void> {
    const { timers } = this.deps;
    const why = this.unsupported();
    if (why) {
      this.set('reconnecting', why);
      return;
    }
    const controller = new AbortController();
    this.controller = controller;
    let retryAfterMs: number | undefined;
    let failure = t('common.server.connectionLost');
    try {
      const res = await this.deps.fetch(httpUrl(this.deps.location, this.path), { cache: 'no-store', signal: controller.signal });
      if (res.status === 503) {
        const body = (await res.json().catch(() => undefined)) as { error?: string; message?: string } | undefined;
        retryAfterMs = (Number(res.headers.get('retry-after')) || 5) * 1000;
        if (body?.error === 'not-set-up') {
          this.set('reconnecting', t('common.server.notSetUp'));
          this.deps.onNotSetUp();
        } else if (body?.error === undefined || body.error === 'too-many-viewers') {
          this.set('full', deviceText(body?.error ?? 'too-many-viewers', body?.message, t('common.server.tooManyViewers')));
        } else {
          // The camera is not sending this stream yet (starting, private, the other codec).
          this.set('reconnecting', deviceText(body.error, body.message, t('common.server.noFrame')));
        }
      } else if (!res.ok) {
        failure = t('common.server.cameraHttp', { status: res.status });
      } else {
        this.armStall(controller);
        await this.consume(res, controller, generation);
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
