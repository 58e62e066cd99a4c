import Fastify, { type FastifyInstance } from 'fastify';
import { installErrorReplies } from '../lib/http/error-replies.js';
import { opsRoutes } from '../lib/http/ops-routes.js';
import { coordinationRoutes, type CoordinationDeps } from './coordination/coordination-routes.js';
import type { OperatorMetrics } from './metrics.js';

export interface HttpServerDeps {
  coordination: CoordinationDeps;
  metrics: OperatorMetrics;
  /** Ready = leading and the job cache has been listed. */
  ready: () => boolean;
  requestTimeoutMs?: number;
  /** PEM certificate chain and key: the API serves HTTPS only. */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

/**
 * The operator's one HTTP server: the coordination API plus `/healthz`, `/readyz` and `/metrics`.
 * A standby is alive but not ready, so a Service routes agents to the leader only.
 */
export async function buildHttpServer(deps: HttpServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.tls
      ? { https: { cert: deps.tls.cert, key: deps.tls.key, minVersion: 'TLSv1.2' as const } }
      : {}),
    logger: false,
    requestTimeout: deps.requestTimeoutMs ?? 30_000,
    bodyLimit: 1 << 20,
    return503OnClosing: true,
  });
  installErrorReplies(app);
  await app.register(opsRoutes, { readiness: deps.ready, registry: deps.metrics.registry });
  await app.register(coordinationRoutes, deps.coordination);
  return app;
}
