import { createHash, randomBytes } from 'node:crypto';

// Browser sessions: after one successful Basic login on the page, the browser gets a random token in
// an HttpOnly cookie and uses it for the stream, the API and the WebSocket. Sessions live in memory
// only; a restart logs everyone out, and the browser logs in again with its saved Basic credentials.

export interface SessionOptions {
  /** A session unused this long is gone. */
  idleMs: number;
  /** A session is gone this long after its login, used or not. */
  lifetimeMs: number;
  /** The oldest session makes room for a new one beyond this. */
  maxSessions: number;
}

export const DEFAULT_SESSION_OPTIONS: SessionOptions = {
  idleMs: 12 * 3600_000,
  lifetimeMs: 7 * 24 * 3600_000,
  maxSessions: 64,
};

interface Session {
  user: string;
  createdAt: number;
  usedAt: number;
}

/**
 * Tokens are 32 random bytes. The map is keyed by the token's SHA-256, so a lookup's timing says
 * nothing about stored tokens, and a memory dump holds no usable cookie.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly options: SessionOptions;

  constructor(
    options: Partial<SessionOptions> = {},
    private readonly random: (bytes: number) => Buffer = randomBytes,
  ) {
    this.options = { ...DEFAULT_SESSION_OPTIONS, ...options };
  }

  get size(): number {
    return this.sessions.size;
  }

  /** A new session for `user`; returns the token for the cookie. */
  create(user: string, nowMs: number): string {
    this.prune(nowMs);
    while (this.sessions.size >= this.options.maxSessions) {
      // Map order is least recently used first (lookup re-inserts).
      this.sessions.delete(this.sessions.keys().next().value!);
    }
    const token = this.random(32).toString('base64url');
    this.sessions.set(digest(token), { user, createdAt: nowMs, usedAt: nowMs });
    return token;
  }

  /** The user of a live session, or undefined. Marks the session used. */
  lookup(token: string, nowMs: number): string | undefined {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    const key = digest(token);
    const session = this.sessions.get(key);
    if (!session) return undefined;
    this.sessions.delete(key);
    if (this.expired(session, nowMs)) return undefined;
    session.usedAt = nowMs;
    this.sessions.set(key, session);
    return session.user;
  }

  /** Ends the session of `token` (logging out); returns whether there was one. */
  end(token: string): boolean {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return false;
    return this.sessions.delete(digest(token));
  }

  /** Ends every session of `user` (removed, or their password changed); returns how many. */
  endUser(user: string): number {
    let ended = 0;
    for (const [key, session] of this.sessions) {
      if (session.user !== user) continue;
      this.sessions.delete(key);
      ended++;
    }
    return ended;
  }

  private expired(session: Session, nowMs: number): boolean {
    return nowMs - session.usedAt > this.options.idleMs || nowMs - session.createdAt > this.options.lifetimeMs;
  }

  private prune(nowMs: number): void {
    for (const [key, session] of this.sessions) if (this.expired(session, nowMs)) this.sessions.delete(key);
  }
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
