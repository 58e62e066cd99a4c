import type { EdgeRegistry } from '../coordination/edge-registry.js';
import type { Clock } from '../ports/clock.js';
import { periodicRunner, type Runner } from './periodic.js';

/** Forgets agents silent past the eviction age and reconciles their jobs (their status drops them). */
export function agentEvictionRunner(input: {
  registry: EdgeRegistry;
  clock: Clock;
  enqueue: (key: string) => void;
  intervalSeconds: number;
}): Runner {
  return periodicRunner(input.intervalSeconds, () => {
    for (const key of input.registry.evict(input.clock.now().getTime())) input.enqueue(key);
  });
}
