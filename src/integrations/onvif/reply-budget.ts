// How many discovery answers picamd sends: a token bucket for all senders together and a smaller one
// per sender address, so a flood of Probes (spoofed or not) costs a bounded number of small replies
// and WS-Discovery cannot be used as an amplifier. Pure: the clock is an argument.

export interface ReplyBudgetOptions {
  /** Replies a second, in all; and the burst above that. */
  perSecond: number;
  burst: number;
  /** Replies a second to one address, and its burst. */
  perSenderPerSecond: number;
  senderBurst: number;
  /** Senders remembered at most (the stalest forgotten first). */
  maxSenders: number;
}

export const DEFAULT_REPLY_BUDGET: ReplyBudgetOptions = { perSecond: 20, burst: 40, perSenderPerSecond: 2, senderBurst: 5, maxSenders: 256 };

interface Bucket {
  tokens: number;
  at: number;
}

export class ReplyBudget {
  private readonly all: Bucket;
  private readonly senders = new Map<string, Bucket>();
  private readonly options: ReplyBudgetOptions;

  constructor(options: Partial<ReplyBudgetOptions> = {}, nowMs = 0) {
    this.options = { ...DEFAULT_REPLY_BUDGET, ...options };
    this.all = { tokens: this.options.burst, at: nowMs };
  }

  /** Whether a reply to `sender` may go now; takes a token from both buckets when it may. */
  take(sender: string, nowMs: number): boolean {
    const { perSecond, burst, perSenderPerSecond, senderBurst, maxSenders } = this.options;
    refill(this.all, nowMs, perSecond, burst);
    const own = this.senders.get(sender) ?? { tokens: senderBurst, at: nowMs };
    refill(own, nowMs, perSenderPerSecond, senderBurst);
    this.senders.delete(sender);
    this.senders.set(sender, own);
    while (this.senders.size > maxSenders) this.senders.delete(this.senders.keys().next().value!);
    if (this.all.tokens < 1 || own.tokens < 1) return false;
    this.all.tokens--;
    own.tokens--;
    return true;
  }
}

function refill(bucket: Bucket, nowMs: number, perSecond: number, burst: number): void {
  const elapsed = Math.max(0, nowMs - bucket.at);
  bucket.tokens = Math.min(burst, bucket.tokens + (elapsed / 1000) * perSecond);
  bucket.at = nowMs;
}
