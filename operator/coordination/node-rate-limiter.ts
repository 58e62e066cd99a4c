/**
 * A token bucket per node: `burst` calls at once, refilled at `perSecond`. Only authenticated nodes
 * get a bucket, and idle buckets are forgotten, so the map stays as small as the fleet.
 */
export class NodeRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {}

  /** Takes one token for `node`; false when the node is over its rate. */
  take(node: string, nowMs: number): boolean {
    const b = this.buckets.get(node) ?? { tokens: this.burst, at: nowMs };
    b.tokens = Math.min(this.burst, b.tokens + ((nowMs - b.at) / 1000) * this.perSecond);
    b.at = nowMs;
    this.buckets.set(node, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Drops buckets that have been full (idle) for a while. */
  sweep(nowMs: number): void {
    const refillMs = (this.burst / this.perSecond) * 1000;
    for (const [node, b] of this.buckets) if (nowMs - b.at > refillMs) this.buckets.delete(node);
  }
}
