/**
 * The delay ceiling after `failures` earlier failures: `baseMs` doubled per failure, at most
 * `maxMs`. Without jitter it is the delay itself (the operator's per-key work-queue backoff).
 */
export function exponentialDelay(baseMs: number, maxMs: number, failures: number): number {
  // 2 ** 30 already exceeds any sane cap; clamping keeps huge failure counts finite.
  return Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(failures, 0), 30));
}

/** Exponential backoff with "equal jitter": spreads the retries of many agents, never retries at once. */
export interface BackoffOptions {
  /** First delay ceiling, ms. */
  baseMs: number;
  /** Largest delay ceiling, ms. */
  maxMs: number;
  /** Random source in [0, 1); injectable for tests. */
  random?: () => number;
}

/** Tracks consecutive failures and yields the next delay. */
export class Backoff {
  private failures = 0;
  private readonly random: () => number;

  constructor(private readonly options: BackoffOptions) {
    this.random = options.random ?? Math.random;
  }

  /** Delay before the next attempt after one more failure: uniform in [ceiling/2, ceiling]. */
  next(): number {
    const ceiling = exponentialDelay(this.options.baseMs, this.options.maxMs, this.failures);
    this.failures += 1;
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  reset(): void {
    this.failures = 0;
  }

  get attempts(): number {
    return this.failures;
  }
}
