/** Restart delays: initialMs doubling with each consecutive failure, capped at maxMs. */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** A run that streamed at least this long was healthy: the next failure starts from initialMs again. */
  resetAfterMs: number;
}

export interface RestartPlan {
  delayMs: number;
  /** Consecutive failures including this one. */
  failures: number;
}

/**
 * What to do after the camera process ended unasked: `failures` counts the failures before this
 * one, `streamedMs` how long this run delivered frames.
 */
export function planRestart(policy: BackoffPolicy, failures: number, streamedMs: number): RestartPlan {
  const previous = streamedMs >= policy.resetAfterMs ? 0 : failures;
  // 2 ** 30 is far past any maxMs; capping the exponent keeps the arithmetic finite.
  const delayMs = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(previous, 30));
  return { delayMs, failures: previous + 1 };
}
