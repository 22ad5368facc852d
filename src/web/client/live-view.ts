// The live view: the stream and status connections, their rendering, and the actions on the
// picture (privacy toggle, snapshot, fullscreen). Nothing runs before start().

import { httpUrl, type Fetch, type OpenSocket, type PageLocation, type Timers } from './net.js';
import { FramePainter } from './picture.js';
import { renderFullscreen, renderLive, setAspect, type LiveElements } from './render.js';
import { StatusFeed } from './status-feed.js';
import { LiveStream } from './stream.js';
import { VideoStream } from './video-stream.js';
import { deviceText } from './i18n/server.js';
import { currentLanguage, t } from './i18n/translate.js';
import type { Toast } from './toast.js';
import { snapshotFileName, viewOf, type DeviceStatus } from './view.js';

export interface LiveViewDeps {
  location: PageLocation;
  fetch: Fetch;
  openSocket: OpenSocket;
  timers: Timers;
  random: () => number;
  toast: Toast;
  /** Every status document, for views besides this one (settings). */
  onStatus?: (status: DeviceStatus) => void;
  /** The device answered that nobody owns it. */
  onNotSetUp: () => void;
  /** The device wants a login again (the session ended). */
  onLoginRequired?: () => void;
}

interface PrivacyAnswer {
  privacy?: DeviceStatus['privacy'];
  error?: string;
  message?: string;
}

export class LiveView {
  private status: DeviceStatus | undefined;
  private refusedSince: string | undefined;
  private privacyBusy = false;
  private readonly mjpeg: LiveStream;
  private readonly h264: VideoStream;
  /** The codec the page plays: the camera's, as the status document says (MJPEG until it has). */
  private codec: 'mjpeg' | 'h264' = 'mjpeg';
  private readonly feed: StatusFeed;

  constructor(
    private readonly ui: LiveElements,
    private readonly deps: LiveViewDeps,
  ) {
    const painter = new FramePainter(ui.img, (w, h) => setAspect(ui, w, h));
    this.mjpeg = new LiveStream({
      location: deps.location,
      fetch: deps.fetch,
      timers: deps.timers,
      random: deps.random,
      onFrame: (jpeg) => painter.show(jpeg),
      onChange: () => this.render(),
      onNativeStream: (url) => (ui.img.src = url),
      onNotSetUp: deps.onNotSetUp,
    });
    this.h264 = new VideoStream({
      location: deps.location,
      fetch: deps.fetch,
      timers: deps.timers,
      random: deps.random,
      video: ui.video,
      onChange: () => this.render(),
      onNotSetUp: deps.onNotSetUp,
    });
    this.feed = new StatusFeed({
      location: deps.location,
      fetch: deps.fetch,
      openSocket: deps.openSocket,
      timers: deps.timers,
      random: deps.random,
      onStatus: (next) => {
        if (!this.status) setAspect(ui, next.camera.width, next.camera.height);
        this.status = next;
        this.useCodec(next.camera.codec ?? 'mjpeg');
        this.render();
        deps.onStatus?.(next);
      },
      onLoginRequired: deps.onLoginRequired,
      onLink: (link) => {
        if (link === 'live' || link === 'polling') this.stream.retryNow();
        this.render();
      },
    });
  }

  /** The stream of the codec the page plays now. */
  private get stream(): LiveStream | VideoStream {
    return this.codec === 'h264' ? this.h264 : this.mjpeg;
  }

  /** The camera changed codec (a setting): the page switches players and stays live. */
  private useCodec(codec: 'mjpeg' | 'h264'): void {
    if (codec === this.codec) return;
    const wasRunning = !document.hidden;
    this.stream.stop();
    this.codec = codec;
    this.ui.img.hidden = codec === 'h264';
    this.ui.video.hidden = codec !== 'h264';
    if (wasRunning) this.stream.start();
  }

