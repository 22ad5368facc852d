// How the page reaches the device: request URLs, timers and the WebSocket, passed into the
// connections so that they run under Node with fakes as well as in the browser.

/**
 * The parts of `location` a request URL is built from. Never `href`: a page opened as
 * http://user:pass@device/ carries the credentials there, and Chromium and Firefox refuse a fetch()
 * of a URL with credentials ("Request cannot be constructed from a URL that includes credentials"),
 * which a relative URL inherits from the page (https://fetch.spec.whatwg.org/#dom-request step 5.4).
 * The login still applies: the page load got a session cookie, which every request sends.
 */
export interface PageLocation {
  protocol: string;
  host: string;
}

/** `http://device:8080/api/status` for `/api/status`: never with user:pass@. */
export function httpUrl(location: PageLocation, path: string): string {
  return `${location.protocol === 'https:' ? 'https:' : 'http:'}//${location.host}${path}`;
}

/** `ws://device:8080/api/events` (`wss:` when the page came over HTTPS). */
export function socketUrl(location: PageLocation, path: string): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${path}`;
}

export type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

/** window.setTimeout and clearTimeout, or node:test's mocked ones. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface SocketHandlers {
  open(): void;
  message(data: unknown): void;
  close(): void;
}

/** An open WebSocket, reduced to what the page does with it. */
export interface Socket {
  /** Closes without calling the handlers again. */
  close(): void;
}

export type OpenSocket = (url: string, handlers: SocketHandlers) => Socket;

/** The browser's WebSocket behind OpenSocket. Throws like the constructor for a bad URL. */
export function openWebSocket(url: string, handlers: SocketHandlers): Socket {
  const ws = new WebSocket(url);
  ws.onopen = () => handlers.open();
  ws.onmessage = (event) => handlers.message(event.data);
  ws.onclose = () => handlers.close();
  return {
    close() {
      ws.onopen = ws.onmessage = ws.onclose = null;
      ws.close();
    },
  };
}

export const browserTimers: Timers = {
  setTimeout: (fn, ms) => window.setTimeout(fn, ms),
  clearTimeout: (handle) => window.clearTimeout(handle as number | undefined),
};
