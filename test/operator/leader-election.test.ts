import { NS, startOperatorEnv, type OperatorEnv } from './support/operator-env.js';
import { waitFor } from './support/wait.js';

describe('leader election on a coordination.k8s.io/v1 Lease', () => {
  let env: OperatorEnv;

  beforeAll(async () => {
    env = await startOperatorEnv('leader');
  });
  afterAll(async () => {
    await env.close();
  });

  it('only the leader reconciles and serves; a standby takes over within the lease duration', async () => {
    const a = await env.startOperator({ lease: { identity: 'op-a', durationSeconds: 2 } });
    await waitFor('a leads', () => a.isLeader());
    const b = await env.startOperator({ lease: { identity: 'op-b', durationSeconds: 2 } });
    await new Promise((r) => setTimeout(r, 600));
    expect(b.isLeader()).toBe(false);
    expect((await fetch(`${b.coordinationUrl}/readyz`)).status).toBe(503);
    expect((await fetch(`${b.coordinationUrl}/healthz`)).status).toBe(200);
    await waitFor('a ready', async () => (await fetch(`${a.coordinationUrl}/readyz`)).status === 200);

    env.createJob('led');
    const agentOnB = env.agent('l-1', { line: 'a' }, () => b);
    expect(await agentOnB.beat()).toBe(503); // the standby does not coordinate
    const agentOnA = env.agent('l-1', { line: 'a' }, () => a);
    agentOnA.start(100);
    await waitFor(
      'served by a',
      () => env.job('led')?.status?.phase === 'Serving' && agentOnA.active(`${NS}/led`) === 'v0',
      20_000,
    );
    agentOnA.stop();
    const lease = env.api.store.get(env.api.resource('leases'), NS, 'edge-stl-operator');
    expect(lease.spec.holderIdentity).toBe('op-a');

    // A crashes: it neither releases the Lease nor reconciles any more.
    const crashedAt = Date.now();
    await a.close({ releaseLease: false });
    await waitFor('b leads', () => b.isLeader(), 10_000, 50);
    const takeover = Date.now() - crashedAt;
    expect(takeover).toBeLessThan(2000 + 1000); // lease duration plus one retry period and slack
    await waitFor('b ready', async () => (await fetch(`${b.coordinationUrl}/readyz`)).status === 200);
    const after = env.api.store.get(env.api.resource('leases'), NS, 'edge-stl-operator');
    expect(after.spec.holderIdentity).toBe('op-b');
    expect(after.spec.leaseTransitions).toBe(1);

    // B now reconciles and coordinates.
    env.createJob('after-failover');
    await waitFor('reconciled by b', () => env.job('after-failover')?.status?.phase === 'Serving', 20_000);
    expect(await agentOnB.beat()).toBe(200);
    expect(agentOnB.lastReply?.jobs.map((j) => j.job.name).sort()).toEqual(['after-failover', 'led']);
  });
});
