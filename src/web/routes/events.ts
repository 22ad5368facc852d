import type { WebSocket } from 'uWebSockets.js';
import type { DeviceEvents } from '../../device/events.js';
import type { Logger } from '../../platform/log/logger.js';
import type { IntervalTimers } from '../../platform/clock.js';
import type { Request } from '../server/request.js';
import { problem } from '../server/response.js';
import { upgradeTo, type Reply, type Router, type Session } from '../server/router.js';
import type { UserConnections } from '../server/user-connections.js';

// GET /api/events: a WebSocket that pushes the /api/status document to every open page, at once on
// a change (privacy, camera state) and every couple of seconds for the numbers (fps, viewers,
// uptime). Every message is the whole document, so a page that missed one is whole again with the
// next, and a slow socket can simply be skipped.

export const EVENTS_PATH = '/api/events';

/** What the page receives; one shape, one renderer. */
export interface StatusMessage {
  type: 'status';
  status: unknown;
}

export interface EventHubOptions {
  /** Period of the stats message. */
  statsIntervalMs: number;
  /** Above this many unsent bytes a socket is skipped (it gets the newest state when it drains). */
  slowBytes: number;
  /** A socket that stays slow this long is closed; the page reconnects or polls. */
  slowCloseMs: number;
  maxClients: number;
}

export const DEFAULT_EVENT_HUB_OPTIONS: EventHubOptions = {
  statsIntervalMs: 2_000,
  // A status document is about 1 KB; 16 KB behind is a socket that is not reading.
  slowBytes: 16 * 1024,
  slowCloseMs: 30_000,
  maxClients: 32,
};

export interface EventHubDeps {
  /** The document of GET /api/status, built fresh. */
  status: () => unknown;
  logger: Logger;
  timers: IntervalTimers;
  /** Milliseconds from a monotonic clock. */
  now: () => number;
  /** Runs a function once the current synchronous work is done; coalesces bursts of changes. */
  defer?: (fn: () => void) => void;
  /** Where a logged-in user's socket is registered, so it closes when their access ends. */
  connections?: UserConnections;
}

export interface ClientData {
  id: number;
  remote: string;
  /** When the socket first had more than slowBytes queued, or null while it keeps up. */
  slowSince: number | null;
  /** A message was skipped: send the newest state once it drains. */
  missed: boolean;
  /** The logged-in user, or null (open viewing, no login). */
  user?: string | null;
  /** Forgets the socket in `connections` once it is closed. */
  forget?: () => void;
}

export type Delivery = 'send' | 'skip' | 'close';

/**
 * What to do with a message for one socket, given the bytes it has not sent yet. Updates the
 * client's slow bookkeeping. Pure: the clock is an argument.
 */
export function deliveryFor(client: ClientData, bufferedBytes: number, nowMs: number, options: EventHubOptions): Delivery {
  if (bufferedBytes <= options.slowBytes) {
    client.slowSince = null;
    client.missed = false;
    return 'send';
  }
  client.slowSince ??= nowMs;
  client.missed = true;
  return nowMs - client.slowSince >= options.slowCloseMs ? 'close' : 'skip';
}

/**
 * The /api/events hub. `route` registers the WebSocket on the app; publishStatus() pushes the current
 * status now; the stats timer runs only while someone listens.
 */
export class EventHub {
  private readonly clients = new Set<WebSocket<ClientData>>();
  private readonly options: EventHubOptions;
  private readonly defer: (fn: () => void) => void;
  private statsTimer: unknown;
  private running = false;
  private pending = false;
  private nextId = 1;

