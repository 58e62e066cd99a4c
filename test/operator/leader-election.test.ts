import type { ApiCall } from '../support/fake-kube-apiserver.js';
import type { RunningOperator } from '../../operator/operator.js';
import { NS, startOperatorEnv, type OperatorEnv } from './support/operator-env.js';
import type { SimAgent } from './support/sim-agent.js';
import { useFreezableEnv } from './support/freezable-env.js';
import { waitFor } from './support/wait.js';

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** Creates `job` and waits until `op` serves it to a heartbeating agent of `node` (returned, still beating). */
async function serveThrough(
  env: OperatorEnv,
  op: RunningOperator,
  job: string,
  node: string,
): Promise<SimAgent> {
  env.createJob(job);
  const agent = env.agent(node, { line: 'a' }, () => op);
  agent.start(100);
  await waitFor(
    `${job} served`,
    () => env.job(job)?.status?.phase === 'Serving' && agent.active(`${NS}/${job}`) === 'v0',
    20_000,
  );
  return agent;
}

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

    const agentOnB = env.agent('l-1', { line: 'a' }, () => b);
    expect(await agentOnB.beat()).toBe(503); // the standby does not coordinate
    const agentOnA = await serveThrough(env, a, 'led', 'l-1');
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

describe('a leader whose API traffic freezes', () => {
  const RENEW_DEADLINE_MS = 2000;
  const LEASE = { durationSeconds: 3, renewDeadlineMs: RENEW_DEADLINE_MS };
  const fixture = useFreezableEnv('frozen');

  it('stops leading at its renew deadline, before the other acquires, and never writes after it', async () => {
    const { env, proxy } = fixture;
    // A reaches the API server through a proxy that can freeze its traffic; B directly.
    const a = await env.startOperator({ lease: { identity: 'op-a', ...LEASE }, apiUrl: proxy.url });
    await waitFor('a leads', () => a.isLeader());
    const b = await env.startOperator({ lease: { identity: 'op-b', ...LEASE } });
    const agent = await serveThrough(env, a, 'busy', 'f-1');
    const byA = (): ApiCall[] => env.api.calls.filter((c) => c.token === 'op-a');
    const okWrite = (c: ApiCall): boolean => WRITE_VERBS.has(c.verb) && c.status < 300;
    expect(byA().filter((c) => okWrite(c) && c.resource === 'singletasklearningjobs').length).toBeGreaterThan(
      0,
    );

    proxy.freeze();
    // While frozen, A keeps reconciling (each heartbeat moves status.edgeNodes[].lastSeen, so each
    // reconcile has a status patch to send) until it stops leading; we note when it stops.
    let aStoppedAt: number | undefined;
    const watch = setInterval(() => {
      if (a.isLeader()) a.enqueue(NS, 'busy');
      else aStoppedAt ??= performance.now();
    }, 10);
    try {
      await waitFor('b leads', () => b.isLeader(), 20_000, 20);
      // The moment B knows it leads, A no longer serves as leader.
      expect(a.isLeader()).toBe(false);
      expect((await fetch(`${a.coordinationUrl}/readyz`)).status).toBe(503);
      expect(await env.agent('f-1', { line: 'a' }, () => a).beat()).toBe(503);
    } finally {
      clearInterval(watch);
    }

    // The thaw delivers whatever A still has waiting; give it time to land.
    proxy.thaw();
    await new Promise((r) => setTimeout(r, 2500));
    agent.stop();

    const leaseWrite = (c: ApiCall): boolean => okWrite(c) && c.resource === 'leases';
    const bAcquiredAt = env.api.calls.find((c) => c.token === 'op-b' && leaseWrite(c))!.at!;
    const aRenewals = byA().filter((c) => leaseWrite(c) && c.at! < bAcquiredAt);
    // A's deadline counts from the start of its last renewal, which is no later than its arrival here.
    const aDeadline = aRenewals[aRenewals.length - 1].at! + RENEW_DEADLINE_MS;
    expect(aStoppedAt).toBeDefined();
    expect(aStoppedAt!).toBeLessThanOrEqual(aDeadline + 250); // timer slack on a busy machine
    expect(aStoppedAt!).toBeLessThan(bAcquiredAt);
    // No write of A's took effect after its deadline, nor after B took the Lease.
    expect(byA().filter((c) => okWrite(c) && c.at! > aDeadline)).toEqual([]);
    // Its calls held up by the freeze were cancelled (their bytes never reached the server).
    expect(proxy.dropped).toBeGreaterThan(0);
    const lease = env.api.store.get(env.api.resource('leases'), NS, 'edge-stl-operator');
    expect(lease.spec.holderIdentity).toBe('op-b');
    expect(b.isLeader()).toBe(true);
    expect(a.isLeader()).toBe(false);
  });
});
