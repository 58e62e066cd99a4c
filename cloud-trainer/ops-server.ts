import Fastify, { type FastifyInstance } from 'fastify';
import { installErrorReplies } from '../lib/http/error-replies.js';
import { opsRoutes } from '../lib/http/ops-routes.js';
import type { TrainerMetrics } from './trainer-metrics.js';

export interface OpsServerOptions {
  metrics: TrainerMetrics;
  /** True while the worker is connected and accepting jobs. */
  ready: () => boolean;
}

/**
 * The trainer's small operations server: `/healthz` (the process lives), `/readyz` (the worker is
 * connected and not closing) and `/metrics` (prom-client text format).
 */
export function buildOpsServer(options: OpsServerOptions): FastifyInstance {
  const app = Fastify({ logger: false });
  installErrorReplies(app);
  void app.register(opsRoutes, { readiness: options.ready, registry: options.metrics.registry });
  return app;
}
