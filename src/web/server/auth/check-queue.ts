// Password checks waiting for one of the few scrypt slots, shared fairly between client addresses, so a
// flood cannot keep a legitimate login waiting behind it. The rules: docs/security.md#password-checks-under-a-flood.
// No timers or I/O: the checks are functions returning promises.

export interface CheckQueueOptions {
  maxRunning: number;
  maxWaiting: number;
  maxPerClient: number;
}

interface Job<T> {
  client: string;
  /** Order of arrival. */
  seq: number;
  run: () => Promise<T>;
  /** The answer when the job is pushed out of the queue to make room. */
  dropped: () => T;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
}

interface ClientState {
  /** Checks running or waiting. */
  pending: number;
  /** When the client's latest check started (a sequence number); -1 for never. */
  lastStart: number;
}

export class CheckQueue<T> {
  private running = 0;
  private readonly waiting: Job<T>[] = [];
  private readonly clients = new Map<string, ClientState>();
  private seq = 0;

  /** `urgent(client)`: the client has no failures on record, so it goes first. */
  constructor(
    private readonly options: CheckQueueOptions,
    private readonly urgent: (client: string) => boolean,
  ) {}

  get runningCount(): number {
    return this.running;
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

  /**
   * Runs `run` now or when its turn comes; undefined when refused (the client has its share under way,
   * or the queue is full). A job started at once has started by the time this returns.
   */
  submit(client: string, run: () => Promise<T>, dropped: () => T): Promise<T> | undefined {
    const { maxRunning, maxWaiting, maxPerClient } = this.options;
    const known = this.clients.get(client);
    if (known && known.pending >= maxPerClient) return undefined;
    if (this.running >= maxRunning && this.waiting.length >= maxWaiting && !this.makeRoomFor(client)) return undefined;
    const state = known ?? { pending: 0, lastStart: -1 };
    state.pending++;
    this.clients.set(client, state);
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ client, seq: this.seq++, run, dropped, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.options.maxRunning && this.waiting.length > 0) {
      let best = 0;
      let bestRank = this.rank(this.waiting[0]!);
      for (let i = 1; i < this.waiting.length; i++) {
        const rank = this.rank(this.waiting[i]!);
        if (before(rank, bestRank)) [best, bestRank] = [i, rank];
      }
      const [job] = this.waiting.splice(best, 1);
      this.start(job!);
    }
  }

  private start(job: Job<T>): void {
    this.running++;
    this.clients.get(job.client)!.lastStart = this.seq++;
    let result: Promise<T>;
    try {
      result = job.run();
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(job.resolve, job.reject).finally(() => {
      this.running--;
      this.release(job.client);
      this.pump();
    });
  }

  /** Pushes out the check that would run last among those of clients with failures, for an urgent client. */
  private makeRoomFor(client: string): boolean {
    if (!this.urgent(client)) return false;
    let worst = -1;
    let worstRank: Rank | undefined;
    this.waiting.forEach((job, i) => {
      const rank = this.rank(job);
      if (rank[0] === 1 && (!worstRank || before(worstRank, rank))) [worst, worstRank] = [i, rank];
    });
    if (worst < 0) return false;
    const [job] = this.waiting.splice(worst, 1);
    this.release(job!.client);
    job!.resolve(job!.dropped());
    return true;
  }

  private release(client: string): void {
    const state = this.clients.get(client);
    if (state && --state.pending <= 0) this.clients.delete(client);
  }

  private rank(job: Job<T>): Rank {
    return [this.urgent(job.client) ? 0 : 1, this.clients.get(job.client)?.lastStart ?? -1, job.seq];
  }
}

type Rank = [urgency: number, lastStart: number, seq: number];

function before(a: Rank, b: Rank): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}
