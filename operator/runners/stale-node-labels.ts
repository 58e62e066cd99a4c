import type { EdgeRegistry } from '../coordination/edge-registry.js';
import type { Clock } from '../ports/clock.js';
import type { JobStore } from '../ports/job-store.js';
import { periodicRunner, type Runner } from './periodic.js';

/** Offline agents do not heartbeat: keeps their labels current from their Node objects. */
export function staleNodeLabelsRunner(input: {
  registry: EdgeRegistry;
  jobs: JobStore;
  clock: Clock;
  intervalSeconds: number;
}): Runner {
  return periodicRunner(input.intervalSeconds, () => {
    for (const node of input.registry.staleNodes(input.clock.now().getTime()))
      void input.jobs
        .getNodeLabels(node)
        .then((labels) => labels && input.registry.setNodeLabels(node, labels))
        .catch(() => undefined);
  });
}
