import Fastify, { type FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TrainerMetrics } from './trainer-metrics.js';

export interface OpsServerOptions {
  metrics: TrainerMetrics;
  /** True while the worker is connected and accepting jobs. */
  ready: () => boolean;
}

const Health = Type.Object({ status: Type.String() });

/**
 * The trainer's small operations server: `/healthz` (the process lives), `/readyz` (the worker is
 * connected and not closing) and `/metrics` (prom-client text format).
 */
export function buildOpsServer(options: OpsServerOptions): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/healthz', { schema: { response: { 200: Health } } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { response: { 200: Health, 503: Health } } }, async (_req, reply) => {
    if (options.ready()) return { status: 'ready' };
    return reply.code(503).send({ status: 'not ready' });
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', options.metrics.registry.contentType);
    return options.metrics.render();
  });
  return app;
}