  start(): void {
    const { ui } = this;
    ui.toggle.addEventListener('click', () => void this.togglePrivacy());
    ui.snapshot.addEventListener('click', () => void this.snapshot());
    ui.fullscreen.addEventListener('click', () => this.toggleFullscreen());
    ui.fullscreenExit.addEventListener('click', () => this.toggleFullscreen());
    ui.frame.addEventListener('dblclick', (event) => {
      if (!(event.target instanceof Element && event.target.closest('button'))) this.toggleFullscreen();
    });
    document.addEventListener('fullscreenchange', () => renderFullscreen(ui, this.isFullscreen()));
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && ui.frame.classList.contains('immersive')) {
        ui.frame.classList.remove('immersive');
        renderFullscreen(ui, false);
      }
    });
    // A hidden tab watches nothing: one viewer fewer for a Pi Zero to serve.
    document.addEventListener('visibilitychange', () => {
      if (document.hidden) this.stream.stop();
      else this.stream.start();
    });
    window.addEventListener('online', () => {
      this.feed.retryNow();
      this.stream.retryNow();
    });
    // Relative times ("2 min ago") move on between messages.
    window.setInterval(() => this.render(), 15_000);

    this.feed.start();
    if (!document.hidden) this.stream.start();
    this.render();
  }

  private render(): void {
    renderLive(this.ui, {
      status: this.status,
      link: this.feed.link,
      stream: { state: this.stream.state, detail: this.stream.detail },
      refusedSince: this.refusedSince,
      privacyBusy: this.privacyBusy,
      nowMs: Date.now(),
    });
  }

  private async togglePrivacy(): Promise<void> {
    if (!this.status || this.privacyBusy) return;
    const view = viewOf(this.status, Date.now(), this.refusedSince);
    if (view.privacy.locked) {
      this.deps.toast.show(view.privacy.lockNote);
      return;
    }
    const enabled = !this.status.privacy.enabled;
    this.privacyBusy = true;
    this.render();
    try {
      const res = await this.deps.fetch(httpUrl(this.deps.location, '/api/privacy'), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ enabled }),
      });
      const answer = (await res.json().catch(() => ({}))) as PrivacyAnswer;
      if (answer.privacy && this.status) this.status = { ...this.status, privacy: answer.privacy };
      if (res.status === 409) {
        this.refusedSince = answer.privacy?.since ?? this.status?.privacy.since;
        this.deps.toast.show(answer.message && currentLanguage() === 'en' ? sentence(answer.message) : t('live.privacy.heldBySwitch'));
      } else if (!res.ok) {
        this.deps.toast.show(deviceText(answer.error, answer.message, t('live.privacy.refused', { status: res.status })));
      }
    } catch {
      this.deps.toast.show(t('live.privacy.noAnswer'));
    } finally {
      this.privacyBusy = false;
      this.render();
    }
  }

  private async snapshot(): Promise<void> {
    this.ui.snapshot.disabled = true;
    try {
      // In H.264 mode the device has no JPEG to give: the picture comes from the video itself.
      if (this.codec === 'h264') {
        const blob = await videoFrameJpeg(this.ui.video);
        if (blob) download(blob, snapshotFileName(new Date()));
        else this.deps.toast.show(t('live.snapshot.none'));
        return;
      }
      const res = await this.deps.fetch(httpUrl(this.deps.location, '/snapshot.jpg'), { cache: 'no-store' });
      if (!res.ok) {
        const answer = (await res.json().catch(() => ({}))) as { error?: string; message?: string };
        this.deps.toast.show(deviceText(answer.error, answer.message, t('live.snapshot.refused', { status: res.status })));
        return;
      }
      download(await res.blob(), snapshotFileName(new Date()));
    } catch {
      this.deps.toast.show(t('live.snapshot.noAnswer'));
    } finally {
      this.ui.snapshot.disabled = false;
    }
  }

  private isFullscreen(): boolean {
    return document.fullscreenElement === this.ui.frame || this.ui.frame.classList.contains('immersive');
  }

  private toggleFullscreen(): void {
    const frame = this.ui.frame;
    if (document.fullscreenElement) {
      void document.exitFullscreen();
    } else if (frame.classList.contains('immersive')) {
      frame.classList.remove('immersive');
    } else if (document.fullscreenEnabled && frame.requestFullscreen) {
      frame.requestFullscreen().catch(() => frame.classList.add('immersive'));
    } else {
      frame.classList.add('immersive');
    }
    window.setTimeout(() => renderFullscreen(this.ui, this.isFullscreen()), 50);
  }
}

/** `privacy is held by the switch` -> `Privacy is held by the switch.` */
export function sentence(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1) + (/[.!?]$/.test(s) ? '' : '.');
}

/** The video's current picture as a JPEG, or undefined before it shows one. */
function videoFrameJpeg(video: HTMLVideoElement): Promise<Blob | undefined> {
  if (video.readyState < 2 || video.videoWidth === 0) return Promise.resolve(undefined);
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext('2d')?.drawImage(video, 0, 0);
  return new Promise((resolve) => canvas.toBlob((blob) => resolve(blob ?? undefined), 'image/jpeg', 0.92));
}

/** Saves a blob under a file name, through a temporary <a download>. */
export function download(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 30_000);
}
