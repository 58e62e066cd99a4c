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
    const ceiling = Math.min(this.options.maxMs, this.options.baseMs * 2 ** Math.min(this.failures, 30));
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
