import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Registry } from 'prom-client';

/** What `/readyz` answers: 200 when ready, else 503, with the service's own body. */
export interface Readiness {
  ready: boolean;
  body: Record<string, unknown>;
}

export interface OpsRoutesOptions {
  /** true/false answer `{ status: 'ready' }` / 503 `{ status: 'not ready' }`; a Readiness its own body. */
  readiness: () => boolean | Readiness | Promise<boolean | Readiness>;
  registry: Registry;
  /** Schema of the `/readyz` body (fields it lacks are not sent); default `{ status, reason? }`. */
  readyReply?: TSchema;
}

const Health = Type.Object({ status: Type.String() });
const DefaultReady = Type.Object({ status: Type.String(), reason: Type.Optional(Type.String()) });

/**
 * The operations endpoints every service serves: `/healthz` (the process lives), `/readyz` (send
 * it traffic) and `/metrics` (the prom-client registry in the text format).
 */
async function opsRoutesPlugin(app: FastifyInstance, options: OpsRoutesOptions): Promise<void> {
  const readyReply = options.readyReply ?? DefaultReady;
  app.get('/healthz', { schema: { response: { 200: Health } } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { response: { 200: readyReply, 503: readyReply } } }, async (_req, reply) => {
    const answer = await options.readiness();
    const { ready, body } =
      typeof answer === 'boolean'
        ? { ready: answer, body: { status: answer ? 'ready' : 'not ready' } }
        : answer;
    return reply.code(ready ? 200 : 503).send(body);
  });
  app.get('/metrics', async (_req, reply) =>
    reply.type(options.registry.contentType).send(await options.registry.metrics()),
  );
}

export const opsRoutes = fp(opsRoutesPlugin, { name: 'edge-stl-ops-routes', fastify: '5.x' });
