import type { Condition, SingleTaskLearningJob } from '../../lib/api/v1alpha1/index.js';
import { createLogger } from '../../lib/log.js';
import { labeledIndexKey } from '../../lib/storage/layout.js';
import { KubeJobStore } from '../../operator/adapters/kube-job-store.js';
import type { RunningOperator } from '../../operator/operator.js';
import { kubeConfigFor } from './support/fake-cluster.js';
import { NS, putInitialModel, startOperatorEnv, type OperatorEnv } from './support/operator-env.js';
import { waitFor } from './support/wait.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Conflicts, rejected statuses, live evidence for rollouts, and what Ready and Events say. */
describe('conflicts, rollout evidence, conditions and events', () => {
  let env: OperatorEnv;
  let op: RunningOperator;

  beforeAll(async () => {
    env = await startOperatorEnv('conds');
    op = await env.startOperator();
  });
  afterAll(async () => {
    await env.close();
  });

  const condition = (name: string, type: string): Condition | undefined =>
    env.job(name)?.status?.conditions?.find((c) => c.type === type);
  const events = (name: string) =>
    env.api.store.list(env.api.resource('events', ''), NS).filter((e) => e.involvedObject?.name === name);
  const jobs = () => env.api.resource('singletasklearningjobs');

  it('Ready is False while no edge node runs the model; ModelDeployed counts the nodes', async () => {
    const uri = await putInitialModel(env, 'lonely');
    env.createJob('lonely', { initialModel: uri, edge: { nodeSelector: { line: 'l' } } });
    await waitFor('serving', () => env.job('lonely')?.status?.phase === 'Serving');
    await waitFor('Ready evaluated', () => condition('lonely', 'Ready')?.reason === 'NoEdgeNodes');
    expect(condition('lonely', 'Ready')).toMatchObject({ status: 'False', reason: 'NoEdgeNodes' });
    expect(condition('lonely', 'EdgeSynced')).toMatchObject({ status: 'False', reason: 'NoEdgeNodes' });
    expect(condition('lonely', 'ModelDeployed')).toMatchObject({ status: 'False', reason: 'NoEdgeNodes' });
    const n = env.agent('l-1', { line: 'l' });
    n.start(100);
    await waitFor('Ready True', () => condition('lonely', 'Ready')?.status === 'True', 20_000);
    expect(condition('lonely', 'Ready')).toMatchObject({ reason: 'Serving' });
    expect(condition('lonely', 'Ready')?.message).toMatch(/new labeled samples/); // what it waits for
    expect(condition('lonely', 'ModelDeployed')).toMatchObject({
      status: 'True',
      message: 'v0 serving on 1 node(s)',
    });
    n.stop();
  });

  it('a missing Secret emits a Warning event', async () => {
    env.createJob('nosecret', { storage: { bucket: env.bucket, credentialsSecret: 'absent' } });
    await waitFor('Warning SecretNotFound', () =>
      events('nosecret').find((e) => e.type === 'Warning' && e.reason === 'SecretNotFound'),
    );
    expect(condition('nosecret', 'Ready')).toMatchObject({ status: 'False', reason: 'SecretNotFound' });
  });

  it('activeDeadlineSeconds fails the job on time without other wake-ups', async () => {
    // Blocked on a missing Secret, the job is otherwise looked at again only after 30 s.
    env.createJob('deadline', {
      storage: { bucket: env.bucket, credentialsSecret: 'absent' },
      runPolicy: { maxRounds: 3, activeDeadlineSeconds: 2 },
    });
    await waitFor('blocked', () => condition('deadline', 'Ready')?.reason === 'SecretNotFound');
    await waitFor('deadline exceeded', () => env.job('deadline')?.status?.phase === 'Failed', 8_000);
    expect(condition('deadline', 'Failed')).toMatchObject({ status: 'True', reason: 'DeadlineExceeded' });
    const job = env.job('deadline')!;
    const ranMs = Date.parse(job.status!.completionTime!) - Date.parse(job.status!.startTime!);
    expect(ranMs).toBeGreaterThanOrEqual(2000);
    expect(ranMs).toBeLessThan(6000);
  });

  it('Events repeat as a count on one Event, as client-go aggregates them', async () => {
    const job = env.createJob('aggregated') as unknown as SingleTaskLearningJob;
    const store = new KubeJobStore({
      kubeConfig: kubeConfigFor(env.api.url),
      log: createLogger('aggregate-test', { level: 'silent' }),
    });
    const warning = { type: 'Warning' as const, reason: 'Probe', message: 'same words' };
    await store.emitEvent(job, warning);
    await store.emitEvent(job, warning);
    await store.emitEvent(job, warning);
    await store.emitEvent(job, { ...warning, message: 'other words' });
    const probes = events('aggregated').filter((e) => e.reason === 'Probe');
    expect(probes.map((e) => [e.message, e.count]).sort()).toEqual([
      ['other words', 1],
      ['same words', 3],
    ]);
    const same = probes.find((e) => e.message === 'same words')!;
    expect(Date.parse(same.lastTimestamp)).toBeGreaterThanOrEqual(Date.parse(same.firstTimestamp));
  });

  it('a 422 on the status patch surfaces in Ready instead of being retried as a conflict', async () => {
    const readies: Condition[] = [];
    const off = env.api.store.onEvent((e) => {
      if (e.object.metadata?.name !== 'rejected') return;
      const ready = (e.object.status?.conditions ?? []).find((c: Condition) => c.type === 'Ready');
      if (ready) readies.push(ready);
    });
    env.api.injectFailure({
      verb: 'patch',
      resource: 'singletasklearningjobs',
      subresource: 'status',
      name: 'rejected',
      status: 422,
      count: 1,
    });
    try {
      env.createJob('rejected');
      await waitFor('StatusRejected written', () => readies.find((c) => c.reason === 'StatusRejected'));
    } finally {
      off();
    }
    const rejected = readies.find((c) => c.reason === 'StatusRejected')!;
    expect(rejected.status).toBe('False');
    expect(rejected.message).toMatch(/rejected the status: injected failure 422/);
    await waitFor('Warning event', () =>
      events('rejected').find((e) => e.type === 'Warning' && e.reason === 'StatusRejected'),
    );
    const patches = env.api.calls.filter(
      (c) => c.verb === 'patch' && c.subresource === 'status' && c.name === 'rejected',
    );
    // Not treated as a conflict: no fresh read of the job between the 422 and the condition's patch.
    const i = env.api.calls.findIndex((c) => c === patches.find((p) => p.status === 422));
    const next = env.api.calls.slice(i + 1).find((c) => c.name === 'rejected' && c.verb !== 'watch');
    expect(next).toMatchObject({ verb: 'patch', subresource: 'status', status: 200 });
  });

  it('a canary interrupted by a restart completes only on heartbeats of the new version since it began', async () => {
    const uri = await putInitialModel(env, 'rc');
    env.createJob('rc', {
      initialModel: uri,
      rollout: { strategy: 'canary', canaryNodes: 1, soakSeconds: 2, autoRollback: true },
      edge: { nodeSelector: { line: 'rc' } },
    });
    const canary = env.agent('rc-1', { line: 'rc' }, () => op);
    const other = env.agent('rc-2', { line: 'rc' }, () => op);
    canary.start(100);
    other.start(100);
    await waitFor(
      'v0 on both',
      () =>
        canary.active(`${NS}/rc`) === 'v0' &&
        other.active(`${NS}/rc`) === 'v0' &&
        env.job('rc')?.status?.edgeNodes?.filter((n) => n.modelVersion === 'v0').length === 2,
      20_000,
    );
    await env.store.putObject(env.bucket, labeledIndexKey(NS, 'rc'), 'a.jpg a.xml\nb.jpg b.xml\n');
    await waitFor('canary', () => env.job('rc')?.status?.rollout?.phase === 'Canary', 20_000, 20);
    // The operator goes down mid-canary, with every agent; a new one takes over.
    canary.stop();
    other.stop();
    await env.operators.splice(env.operators.indexOf(op), 1)[0].close({ releaseLease: false });
    const rolloutStart = Date.parse(env.job('rc')!.status!.rollout!.startedAt!);
    // Nodes the status lists as online get 10 s to heartbeat the new operator.
    op = await env.startOperator({ staleAfterSeconds: 10 });
    await sleep(1500);
    expect(env.job('rc')?.status?.rollout?.phase).toBe('Canary'); // no canary has spoken yet
    canary.start(100);
    await waitFor(
      'promoted',
      () => ['Promoted', 'Completed'].includes(env.job('rc')?.status?.rollout?.phase ?? ''),
      20_000,
      20,
    );
    // The other node has not heartbeat since the restart: the rollout must wait for its word.
    await sleep(2000);
    expect(env.job('rc')?.status?.rollout?.phase).toBe('Promoted');
    expect(env.job('rc')?.status?.currentModel?.version).toBe('v0');
    other.start(100);
    await waitFor('completed', () => env.job('rc')?.status?.rollout?.phase === 'Completed', 20_000);
    const job = env.job('rc')!;
    expect(job.status?.currentModel?.version).toBe('v1');
    expect(Date.parse(job.status!.currentModel!.deployedAt!)).toBeGreaterThan(rolloutStart);
    expect(other.active(`${NS}/rc`)).toBe('v1');
    await waitFor('ModelDeployed counted', () => condition('rc', 'ModelDeployed')?.status === 'True');
    expect(condition('rc', 'ModelDeployed')?.message).toBe('v1 serving on 2 node(s)');
    canary.stop();
    other.stop();
  });

  // Last: it leaves the informer without list or watch.
  it('a 409 requeues and recomputes the status from the fresh job', async () => {
    const uri = await putInitialModel(env, 'fresh');
    env.createJob('fresh', { initialModel: uri, trigger: { minNewSamples: 5, checkPeriodSeconds: 3600 } });
    await waitFor('serving', () => env.job('fresh')?.status?.phase === 'Serving');
    await waitFor('Ready written', () => condition('fresh', 'Ready'));
    await sleep(500); // the reconcile woken by the finalizer's write is done too
    // The informer's cache goes stale: no watch, no relist.
    env.api.injectFailure({ verb: 'watch', resource: 'singletasklearningjobs', status: 500, count: 10_000 });
    env.api.injectFailure({ verb: 'list', resource: 'singletasklearningjobs', status: 500, count: 10_000 });
    env.api.dropWatches();
    await waitFor('watch closed', () => env.api.openWatches() === 0);
    // Someone suspends the job; the operator's cache still has generation 1.
    const suspended = structuredClone(env.job('fresh')!);
    suspended.spec.runPolicy = { ...suspended.spec.runPolicy, suspend: true };
    env.api.store.update(jobs(), NS, 'fresh', suspended as never, undefined, false);
    expect(env.job('fresh')?.metadata?.generation).toBe(2);
    // A new labeled sample changes the status the operator computes (from its stale copy).
    await env.store.putObject(env.bucket, labeledIndexKey(NS, 'fresh'), 'a.jpg a.xml\n');
    const from = env.api.calls.length;
    op.enqueue(NS, 'fresh');
    await waitFor(
      'status of the fresh job',
      () =>
        env.job('fresh')?.status?.phase === 'Suspended' && env.job('fresh')?.status?.observedGeneration === 2,
      8_000,
    );
    const calls = env.api.calls.slice(from).filter((c) => c.name === 'fresh');
    const conflict = calls.findIndex((c) => c.subresource === 'status' && c.status === 409);
    expect(conflict).toBeGreaterThanOrEqual(0);
    // The requeued reconcile read the job from the API server, then wrote a status that sticks.
    expect(
      calls.slice(conflict + 1).map((c) => `${c.verb}${c.subresource ? '/status' : ''} ${c.status}`),
    ).toEqual(expect.arrayContaining(['get 200', 'patch/status 200']));
    expect(condition('fresh', 'Ready')?.observedGeneration).toBe(2);
  });
});
