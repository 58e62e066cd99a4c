import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { metricPrefix } from '../lib/http/metric-names.js';

const PREFIX = metricPrefix('operator');

/** What the operator's gauges count, read when Prometheus scrapes. */
export interface OperatorGaugeSources {
  /** The phase of each job. */
  jobPhases(): Iterable<string>;
  agentsByState(): { online: number; stale: number };
}

/** The operator's Prometheus metrics, on a registry of its own (two operators may share a process in tests). */
export class OperatorMetrics {
  readonly registry = new Registry();
  /** Where the job and agent gauges are read from when scraped; unset until the operator runs. */
  private gaugeSources: OperatorGaugeSources | null = null;
  readonly reconciles = new Counter({
    name: `${PREFIX}reconciles_total`,
    help: 'Reconciles by result',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly reconcileSeconds = new Histogram({
    name: `${PREFIX}reconcile_duration_seconds`,
    help: 'Reconcile latency',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: `${PREFIX}errors_total`,
    help: 'Errors by source',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly jobsByPhase = new Gauge({
    name: `${PREFIX}jobs`,
    help: 'Jobs by phase',
    labelNames: ['phase'] as const,
    registers: [this.registry],
    collect: () => {
      if (!this.gaugeSources) return;
      this.jobsByPhase.reset();
      for (const phase of this.gaugeSources.jobPhases()) this.jobsByPhase.inc({ phase });
    },
  });
  readonly agentsByState = new Gauge({
    name: `${PREFIX}agents`,
    help: 'Edge agents by state',
    labelNames: ['state'] as const,
    registers: [this.registry],
    collect: () => {
      if (!this.gaugeSources) return;
      const agents = this.gaugeSources.agentsByState();
      this.agentsByState.set({ state: 'Online' }, agents.online);
      this.agentsByState.set({ state: 'Stale' }, agents.stale);
    },
  });
  readonly heartbeatSeconds = new Histogram({
    name: `${PREFIX}heartbeat_duration_seconds`,
    help: 'Heartbeat handling latency',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1],
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: `${PREFIX}leader`,
    help: '1 while this instance leads',
    registers: [this.registry],
  });

  /** Computes the job and agent gauges from these at each scrape. */
  readGaugesFrom(sources: OperatorGaugeSources): void {
    this.gaugeSources = sources;
  }

  constructor(defaults = true) {
    if (defaults) collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
  }
}
