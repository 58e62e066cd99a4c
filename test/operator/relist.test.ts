import type { HeartbeatReply } from '../../lib/protocol/heartbeat.js';
import { createLogger } from '../../lib/log.js';
import { KubeJobStore } from '../../operator/adapters/kube-job-store.js';
import type { JobStore } from '../../operator/ports/job-store.js';
import { Reconciler } from '../../operator/reconciler.js';
import { kubeConfigFor } from './support/fake-cluster.js';
import { NS, startOperatorEnv, type OperatorEnv } from './support/operator-env.js';
import type { SimAgent } from './support/sim-agent.js';
import { waitFor } from './support/wait.js';

const KEY = `${NS}/relist`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The job cache while it lists: a relist serves the previous list until its own LIST succeeds, a
 * fresh operator is unready and refuses heartbeats until its first LIST, and no agent is told to
 * drop a job meanwhile (an empty cache would make every job look deleted).
 */
describe('job cache relists', () => {
  let env: OperatorEnv;
  let store: KubeJobStore;
  let agent: SimAgent;
  const log = createLogger('operator-test-relist', { level: process.env.LOG_LEVEL ?? 'silent' });
  const newStore = (): KubeJobStore =>
    new KubeJobStore({ kubeConfig: kubeConfigFor(env.api.url), log, staleAfterMs: 60_000 });
  const url = (): string => env.operators[env.operators.length - 1].coordinationUrl;
  const lists = (): Array<{ status: number }> =>
    env.api.calls.filter((c) => c.verb === 'list' && c.resource === 'singletasklearningjobs');
  const readyz = async (): Promise<number> => {
    const res = await fetch(`${url()}/readyz`);
    await res.arrayBuffer();
    return res.status;
  };
  const failLists = (count: number): void =>
    env.api.injectFailure({ verb: 'list', resource: 'singletasklearningjobs', status: 500, count });
  const drops = (replies: HeartbeatReply[]) => replies.flatMap((r) => r.jobs).filter((j) => j.drop);
  const servesTheJob = (r: HeartbeatReply): boolean =>
    r.jobs.some((j) => `${j.job.namespace}/${j.job.name}` === KEY && !j.drop && j.model?.version === 'v0');

  beforeAll(async () => {
    env = await startOperatorEnv('relist');
    store = newStore();
    await env.startOperator({ jobs: store });
    env.createJob('relist');
    await waitFor('serving', () => env.job('relist')?.status?.currentModel?.version === 'v0', 20_000);
    agent = env.agent('node-r', { line: 'a' });
    await waitFor(
      'the agent serves v0',
      async () => (await agent.beat()) === 200 && agent.active(KEY) === 'v0',
    );
  });
  afterAll(async () => {
    await env.close();
  });

  it('a relist whose LISTs fail keeps serving the previous list: ready, no drop', async () => {
    const before = lists().length;
    failLists(2);
    const relist = store.supervisor!.relist();
    const failedSoFar = (): boolean =>
      lists()
        .slice(before)
        .some((c) => c.status === 500);
    const listedAgain = (): boolean =>
      lists()
        .slice(before)
        .some((c) => c.status === 200);
    const replies: HeartbeatReply[] = [];
    const ready: number[] = [];
    let beatsWhileFailing = 0;
    // Heartbeat and probe readiness all through the relist, and a little after it.
    let afterwards = 0;
    while (afterwards < 3) {
      const during = failedSoFar() && !listedAgain();
      if (await agent.beat().then((s) => s === 200)) {
        replies.push(agent.lastReply!);
        if (during) beatsWhileFailing++;
      }
      ready.push(await readyz());
      if (listedAgain()) afterwards++;
      await sleep(40);
    }
    await relist;
    expect(
      lists()
        .slice(before)
        .map((c) => c.status),
    ).toEqual([500, 500, 200]);
    expect(beatsWhileFailing).toBeGreaterThanOrEqual(2);
    expect(drops(replies)).toEqual([]);
    expect(replies.every(servesTheJob)).toBe(true);
    expect(ready.every((s) => s === 200)).toBe(true);
    expect(agent.active(KEY)).toBe('v0');
    expect(store.relisting()).toBe(false);
  });

  it('a new operator is unready and refuses heartbeats until its first LIST succeeds, then serves the job', async () => {
    await env.operators.pop()!.close();
    const before = lists().length;
    failLists(3);
    store = newStore();
    await env.startOperator({ jobs: store });
    const listed = (): boolean =>
      lists()
        .slice(before)
        .some((c) => c.status === 200);
    const unsynced: Array<{ ready: number; beat: number }> = [];
    const replies: HeartbeatReply[] = [];
    for (;;) {
      const ready = await readyz();
      const beat = await agent.beat();
      if (beat === 200) replies.push(agent.lastReply!);
      // Answers given before the operator could have had its list: nothing may pass as synced.
      if (!listed()) unsynced.push({ ready, beat });
      else if (ready === 200 && beat === 200) break;
      await sleep(40);
    }
    expect(
      lists()
        .slice(before)
        .map((c) => c.status),
    ).toEqual([500, 500, 500, 200]);
    expect(unsynced.length).toBeGreaterThanOrEqual(2);
    expect(unsynced.every((p) => p.ready === 503 && p.beat === 503)).toBe(true);
    expect(drops(replies)).toEqual([]);
    expect(servesTheJob(replies.at(-1)!)).toBe(true);
    expect(agent.active(KEY)).toBe('v0');
  });

  it('the reconciler leaves a key alone until the cache is synced', async () => {
    const calls: string[] = [];
    const unsynced = new Proxy({} as JobStore, {
      get: (_t, name: string) =>
        name === 'synced'
          ? () => false
          : () => {
              calls.push(name);
              return Promise.resolve(null);
            },
    });
    const reconciler = new Reconciler({ jobs: unsynced } as never);
    expect(await reconciler.reconcile(KEY)).toEqual({ requeueAfterMs: expect.any(Number) });
    expect(calls).toEqual([]);
  });
});
