import Fastify, { type FastifyInstance } from 'fastify';
import { heartbeatPath } from '../../lib/protocol/heartbeat.js';
import {
  coordinationRoutes,
  type CoordinationDeps,
} from '../../operator/coordination/coordination-routes.js';
import type { ModelUrls } from '../../operator/coordination/desired-state.js';
import { EdgeRegistry } from '../../operator/coordination/edge-registry.js';
import { NodeRateLimiter } from '../../operator/coordination/node-rate-limiter.js';
import type { SampleUrls } from '../../operator/coordination/sample-urls.js';
import { TokenVerifier, mintNodeToken } from '../../operator/coordination/tokens.js';
import { OperatorMetrics } from '../../operator/metrics.js';
import type { JobStore } from '../../operator/ports/job-store.js';

const KEY = 'node-labels-test-key-0123456789';

/** Node lookups answered by hand: each call waits until the test settles it. */
class PendingLookups {
  readonly calls: Array<(labels: Record<string, string> | null) => void> = [];
  get = (): Promise<Record<string, string> | null> => new Promise((resolve) => this.calls.push(resolve));
}

/** A heartbeat never waits for the API server to look up the Node of a node it already knows. */
describe('coordination API: Node labels off the heartbeat path', () => {
  let app: FastifyInstance;
  let lookups: PendingLookups;
  let registry: EdgeRegistry;

  beforeEach(async () => {
    lookups = new PendingLookups();
    registry = new EdgeRegistry({ staleAfterMs: 30_000 });
    const jobs = {
      list: () => [],
      synced: () => true,
      relisting: () => false,
      getNodeLabels: lookups.get,
    } as unknown as JobStore;
    const deps: CoordinationDeps = {
      jobs,
      registry,
      tokens: new TokenVerifier({ nodeKey: KEY }, jobs),
      urls: { resolve: async () => ({ model: null, until: 0 }) } as unknown as ModelUrls,
      samples: {} as SampleUrls,
      clock: { now: () => new Date() },
      metrics: new OperatorMetrics(),
      heartbeatIntervalSeconds: 10,
      rateLimiter: new NodeRateLimiter(100, 100),
      isLeader: () => true,
      onJobChanged: () => undefined,
      log: { warn: () => undefined },
    };
    app = Fastify();
    await app.register(coordinationRoutes, deps);
  });
  afterEach(async () => {
    await app.close();
  });

  const beat = async (node: string): Promise<number> =>
    (
      await app.inject({
        method: 'POST',
        url: heartbeatPath(node),
        headers: { authorization: `Bearer ${mintNodeToken(KEY, node)}` },
        payload: { node, jobs: [] },
      })
    ).statusCode;
  const settle = async (labels: Record<string, string> | null): Promise<void> => {
    while (lookups.calls.length === 0) await new Promise((r) => setTimeout(r, 1));
    lookups.calls.shift()!(labels);
  };

  it('waits for the lookup of a new node, then answers known nodes at once and applies the answer later', async () => {
    const first = beat('n1');
    await settle({ line: 'k' });
    expect(await first).toBe(200);
    // The next lookup stays pending: the heartbeat is answered with the labels known so far.
    expect(await beat('n1')).toBe(200);
    expect(registry.labelsOf('n1')).toEqual({ line: 'k' });
    await settle({ line: 'other' });
    await new Promise((r) => setImmediate(r));
    expect(registry.labelsOf('n1')).toEqual({ line: 'other' });
  }, 5000);

  it('forgets a node whose Node object is gone, so that its next call is refused', async () => {
    const first = beat('n1');
    await settle({ line: 'k' });
    expect(await first).toBe(200);
    expect(await beat('n1')).toBe(200);
    await settle(null);
    await new Promise((r) => setImmediate(r));
    expect(registry.labelsOf('n1')).toBeUndefined();
    const third = beat('n1');
    await settle(null);
    expect(await third).toBe(403);
  }, 5000);
});
