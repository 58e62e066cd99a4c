import { NS, startOperatorEnv, type OperatorEnv } from './support/operator-env.js';
import { waitFor } from './support/wait.js';

/** The operator keeps working through API server faults and restarts. */
describe('operator fault tolerance', () => {
  let env: OperatorEnv;

  beforeAll(async () => {
    env = await startOperatorEnv('faults');
    await env.startOperator();
  });
  afterAll(async () => {
    await env.close();
  });

  const reconciled = (name: string): boolean =>
    (env.job(name)?.metadata?.finalizers ?? []).length > 0 && !!env.job(name)?.status?.phase;
  const watchCalls = (status?: number): number =>
    env.api.calls.filter(
      (c) =>
        c.verb === 'watch' &&
        c.resource === 'singletasklearningjobs' &&
        (status === undefined || c.status === status),
    ).length;

  it('recovers from a dropped watch connection', async () => {
    await waitFor('watch open', () => env.api.openWatches() > 0);
    const before = watchCalls();
    env.api.dropWatches();
    await waitFor('watch re-established', () => watchCalls() > before && env.api.openWatches() > 0);
    env.createJob('after-drop');
    await waitFor('job created after the drop is reconciled', () => reconciled('after-drop'));
  });

  it('relists after 410 Gone on an expired resourceVersion', async () => {
    await waitFor('watch open', () => env.api.openWatches() > 0);
    const lists = env.api.calls.filter(
      (c) => c.verb === 'list' && c.resource === 'singletasklearningjobs',
    ).length;
    // Another write moves the revision past what the informer saw; compaction then expires its resourceVersion.
    env.api.seed('secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'bump', namespace: NS },
      data: {},
    });
    env.api.compact();
    env.api.dropWatches();
    await waitFor(
      'relisted',
      () =>
        env.api.calls.filter((c) => c.verb === 'list' && c.resource === 'singletasklearningjobs').length >
        lists,
    );
    expect(env.api.expiredWatches).toBeGreaterThan(0);
    env.createJob('after-410');
    await waitFor('job created after the 410 is reconciled', () => reconciled('after-410'));
  });

  it('restarts the informer with backoff after 500s on watch', async () => {
    await waitFor('watch open', () => env.api.openWatches() > 0);
    env.api.injectFailure({ verb: 'watch', resource: 'singletasklearningjobs', status: 500, count: 3 });
    env.api.dropWatches();
    await waitFor(
      'three failed watches then a good one',
      () => watchCalls(500) >= 3 && env.api.openWatches() > 0,
      30_000,
    );
    // The waits between the failed watches and the next attempt grow (exponential backoff).
    const watches = env.api.calls.filter(
      (c) => c.verb === 'watch' && c.resource === 'singletasklearningjobs',
    );
    const firstFailed = watches.findIndex((c) => c.status === 500);
    const attempts = watches.slice(firstFailed, firstFailed + 4);
    expect(attempts.map((c) => c.status)).toEqual([500, 500, 500, 200]);
    const waits = attempts.slice(1).map((c, i) => c.at! - attempts[i].at!);
    // Jittered delays of 200 ms * 2^(n-1) lie in [half, full] (100-200, 200-400, 400-800 ms), so
    // each wait is at least its floor, and the third is longer than the first by at least 200 ms.
    // A busy machine only lengthens waits; neighbours are not compared as timer lateness could
    // reorder two close ones.
    expect(waits[0]).toBeGreaterThanOrEqual(100);
    expect(waits[1]).toBeGreaterThanOrEqual(200);
    expect(waits[2]).toBeGreaterThanOrEqual(400);
    expect(waits[2]).toBeGreaterThan(waits[0]);
    env.createJob('after-500');
    await waitFor('job created after the 500s is reconciled', () => reconciled('after-500'));
  });

  it('retries a status patch that hits a conflict', async () => {
    env.api.injectFailure({
      verb: 'patch',
      resource: 'singletasklearningjobs',
      subresource: 'status',
      name: 'conflict',
      status: 409,
      count: 2,
    });
    env.createJob('conflict');
    await waitFor('status written', () => env.job('conflict')?.status?.phase);
    const statusPatches = env.api.calls.filter(
      (c) => c.verb === 'patch' && c.subresource === 'status' && c.name === 'conflict',
    );
    expect(statusPatches.slice(0, 3).map((c) => c.status)).toEqual([409, 409, 200]);
  });

  it('enqueues a round once even when the status write after the enqueue fails', async () => {
    env.api.injectFailure({
      verb: 'patch',
      resource: 'singletasklearningjobs',
      subresource: 'status',
      name: 'crash-after-enqueue',
      status: 500,
      count: 1,
    });
    env.createJob('crash-after-enqueue');
    await waitFor('training recorded', () => env.job('crash-after-enqueue')?.status?.training?.jobId, 20_000);
    expect(
      env.api.calls.some(
        (c) => c.name === 'crash-after-enqueue' && c.subresource === 'status' && c.status === 500,
      ),
    ).toBe(true);
    await waitFor('serving', () => env.job('crash-after-enqueue')?.status?.phase === 'Serving', 20_000);
    // One round was trained; its queue job is dropped once the status records the model.
    expect(env.trainer.seen.filter((d) => d.job === 'crash-after-enqueue')).toHaveLength(1);
    await waitFor('round left the queue', async () => (await env.trainingJobs('crash-after-enqueue')) === 0);
  });

  it('an operator restart mid-training leaves exactly one BullMQ job for the round', async () => {
    let release!: () => void;
    env.trainer.gate = new Promise<void>((r) => (release = r));
    env.createJob('restart');
    await waitFor(
      'round 0 running',
      () =>
        env.trainer.seen.some((d) => d.job === 'restart') && env.job('restart')?.status?.phase === 'Training',
    );
    await env.operators.pop()!.close();
    await env.startOperator();
    // The new operator resumes from status and the queue, and must not add a second job.
    await waitFor(
      'new operator saw the job',
      () => env.job('restart')?.status?.training?.state === 'Active',
      20_000,
    );
    release();
    env.trainer.gate = Promise.resolve();
    await waitFor('serving after the restart', () => env.job('restart')?.status?.phase === 'Serving', 20_000);
    // One round was trained; its queue job is dropped once the status records the model.
    expect(env.trainer.seen.filter((d) => d.job === 'restart')).toHaveLength(1);
    await waitFor('round left the queue', async () => (await env.trainingJobs('restart')) === 0);
    expect(env.job('restart')?.status?.currentModel?.version).toBe('v0');
  });

  it('an invalid spec ends in InvalidSpec without training; fixing it resumes', async () => {
    env.createJob('invalid', { trigger: { minNewSamples: 2, window: { start: '10:00', end: '10:00' } } });
    await waitFor('InvalidSpec', () =>
      env.job('invalid')?.status?.conditions?.find((c) => c.type === 'InvalidSpec' && c.status === 'True'),
    );
    const job = env.job('invalid')!;
    expect(job.status?.conditions?.find((c) => c.type === 'InvalidSpec')?.message).toMatch(/window/);
    expect(job.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'SpecInvalid',
    });
    expect(job.status?.training).toBeUndefined();
    expect(await env.trainingJobs('invalid')).toBe(0);
    const warnings = env.api.store
      .list(env.api.resource('events', ''), NS)
      .filter((e) => e.involvedObject?.name === 'invalid' && e.type === 'Warning');
    expect(warnings.map((e) => e.reason)).toContain('SpecInvalid');
    // The user fixes the spec: a spec change bumps the generation and wakes the reconciler.
    const fixed = structuredClone(job) as unknown as Record<string, any>;
    delete fixed.spec.trigger.window;
    env.api.store.update(
      env.api.resource('singletasklearningjobs'),
      NS,
      'invalid',
      fixed as never,
      undefined,
      false,
    );
    await waitFor('serving after the fix', () => env.job('invalid')?.status?.phase === 'Serving', 20_000);
    const after = env.job('invalid')!;
    expect(after.metadata?.generation).toBe(2);
    expect(after.status?.observedGeneration).toBe(2);
    expect(after.status?.conditions?.find((c) => c.type === 'InvalidSpec')).toMatchObject({
      status: 'False',
      observedGeneration: 2,
    });
  });

  it('a missing credentials Secret blocks with SecretNotFound', async () => {
    env.createJob('nosecret', { storage: { bucket: env.bucket, credentialsSecret: 'absent' } });
    await waitFor('SecretNotFound', () =>
      env
        .job('nosecret')
        ?.status?.conditions?.find((c) => c.type === 'Ready' && c.reason === 'SecretNotFound'),
    );
    expect(env.job('nosecret')?.status?.phase).toBe('Initializing');
  });
});
