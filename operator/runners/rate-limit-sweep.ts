import type { NodeRateLimiter } from '../coordination/node-rate-limiter.js';
import type { Clock } from '../ports/clock.js';
import { periodicRunner, type Runner } from './periodic.js';

/** Drops the rate limiter's full buckets, so nodes that went quiet cost no memory. */
export function rateLimitSweepRunner(input: {
  rateLimiter: NodeRateLimiter;
  clock: Clock;
  intervalSeconds: number;
}): Runner {
  return periodicRunner(input.intervalSeconds, () => input.rateLimiter.sweep(input.clock.now().getTime()));
}
