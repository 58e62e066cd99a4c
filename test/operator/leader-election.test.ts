import { NS, startOperatorEnv, type OperatorEnv } from './support/operator-env.js';
import { waitFor } from './support/wait.js';

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

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

    // While standby, B read (it polls the Lease) but no write of its went through: no status patch,
    // no Lease update. (When a busy machine delays A's renewals past the lease duration, B may try a
    // Lease update; optimistic concurrency refuses it with 409 once A has renewed, as in client-go.)
    const byB = env.api.calls.filter((c) => c.token === 'op-b');
    expect(byB.filter((c) => c.verb === 'get' && c.resource === 'leases').length).toBeGreaterThan(0);
    expect(byB.filter((c) => WRITE_VERBS.has(c.verb) && c.status < 300)).toEqual([]);

    // A crashes: it neither releases the Lease nor reconciles any more.
    await a.close({ releaseLease: false });
    // Within the lease duration (2 s) plus retries on a quiet machine; 10 s is a generous bound so a
    // busy 2-core machine that delays timers does not fail it. The order (A led, A crashed, then B
    // acquired with exactly one transition) is what the assertions below check.
    await waitFor('b leads', () => b.isLeader(), 10_000, 50);
    // Once leader, B's writes go through.
    expect(
      env.api.calls.filter((c) => c.token === 'op-b' && WRITE_VERBS.has(c.verb) && c.status < 300).length,
    ).toBeGreaterThan(0);
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
