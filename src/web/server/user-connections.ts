// Every long-lived connection a logged-in user holds (streams, WebSockets), so that when the user's
// access ends (removed, password changed) they all close at once instead of running on. Each holder
// registers a close function and removes it when the connection ends by itself.

export class UserConnections {
  private readonly byUser = new Map<string, Set<() => void>>();

  /** Registers one connection of `user`; returns the function that forgets it. */
  add(user: string, close: () => void): () => void {
    let set = this.byUser.get(user);
    if (!set) this.byUser.set(user, (set = new Set()));
    set.add(close);
    return () => {
      set.delete(close);
      if (set.size === 0 && this.byUser.get(user) === set) this.byUser.delete(user);
    };
  }

  count(user: string): number {
    return this.byUser.get(user)?.size ?? 0;
  }

  /** Closes every connection of `user`; returns how many there were. A close that throws is skipped. */
  closeUser(user: string): number {
    const set = this.byUser.get(user);
    if (!set) return 0;
    this.byUser.delete(user);
    for (const close of [...set]) {
      try {
        close();
      } catch {
        // Already gone; its own handler has run or will.
      }
    }
    return set.size;
  }
}
