// Fakes for the page's connections under Node: a fetch that records every request and answers as
// the test says, WebSockets the test opens, messages and closes, and a helper that lets pending
// promises run between fake-timer ticks.

import { setImmediate as turn } from 'node:timers/promises';
import type { OpenSocket, Socket, SocketHandlers, Timers } from '../../src/web/client/net.js';

export interface FetchCall {
  url: string;
  init: RequestInit | undefined;
}

type Answer = (call: FetchCall) => Response | Promise<Response>;

/** fetch() that records calls and answers with the next queued answer, or `fallback`. */
export class FakeFetch {
  readonly calls: FetchCall[] = [];
  private readonly queue: Answer[] = [];

  constructor(private fallback: Answer = () => Promise.reject(new TypeError('Failed to fetch'))) {}

  /** Answers the next request (in order) this way. */
  next(answer: Answer): this {
    this.queue.push(answer);
    return this;
  }

  /** Answers every request without a queued answer this way. */
  otherwise(answer: Answer): this {
    this.fallback = answer;
    return this;
  }

  readonly fetch = (url: string, init?: RequestInit): Promise<Response> => {
    const call = { url, init };
    this.calls.push(call);
    // As a browser on a page opened as http://user:pass@device/: a relative URL would inherit the
    // credentials, and fetch() refuses a URL with credentials.
    const parsed = URL.canParse(url) ? new URL(url) : undefined;
    if (!parsed || parsed.username || parsed.password) {
      return Promise.reject(new TypeError(`Request cannot be constructed from a URL that includes credentials: ${url}`));
    }
    if (init?.signal?.aborted) return Promise.reject(new DOMException('aborted', 'AbortError'));
    const answer = this.queue.shift() ?? this.fallback;
    try {
      return Promise.resolve(answer(call));
    } catch (err) {
      return Promise.reject(err);
    }
  };

  urls(): string[] {
    return this.calls.map((c) => c.url);
  }
}

export const refused: Answer = () => Promise.reject(new TypeError('Failed to fetch'));

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

/** A streamed response body the test writes to; aborting the request's signal errors it, as in a browser. */
export class StreamedBody {
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  readonly stream: ReadableStream<Uint8Array>;
  closed = false;

  constructor() {
    this.stream = new ReadableStream<Uint8Array>({ start: (c) => void (this.controller = c) });
  }

  /** The fetch answer: this body with the headers given, erroring when the request is aborted. */
  answer(headers: Record<string, string>): Answer {
    return ({ init }) => {
      init?.signal?.addEventListener('abort', () => this.fail(new DOMException('aborted', 'AbortError')));
      return new Response(this.stream, { headers });
    };
  }

  push(bytes: Uint8Array): void {
    if (!this.closed) this.controller.enqueue(bytes);
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.controller.close();
  }

  fail(err: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.controller.error(err);
  }
}

export class FakeSocket implements Socket {
  closed = false;
  constructor(
    readonly url: string,
    private readonly handlers: SocketHandlers,
  ) {}

  open(): void {
    this.handlers.open();
  }

  send(data: unknown): void {
    this.handlers.message(data);
  }

  /** The server or the network closes it. */
  drop(): void {
    this.handlers.close();
  }

  close(): void {
    this.closed = true;
  }
}

/** OpenSocket that records every socket; `refuse` makes the next opens throw like a bad URL. */
export class FakeSockets {
  readonly opened: FakeSocket[] = [];
  refuse = false;

  readonly open: OpenSocket = (url, handlers) => {
    if (this.refuse) throw new SyntaxError(`cannot open ${url}`);
    const socket = new FakeSocket(url, handlers);
    this.opened.push(socket);
    return socket;
  };

  get last(): FakeSocket {
    const socket = this.opened.at(-1);
    if (!socket) throw new Error('no socket opened');
    return socket;
  }
}

/** The global (mock.timers-controlled) setTimeout behind the page's Timers. */
export const globalTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout> | undefined),
};

/** Lets promise chains (fetch answers, body reads) run; setImmediate is not among the mocked timers. */
export async function settle(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await turn();
}
