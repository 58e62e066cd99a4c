import { CONDITION_TYPE } from '../../lib/api/v1alpha1/index.js';
import { labeledIndexKey } from '../../lib/storage/layout.js';
import { baseSpec, NS, startOperatorEnv, type OperatorEnv } from './support/operator-env.js';
import { waitFor } from './support/wait.js';

/** The whole loop on the fake API server with real Redis/BullMQ and real S3, simulated trainer and agents. */
describe('operator lifecycle (fake kube-apiserver, BullMQ, S3)', () => {
  let env: OperatorEnv;

  beforeAll(async () => {
    env = await startOperatorEnv('life');
    await env.startOperator();
  });
  afterAll(async () => {
    await env.close();
  });

  function events(name: string): Array<{ reason: string; type: string; message: string }> {
    return env.api.store
      .list(env.api.resource('events', ''), NS)
      .filter((e) => e.involvedObject?.name === name)
      .map((e) => ({ reason: e.reason, type: e.type, message: e.message }));
  }

  it('trains round 0, serves, triggers on labeled samples, canaries, promotes and completes', async () => {
    env.createJob('flow', {
      dataset: { ...baseSpec(env.bucket).dataset, labeledShare: 0.5 },
      rollout: { strategy: 'canary', canaryNodes: 1, soakSeconds: 1, autoRollback: true },
      runPolicy: { maxRounds: 1 },
    });
    const a = env.agent('edge-a', { line: 'a' });
    const b = env.agent('edge-b', { line: 'a' });
    const other = env.agent('edge-x', { line: 'x' });
    for (const ag of [a, b, other]) ag.start(150);

    await waitFor(
      'round 0 served',
      () =>
        env.job('flow')?.status?.phase === 'Serving' &&
        a.active(`${NS}/flow`) === 'v0' &&
        b.active(`${NS}/flow`) === 'v0',
      30_000,
    );
    let job = env.job('flow')!;
    expect(job.metadata?.finalizers).toContain('edgestl.io/finalizer');
    expect(job.status?.currentModel?.version).toBe('v0');
    expect(job.status?.observedGeneration).toBe(job.metadata?.generation);
    expect(other.jobs.size).toBe(0); // the selector does not match edge-x
    expect(env.trainer.seen[0]).toMatchObject({ namespace: NS, job: 'flow', round: 0 });
    expect(env.trainer.seen[0].dataset.labeledIndex).toBeUndefined();
    await waitFor(
      'EdgeSynced',
      () =>
        env.job('flow')?.status?.conditions?.find((c) => c.type === CONDITION_TYPE.EdgeSynced)?.status ===
        'True',
    );

    // One labeled sample is not enough (minNewSamples 2); two are.
    await env.store.putObject(
      env.bucket,
      labeledIndexKey(NS, 'flow'),
      'JPEGImages/s1.jpg Annotations/s1.xml\n',
    );
    await waitFor('labeled count seen', () => env.job('flow')?.status?.samples?.labeled === 1);
    expect(env.job('flow')?.status?.phase).toBe('Serving');
    // A third label lands after the trigger fired but before the trainer fetches its data: the
    // round trains on all three, and the job counts them as used.
    let releaseTrainer!: () => void;
    env.trainer.gate = new Promise((resolve) => (releaseTrainer = resolve));
    await env.store.putObject(
      env.bucket,
      labeledIndexKey(NS, 'flow'),
      'JPEGImages/s1.jpg Annotations/s1.xml\nJPEGImages/s2.jpg Annotations/s2.xml\n',
    );
    await waitFor('round 1 dispatched', () => env.trainer.seen.length === 2, 20_000);
    await env.store.putObject(
      env.bucket,
      labeledIndexKey(NS, 'flow'),
      'JPEGImages/s1.jpg Annotations/s1.xml\nJPEGImages/s2.jpg Annotations/s2.xml\nJPEGImages/s3.jpg Annotations/s3.xml\n',
    );
    releaseTrainer();

    // Canary: edge-a (first by name) gets v1 while edge-b stays on v0.
    let sawCanary = false;
    await waitFor(
      'both agents on v1',
      () => {
        const av = a.active(`${NS}/flow`);
        const bv = b.active(`${NS}/flow`);
        if (av === 'v1' && bv === 'v0') sawCanary = true;
        return av === 'v1' && bv === 'v1';
      },
      30_000,
      20,
    );
    expect(sawCanary).toBe(true);
    expect(env.trainer.seen[1]).toMatchObject({ round: 1, baseModel: { version: 'v0' } });
    expect(env.trainer.seen[1].dataset.labeledIndex).toBe(
      `s3://${env.bucket}/${labeledIndexKey(NS, 'flow')}`,
    );
    // The job's mixing of old and new data reaches the trainer.
    expect(env.trainer.seen[1].dataset.labeledShare).toBe(0.5);

    await waitFor('Completed at maxRounds', () => env.job('flow')?.status?.phase === 'Completed', 20_000);
    job = env.job('flow')!;
    expect(job.status?.currentModel?.version).toBe('v1');
    expect(job.status?.models?.map((m) => [m.version, m.state])).toEqual([
      ['v0', 'Superseded'],
      ['v1', 'Deployed'],
    ]);
    expect(job.status?.samples).toMatchObject({ labeled: 3, used: 3 });
    expect(job.status?.models?.find((m) => m.version === 'v1')?.labeledSamples).toBe(3);
    const types = job.status!.conditions!.map((c) => c.type);
    expect(new Set(types).size).toBe(types.length); // one condition per type
    expect(types).toEqual(
      expect.arrayContaining(['Ready', 'Training', 'ModelDeployed', 'EdgeSynced', 'InvalidSpec']),
    );
    expect(job.status?.edgeNodes?.map((n) => n.name)).toEqual(['edge-a', 'edge-b']);
    // Events are written right after the status patch.
    const reasons = await waitFor('MaxRoundsReached event', () => {
      const r = events('flow').map((e) => e.reason);
      return r.includes('MaxRoundsReached') && r;
    });
    expect(reasons).toEqual(
      expect.arrayContaining([
        'TrainingQueued',
        'ModelAccepted',
        'CanaryStarted',
        'RolloutPromoted',
        'RolloutCompleted',
        'MaxRoundsReached',
      ]),
    );
    // Both rounds ran, and each left the queue once the status recorded its model.
    expect(env.trainer.seen.filter((d) => d.job === 'flow')).toHaveLength(2);
    await waitFor('rounds left the queue', async () => (await env.trainingJobs('flow')) === 0);
  });

  it('records a round that does not beat the baseline as Rejected and keeps serving', async () => {
    env.trainer.seen.length = 0;
    // The sim trainer's metric rises 0.1 per round; minImprovement 0.5 makes round 1 lose.
    env.createJob('reject', { evaluation: { minImprovement: 0.5 }, runPolicy: { maxRounds: 2 } });
    const c = env.agent('edge-c', { line: 'a' });
    c.start(150);
    await waitFor(
      'serving v0',
      () => env.job('reject')?.status?.phase === 'Serving' && c.active(`${NS}/reject`) === 'v0',
      30_000,
    );
    await env.store.putObject(env.bucket, labeledIndexKey(NS, 'reject'), 'x.jpg x.xml\ny.jpg y.xml\n');
    await waitFor(
      'v1 rejected',
      () => env.job('reject')?.status?.models?.find((m) => m.version === 'v1')?.state === 'Rejected',
      20_000,
    );
    const job = env.job('reject')!;
    expect(job.status?.phase).toBe('Serving');
    expect(job.status?.currentModel?.version).toBe('v0');
    const v1 = job.status!.models!.find((m) => m.version === 'v1')!;
    expect(v1.metrics?.f1_score).toBeCloseTo(0.6);
    expect(v1.reason).toMatch(/not >=/);
    expect(c.active(`${NS}/reject`)).toBe('v0');
  });
});