  constructor(
    private readonly deps: EventHubDeps,
    options: Partial<EventHubOptions> = {},
  ) {
    this.options = { ...DEFAULT_EVENT_HUB_OPTIONS, ...options };
    this.defer = deps.defer ?? queueMicrotask;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Registers GET /api/events on the router (give it to HttpServer's `routes`). */
  readonly route = (router: Router): void => {
    router.ws<ClientData>(
      EVENTS_PATH,
      {
        // The page sends nothing; anything big is not our page.
        maxPayloadLength: 512,
        // uWebSockets.js pings within this and closes a socket that does not answer: a phone that
        // left the Wi-Fi without closing is gone within about 16 s (measured: 14 s).
        idleTimeout: 16,
        sendPingsAutomatically: true,
        maxBackpressure: 64 * 1024,
        open: (ws) => this.open(ws),
        drain: (ws) => {
          const client = ws.getUserData();
          if (client.missed && ws.getBufferedAmount() <= this.options.slowBytes) this.sendTo(ws, this.message());
        },
        close: (ws, code) => this.close(ws, code),
      },
      (req, session) => this.upgrade(req, session),
      { viewing: true },
    );
  };

  start(): void {
    this.running = true;
  }

  /** Closes every socket (1001 going away, so pages reconnect at once) and the timer. Safe twice. */
  stop(): void {
    this.running = false;
    this.stopStats();
    for (const ws of [...this.clients]) {
      try {
        ws.end(1001, 'picamd is stopping');
      } catch {
        // Already closed by the app; its close handler has run or will.
      }
    }
    this.clients.clear();
  }

  /**
   * Something changed (privacy, camera state): every page gets the new status. Calls within one
   * turn of the event loop send one message, built after the last of them.
   */
  /** Pushes the status whenever the camera, privacy or the settings change. */
  follow(events: DeviceEvents): () => void {
    const offs = [
      events.on('camera', () => this.publishStatus()),
      events.on('privacy', () => this.publishStatus()),
      events.on('settings', () => this.publishStatus()),
    ];
    return () => offs.forEach((off) => off());
  }

  publishStatus(): void {
    if (this.pending || this.clients.size === 0) return;
    this.pending = true;
    this.defer(() => {
      this.pending = false;
      this.broadcast();
    });
  }

  private message(): string {
    const message: StatusMessage = { type: 'status', status: this.deps.status() };
    return JSON.stringify(message);
  }

  private broadcast(): void {
    if (this.clients.size === 0) return;
    const text = this.message();
    for (const ws of [...this.clients]) this.sendTo(ws, text);
  }

  private sendTo(ws: WebSocket<ClientData>, text: string): void {
    const client = ws.getUserData();
    switch (deliveryFor(client, ws.getBufferedAmount(), this.deps.now(), this.options)) {
      case 'send':
        ws.cork(() => ws.send(text, false));
        break;
      case 'skip':
        break;
      case 'close':
        this.deps.logger.info(`events: closing client ${client.id} (${client.remote}): ` +
          `${ws.getBufferedAmount()} bytes unsent for ${Math.round(this.options.slowCloseMs / 1000)} s`);
        ws.end(1008, 'too slow');
        break;
    }
  }

  private upgrade(req: Request, session?: Session): Reply {
    // Upgrades from another site were already refused by the router's origin check, which every
    // WebSocket passes.
    if (!this.running || this.clients.size >= this.options.maxClients) {
      return problem(503, 'too-many-clients', 'Too many pages are open; this one falls back to polling /api/status.', {
        'Retry-After': '10',
      });
    }
    const data: ClientData = { id: this.nextId++, remote: req.remote, slowSince: null, missed: false, user: session?.user ?? null };
    return { takeover: (connection) => upgradeTo(connection, req, data) };
  }

  private open(ws: WebSocket<ClientData>): void {
    this.clients.add(ws);
    const client = ws.getUserData();
    if (client.user && this.deps.connections) {
      // 4401: an application-defined code (RFC 6455 7.4.2); the page reconnects and logs in again.
      client.forget = this.deps.connections.add(client.user, () => ws.end(4401, 'access ended'));
    }
    this.deps.logger.debug(`events: client ${client.id} (${client.remote}) connected; ${this.clients.size} listening`);
    // The page renders at once instead of after the first stats tick.
    this.sendTo(ws, this.message());
    if (this.statsTimer === undefined) {
      this.statsTimer = this.deps.timers.setInterval(() => this.broadcast(), this.options.statsIntervalMs);
    }
  }

  private close(ws: WebSocket<ClientData>, code: number): void {
    if (!this.clients.delete(ws)) return;
    const client = ws.getUserData();
    client.forget?.();
    this.deps.logger.debug(`events: client ${client.id} (${client.remote}) left (code ${code}); ${this.clients.size} listening`);
    if (this.clients.size === 0) this.stopStats();
  }

  private stopStats(): void {
    if (this.statsTimer === undefined) return;
    this.deps.timers.clearInterval(this.statsTimer);
    this.statsTimer = undefined;
  }
}
