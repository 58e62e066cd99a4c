import { createHash } from 'node:crypto';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { labeledIndexKey } from '../../lib/storage/layout.js';
import { kubeConfigFor } from './support/fake-cluster.js';
import { NS, putInitialModel, startOperatorEnv, type OperatorEnv } from './support/operator-env.js';
import { waitFor } from './support/wait.js';

const TWO_LABELS = 'a.jpg a.xml\nb.jpg b.xml\n';

describe('rollback, pinning and deletion', () => {
  let env: OperatorEnv;

  beforeAll(async () => {
    env = await startOperatorEnv('rollout');
    await env.startOperator();
  });
  afterAll(async () => {
    await env.close();
  });

  const initialModel = (job: string): Promise<string> => putInitialModel(env, job);

  const events = (name: string) =>
    env.api.store.list(env.api.resource('events', ''), NS).filter((e) => e.involvedObject?.name === name);

  it('a canary that fails to load rolls every node back to the last good version', async () => {
    const uri = await initialModel('canary');
    env.createJob('canary', {
      initialModel: uri,
      rollout: { strategy: 'canary', canaryNodes: 1, soakSeconds: 1, autoRollback: true },
      edge: { nodeSelector: { line: 'c' } },
    });
    const n1 = env.agent('c-1', { line: 'c' });
    const n2 = env.agent('c-2', { line: 'c' });
    n1.failVersions.add('v1');
    // The initial model is adopted as v0 without training (sha256 from the object metadata).
    n1.start(100);
    n2.start(100);
    await waitFor(
      'v0 on both',
      () => n1.active(`${NS}/canary`) === 'v0' && n2.active(`${NS}/canary`) === 'v0',
      20_000,
    );
    expect(env.job('canary')?.status?.currentModel).toMatchObject({
      version: 'v0',
      sha256: createHash('sha256').update('initial canary').digest('hex'),
    });
    await env.store.putObject(env.bucket, labeledIndexKey(NS, 'canary'), TWO_LABELS);
    await waitFor('rolled back', () => env.job('canary')?.status?.rollout?.phase === 'RolledBack', 20_000);
    const job = env.job('canary')!;
    expect(job.status?.phase).toBe('Serving');
    expect(job.status?.currentModel?.version).toBe('v0');
    expect(job.status?.models?.find((m) => m.version === 'v1')?.state).toBe('RolledBack');
    expect(job.status?.conditions?.find((c) => c.type === 'ModelDeployed')).toMatchObject({
      status: 'False',
      reason: 'RolledBack',
    });
    expect(job.status?.rollout?.canaryNodes).toEqual(['c-1']);
    await waitFor('Warning event', () =>
      events('canary').some((e) => e.type === 'Warning' && e.reason === 'RolledBack'),
    );
    // Everyone is told v0 again; the non-canary never saw v1.
    await waitFor(
      'c-1 told v0',
      () => n1.lastReply?.jobs.find((j) => j.job.name === 'canary')?.model?.version === 'v0',
    );
    expect(n2.active(`${NS}/canary`)).toBe('v0');
    expect(n2.lastReply?.jobs.find((j) => j.job.name === 'canary')?.model?.version).toBe('v0');
  });

  it('spec.rollout.pinVersion sends every node back to a published version', async () => {
    const uri = await initialModel('pin');
    env.createJob('pin', { initialModel: uri, edge: { nodeSelector: { line: 'p' } } });
    const n = env.agent('p-1', { line: 'p' });
    n.start(100);
    await env.store.putObject(env.bucket, labeledIndexKey(NS, 'pin'), TWO_LABELS);
    await waitFor(
      'v1 deployed',
      () => env.job('pin')?.status?.currentModel?.version === 'v1' && n.active(`${NS}/pin`) === 'v1',
      20_000,
    );
    const job = structuredClone(env.job('pin')!) as unknown as Record<string, any>;
    job.spec.rollout.pinVersion = 'v0';
    env.api.store.update(
      env.api.resource('singletasklearningjobs'),
      NS,
      'pin',
      job as never,
      undefined,
      false,
    );
    await waitFor(
      'pinned v0 on the node',
      () => env.job('pin')?.status?.currentModel?.version === 'v0' && n.active(`${NS}/pin`) === 'v0',
      20_000,
    );
    expect(env.job('pin')?.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      reason: 'ModelPinned',
    });
    expect(env.job('pin')?.status?.models?.find((m) => m.version === 'v1')?.state).toBe('Superseded');
    await waitFor('ModelPinned event', () => events('pin').some((e) => e.reason === 'ModelPinned'));
  });

  it('deletion tells agents to drop, deletes artifacts with cleanupPolicy Delete, then removes the finalizer', async () => {
    env.createJob('gone', { cleanupPolicy: 'Delete', edge: { nodeSelector: { line: 'g' } } });
    env.createJob('kept', { cleanupPolicy: 'Retain', edge: { nodeSelector: { line: 'g' } } });
    const n = env.agent('g-1', { line: 'g' });
    n.start(100);
    await waitFor(
      'both serving on the node',
      () => n.active(`${NS}/gone`) === 'v0' && n.active(`${NS}/kept`) === 'v0',
      20_000,
    );
    await env.store.putObject(env.bucket, 'samples/default/gone/g-1/s1.jpeg', 'img');
    const api = kubeConfigFor(env.api.url).makeApiClient(CustomObjectsApi);
    for (const name of ['gone', 'kept'])
      await api.deleteNamespacedCustomObject({
        group: 'edgestl.io',
        version: 'v1alpha1',
        namespace: NS,
        plural: 'singletasklearningjobs',
        name,
      });
    await waitFor('both jobs gone', () => !env.job('gone') && !env.job('kept'), 20_000);
    expect(n.jobs.has(`${NS}/gone`)).toBe(false); // the agent dropped it
    expect(n.jobs.has(`${NS}/kept`)).toBe(false);
    expect(await env.store.list(env.bucket, 'models/default/gone/', { recursive: true })).toHaveLength(0);
    expect(await env.store.list(env.bucket, 'samples/default/gone/', { recursive: true })).toHaveLength(0);
    expect((await env.store.list(env.bucket, 'models/default/kept/', { recursive: true })).length).toBe(1);
  });

  it('deleting a job cancels its waiting training round', async () => {
    await env.trainer.worker.pause();
    try {
      env.createJob('waiting');
      await waitFor('round queued', () => env.job('waiting')?.status?.training?.state === 'Queued');
      expect(await env.trainingJobs('waiting')).toBe(1);
      const api = kubeConfigFor(env.api.url).makeApiClient(CustomObjectsApi);
      await api.deleteNamespacedCustomObject({
        group: 'edgestl.io',
        version: 'v1alpha1',
        namespace: NS,
        plural: 'singletasklearningjobs',
        name: 'waiting',
      });
      await waitFor('job gone', () => !env.job('waiting'), 20_000);
      expect(await env.trainingJobs('waiting')).toBe(0);
    } finally {
      env.trainer.worker.resume();
    }
  });

  it('an agent that stops heartbeating is marked Stale, not dropped', async () => {
    env.createJob('stale', { edge: { nodeSelector: { line: 's' } } });
    const n = env.agent('s-1', { line: 's' });
    n.start(100);
    await waitFor('serving', () => n.active(`${NS}/stale`) === 'v0', 20_000);
    n.stop();
    await waitFor(
      'stale',
      () => env.job('stale')?.status?.edgeNodes?.find((e) => e.name === 's-1')?.state === 'Stale',
      40_000,
      250,
    );
    expect(env.job('stale')?.status?.edgeNodes).toHaveLength(1);
  });
});
