import { Counter, Registry } from 'prom-client';
import { metricPrefix } from '../lib/http/metric-names.js';

const PREFIX = metricPrefix('labeling');

/** The labeling service's Prometheus metrics, in their own registry. */
export class LabelingMetrics {
  readonly registry = new Registry();
  readonly saves = new Counter({
    name: `${PREFIX}saves_total`,
    help: 'Samples labeled, by method',
    labelNames: ['method'] as const,
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: `${PREFIX}rejected_total`,
    help: 'Label submissions rejected as invalid',
    registers: [this.registry],
  });
  readonly autoSkipped = new Counter({
    name: `${PREFIX}auto_skipped_total`,
    help: 'Samples auto mode could not label (no ground truth, no teacher boxes)',
    registers: [this.registry],
  });
}
