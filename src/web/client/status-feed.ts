// The device's status: the /api/events WebSocket pushes it; while the socket is down the page polls
// /api/status every 2 s and reopens the socket with backoff (at once when a poll gets an answer).

import { httpUrl, socketUrl, type Fetch, type OpenSocket, type PageLocation, type Socket, type Timers } from './net.js';
import { backoffMs, isDeviceStatus, type DeviceStatus } from './view.js';

export type Link = 'connecting' | 'live' | 'polling' | 'offline';

export const POLL_MS = 2_000;
/** A poll that has not answered after this long counts as failed. */
export const POLL_TIMEOUT_MS = 4_000;
/** The device sends stats every 2 s; this long without a message is a dead connection. */
export const SILENCE_MS = 7_000;

export interface StatusFeedDeps {
  location: PageLocation;
  fetch: Fetch;
  openSocket: OpenSocket;
  timers: Timers;
  random: () => number;
  onStatus: (status: DeviceStatus) => void;
  onLink: (link: Link) => void;
  /** The device wants a login again (its session ended: logged out elsewhere, or a restart). */
  onLoginRequired?: () => void;
}

export class StatusFeed {
  link: Link = 'connecting';
  private socket: Socket | undefined;
  private attempt = 0;
  private retryTimer: unknown;
  private silenceTimer: unknown;
  private pollTimer: unknown;
  private polling = false;

  constructor(private readonly deps: StatusFeedDeps) {}

  start(): void {
    this.open();
  }

  /** Try the WebSocket now (the network is back) instead of waiting out the backoff. */
  retryNow(): void {
    if (this.socket) return;
    this.deps.timers.clearTimeout(this.retryTimer);
    this.open();
  }

  private setLink(link: Link): void {
    if (link === this.link) return;
    this.link = link;
    this.deps.onLink(link);
  }

  private open(): void {
    this.retryTimer = undefined;
    let socket: Socket | undefined;
    const handlers = {
      open: () => {
        this.attempt = 0;
        this.stopPolling();
        this.setLink('live');
        this.armSilence();
      },
      message: (data: unknown) => {
        this.armSilence();
        let message: unknown;
        try {
          message = JSON.parse(String(data));
        } catch {
          return;
        }
        const m = message as { type?: unknown; status?: unknown } | null;
        if (m?.type === 'status' && isDeviceStatus(m.status)) this.deps.onStatus(m.status);
      },
      close: () => {
        if (socket && this.socket === socket) this.drop();
      },
    };
    try {
      socket = this.deps.openSocket(socketUrl(this.deps.location, '/api/events'), handlers);
    } catch {
      this.lost();
      return;
    }
    this.socket = socket;
  }

  private armSilence(): void {
    this.deps.timers.clearTimeout(this.silenceTimer);
    this.silenceTimer = this.deps.timers.setTimeout(() => this.drop(), SILENCE_MS);
  }

  /** Gives up on the socket at once: a close handshake with a vanished device can take minutes. */
  private drop(): void {
    const socket = this.socket;
    this.socket = undefined;
    this.deps.timers.clearTimeout(this.silenceTimer);
    socket?.close();
    this.lost();
  }

  private lost(): void {
    if (this.link === 'live' || this.link === 'connecting') this.setLink('polling');
    this.startPolling();
    this.deps.timers.clearTimeout(this.retryTimer);
    this.retryTimer = this.deps.timers.setTimeout(() => this.open(), backoffMs(this.attempt++, this.deps.random()));
  }

  private startPolling(): void {
    if (this.polling) return;
    this.polling = true;
    void this.poll();
  }

  private stopPolling(): void {
    this.polling = false;
    this.deps.timers.clearTimeout(this.pollTimer);
  }

  private async poll(): Promise<void> {
    if (!this.polling) return;
    const { timers } = this.deps;
    const controller = new AbortController();
    const timeout = timers.setTimeout(() => controller.abort(), POLL_TIMEOUT_MS);
    try {
      const res = await this.deps.fetch(httpUrl(this.deps.location, '/api/status'), { cache: 'no-store', signal: controller.signal });
      const status: unknown = await res.json();
      if (!this.polling) return;
      if (res.status === 401) this.deps.onLoginRequired?.();
      if (res.ok && isDeviceStatus(status)) {
        this.deps.onStatus(status);
        this.setLink('polling');
        // The device is back: the WebSocket need not wait for its backoff.
        if (!this.socket) this.retryNow();
      }
    } catch {
      if (this.polling) this.setLink('offline');
    } finally {
      timers.clearTimeout(timeout);
    }
    if (this.polling) this.pollTimer = timers.setTimeout(() => void this.poll(), POLL_MS);
  }
}
