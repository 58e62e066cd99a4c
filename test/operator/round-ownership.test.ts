import { CONDITION_TYPE } from '../../lib/api/v1alpha1/index.js';
import { NS, startOperatorEnv, type OperatorEnv } from './support/operator-env.js';
import { waitFor } from './support/wait.js';

/**
 * Training rounds belong to one object and one spec: deleting a job cancels its running round and
 * waits for it before the clean-up, a job recreated under the same name trains its own round, and a
 * spec change during training restarts the round from the new generation, saying so.
 */
describe('training rounds belong to their object and generation', () => {
  let env: OperatorEnv;
  let release: () => void = () => undefined;

  beforeAll(async () => {
    env = await startOperatorEnv('rounds');
    await env.startOperator();
  });
  afterEach(() => release());
  afterAll(async () => {
    await env.close();
  });

  function holdTrainer(): void {
    env.trainer.gate = new Promise((resolve) => (release = resolve));
  }
  const events = (name: string) =>
    env.api.store.list(env.api.resource('events', ''), NS).filter((e) => e.involvedObject?.name === name);
  const training = (name: string) =>
    env.job(name)?.status?.conditions?.find((c) => c.type === CONDITION_TYPE.Training);

  it('deleting a job mid-round cancels the round and waits for it; what it wrote late is cleaned up', async () => {
    holdTrainer();
    env.createJob('mid', { cleanupPolicy: 'Delete' });
    await waitFor('round 0 running', () => env.job('mid')?.status?.training?.state === 'Active', 20_000);
    const jobId = env.job('mid')!.status!.training!.jobId!;
    await env.deleteJob('mid');
    await waitFor('job gone', () => !env.job('mid'), 20_000);
    // The finalizer went only after the trainer had stopped the round (and was told why) ...
    expect(env.trainer.cancelled.find((c) => c.jobId === jobId)?.reason).toMatch(/job deleted/);
    // ... so the checkpoint it wrote after the cancel was cleaned up with the rest (cleanupPolicy Delete),
    expect(await env.store.list(env.bucket, 'scratch/default/mid/', { recursive: true })).toEqual([]);
    // and the round left the queue.
    expect(await env.trainingJobs('mid')).toBe(0);
  });

  it('a job recreated under the same name trains its own round instead of adopting the old one', async () => {
    holdTrainer();
    env.createJob('again');
    await waitFor('round 0 running', () => env.job('again')?.status?.training?.state === 'Active', 20_000);
    const first = env.job('again')!;
    const firstJobId = first.status!.training!.jobId!;
    await env.deleteJob('again');
    await waitFor('job gone', () => !env.job('again'), 20_000);

    const seenBefore = env.trainer.seenIds.length;
    env.createJob('again');
    const secondJobId = await waitFor('round of the new object recorded', () => {
      const t = env.job('again')?.status?.training;
      return t?.state === 'Active' ? t.jobId : null;
    });
    const second = env.job('again')!;
    await waitFor('the trainer got the new round', () =>
      env.trainer.seenIds.slice(seenBefore).includes(secondJobId),
    );
    expect(env.trainer.seenIds.slice(seenBefore)).toEqual([secondJobId]);
    expect(secondJobId).not.toBe(firstJobId);
    expect(firstJobId).toContain(first.metadata!.uid!);
    expect(secondJobId).toContain(second.metadata!.uid!);
    release();
    await waitFor('serving its own v0', () => env.job('again')?.status?.phase === 'Serving', 20_000);
    expect(env.job('again')!.status!.training!.jobId).toBe(secondJobId);
    // Its result is recorded in the status, so its queue job is gone too.
    await waitFor(
      'finished round removed from the queue',
      async () => (await env.trainingJobs('again')) === 0,
    );
  });

  it('a spec change that shapes training cancels the running round and trains it from the new generation, saying so', async () => {
    holdTrainer();
    env.createJob('respec');
    await waitFor('round 0 running', () => env.job('respec')?.status?.training?.state === 'Active', 20_000);
    const oldJobId = env.job('respec')!.status!.training!.jobId!;
    env.editSpec('respec', (spec) => (spec.dataset.classes = ['a', 'b', 'c']));
    await waitFor(
      'old round cancelled',
      () => env.trainer.cancelled.some((c) => c.jobId === oldJobId),
      20_000,
    );
    const restarted = await waitFor('restarted round queued', () => {
      const t = env.job('respec')?.status?.training;
      return t && t.jobId !== oldJobId && t.generation === 2 ? t : null;
    });
    expect(restarted.round).toBe(0);
    expect(oldJobId).toMatch(/\.r0\.g1$/);
    expect(training('respec')).toMatchObject({ reason: 'TrainingRestarted', observedGeneration: 2 });
    expect(training('respec')?.message).toMatch(/generation 2 .*was training from generation 1/);
    await waitFor('TrainingRestarted event', () =>
      events('respec').some(
        (e) => e.reason === 'TrainingRestarted' && /generation 2 changed/.test(e.message ?? ''),
      ),
    );
    expect(env.trainer.cancelled.find((c) => c.jobId === oldJobId)?.reason).toMatch(/spec changed/);

    release();
    await waitFor('serving v0', () => env.job('respec')?.status?.phase === 'Serving', 20_000);
    const job = env.job('respec')!;
    expect(job.status?.currentModel?.version).toBe('v0');
    // The model came from the round queued for generation 2, which the trainer got with the new classes.
    const trainedBy = job.status!.training!.jobId!;
    expect(trainedBy).toBe(restarted.jobId);
    expect(env.trainer.seen[env.trainer.seenIds.indexOf(trainedBy)].dataset.classes).toEqual(['a', 'b', 'c']);
    expect(training('respec')).toMatchObject({ reason: 'TrainingSucceeded', observedGeneration: 2 });
    expect(training('respec')?.message).toMatch(/from generation 2/);
  });

  it('a spec change that does not shape training leaves the running round alone', async () => {
    holdTrainer();
    env.createJob('tweak');
    await waitFor('round 0 running', () => env.job('tweak')?.status?.training?.state === 'Active', 20_000);
    const jobId = env.job('tweak')!.status!.training!.jobId!;
    env.editSpec('tweak', (spec) => (spec.rollout = { ...spec.rollout, soakSeconds: 5 }));
    // The round's inputs are those of generation 2 as well, so it is reported as such.
    await waitFor('round follows generation 2', () => env.job('tweak')?.status?.training?.generation === 2);
    expect(env.job('tweak')!.status!.training!.jobId).toBe(jobId);
    release();
    await waitFor('serving v0', () => env.job('tweak')?.status?.phase === 'Serving', 20_000);
    expect(env.trainer.cancelled.some((c) => c.jobId === jobId)).toBe(false);
    expect(training('tweak')).toMatchObject({ reason: 'TrainingSucceeded', observedGeneration: 2 });
    expect(events('tweak').some((e) => e.reason === 'TrainingRestarted')).toBe(false);
  });
});
