import { describe, expect, it } from '@jest/globals';
import { Type } from '@sinclair/typebox';
import Fastify from 'fastify';
import { Counter, Registry } from 'prom-client';
import { opsRoutes, type Readiness } from '../../../lib/http/ops-routes.js';

describe('ops routes', () => {
  it('serves /healthz, a boolean /readyz and the registry at /metrics', async () => {
    const registry = new Registry();
    new Counter({ name: 'ops_routes_test_total', help: 'test', registers: [registry] }).inc(3);
    let ready = false;
    const app = Fastify();
    await app.register(opsRoutes, { readiness: () => ready, registry });
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const notReady = await app.inject({ url: '/readyz' });
    expect([notReady.statusCode, notReady.json()]).toEqual([503, { status: 'not ready' }]);
    ready = true;
    const isReady = await app.inject({ url: '/readyz' });
    expect([isReady.statusCode, isReady.json()]).toEqual([200, { status: 'ready' }]);
    const metrics = await app.inject({ url: '/metrics' });
    expect(metrics.headers['content-type']).toBe(registry.contentType);
    expect(metrics.body).toContain('ops_routes_test_total 3');
    await app.close();
  });

  it('sends a service its own readiness body, shaped by its schema', async () => {
    let answer: Readiness = { ready: false, body: { status: 'closing', secret: 'x', jobs: [1] } };
    const app = Fastify();
    await app.register(opsRoutes, {
      readiness: async () => answer,
      registry: new Registry(),
      readyReply: Type.Object({ status: Type.String(), jobs: Type.Array(Type.Number()) }),
    });
    const closing = await app.inject({ url: '/readyz' });
    expect([closing.statusCode, closing.json()]).toEqual([503, { status: 'closing', jobs: [1] }]);
    answer = { ready: true, body: { status: 'ready', jobs: [] } };
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
    await app.close();
  });
});
