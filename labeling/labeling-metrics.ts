import { Counter, Registry } from 'prom-client';

/** The labeling service's Prometheus metrics, in their own registry. */
export class LabelingMetrics {
  readonly registry = new Registry();
  readonly saves = new Counter({
    name: 'edge_stl_labeling_saves_total',
    help: 'Samples labeled, by method',
    labelNames: ['method'] as const,
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: 'edge_stl_labeling_rejected_total',
    help: 'Label submissions rejected as invalid',
    registers: [this.registry],
  });
  readonly autoSkipped = new Counter({
    name: 'edge_stl_labeling_auto_skipped_total',
    help: 'Samples auto mode could not label (no ground truth, no teacher boxes)',
    registers: [this.registry],
  });
}
