import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, QueueEvents, type Job } from 'bullmq';
import { registerBuiltins } from '../../lib/builtin-algorithms/register.js';
import { startTrainer } from '../../cloud-trainer/trainer-worker.js';
import { readManifest } from '../../lib/model-package/index.js';
import {
  trainingJobId,
  type TrainingJobData,
  type TrainingJobResult,
} from '../../lib/queue/training-queue.js';
import { modelKey } from '../../lib/storage/layout.js';
import type { ObjectStore } from '../../lib/storage/object-store.js';
import { testRedisUrl, testStore, uniqueBucket } from '../support/env.js';
import { TINY_CLASSES, uploadTinyDataset } from './tiny-dataset.js';

const NS = 'demo';
const MAX_ITERATION = 18;
const CHECKPOINT_EVERY = 3;
const LOCK_MS = 3000;

describe('cloud trainer crash recovery', () => {
  let store: ObjectStore;
  let bucket: string;
  let dir: string;
  let queue: Queue<TrainingJobData, TrainingJobResult>;
  let events: QueueEvents;
  let trainIndex: string;
  let testIndex: string;
  const prefix = `hf-recovery-${Date.now()}`;
  const children: ChildProcess[] = [];
  const childErrors = new Map<ChildProcess, () => string>();

  function data(job: string): TrainingJobData {
    return {
      namespace: NS,
      job,
      round: 1,
      bucket,
      algorithm: { name: 'FPN', hyperparameters: { preset: 'tiny', max_iteration: MAX_ITERATION } },
      dataset: { trainIndex, testIndex, classes: TINY_CLASSES },
      evaluation: { metric: 'f1_score' },
    };
  }

  /** The real `edge-stl trainer` CLI in its own process. */
  function spawnTrainer(workDir: string): ChildProcess {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'test/cloud-trainer/fixtures/run-cli.ts',
        'trainer',
        ...['--queue', prefix, '--prefix', prefix, '--work-dir', workDir],
        ...[
          '--checkpoint-every',
          String(CHECKPOINT_EVERY),
          '--lock-duration',
          String(LOCK_MS),
          '--stalled-interval',
          '1000',
        ],
        '--no-ops',
      ],
      { env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    childErrors.set(child, () => stderr);
    children.push(child);
    return child;
  }

  /** Resolves once the job has saved a checkpoint (its resume point is in the job data). */
  async function waitForCheckpoint(
    id: string,
    child: ChildProcess,
    timeoutMs = 90_000,
  ): Promise<Job<TrainingJobData>> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null)
        throw new Error(`trainer exited with ${child.exitCode}: ${childErrors.get(child)?.()}`);
      const job = await queue.getJob(id);
      if (job?.data.checkpoint && job.data.checkpoint.iteration > 0) return job;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`job ${id} saved no checkpoint in ${timeoutMs} ms`);
  }

  function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (child.exitCode !== null || child.signalCode !== null)
      return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
    return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  async function finishInProcess(id: string): Promise<{ result: TrainingJobResult; logs: string[] }> {
    const trainer = await startTrainer({
      redisUrl: testRedisUrl(),
      store,
      queueName: prefix,
      queuePrefix: prefix,
      workDir: join(dir, 'b'),
      checkpointEvery: CHECKPOINT_EVERY,
      lockDurationMs: LOCK_MS,
      stalledIntervalMs: 1000,
    });
    try {
      const job = (await queue.getJob(id))!;
      const result = await job.waitUntilFinished(events, 120_000);
      return { result, logs: (await queue.getJobLogs(id)).logs };
    } finally {
      await trainer.close();
    }
  }

  beforeAll(async () => {
    await registerBuiltins();
    store = testStore();
    bucket = uniqueBucket('trainer-recovery');
    await store.ensureBucket(bucket);
    dir = await mkdtemp(join(tmpdir(), 'hf-recovery-'));
    trainIndex = await uploadTinyDataset(store, bucket, 'datasets/tiny/train', 6, 11);
    testIndex = await uploadTinyDataset(store, bucket, 'datasets/tiny/test', 2, 12);
    const opts = { connection: { url: testRedisUrl() }, prefix };
    queue = new Queue(prefix, opts);
    events = new QueueEvents(prefix, opts);
    await events.waitUntilReady();
  });

  afterAll(async () => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await events?.close();
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a SIGKILLed worker’s job is taken over after the stall check and resumes from its checkpoint', async () => {
    const id = trainingJobId({ namespace: NS, job: 'killed', uid: 'test-uid', round: 1, generation: 1 });
    await queue.add('train', data('killed'), { jobId: id, attempts: 3 });
    const a = spawnTrainer(join(dir, 'a1'));
    const saved = await waitForCheckpoint(id, a);
    a.kill('SIGKILL');
    expect((await exited(a)).signal).toBe('SIGKILL');
    const killedAt = saved.data.checkpoint!.iteration;
    expect(killedAt).toBeLessThan(MAX_ITERATION);

    const { result, logs } = await finishInProcess(id);
    expect(result.version).toBe('v1');
    const resumed = logs.map((l) => /resumed from checkpoint at iteration (\d+)/.exec(l)).find(Boolean);
    expect(resumed).toBeTruthy();
    expect(Number(resumed![1])).toBeGreaterThanOrEqual(killedAt);
    expect(Number(resumed![1])).toBeGreaterThan(0);
    const zip = join(dir, 'killed.zip');
    await store.getFile(bucket, modelKey(NS, 'killed', 1), zip);
    expect((await readManifest(zip)).training?.iterations).toBe(MAX_ITERATION);
  });

  it('SIGTERM checkpoints the running job and hands it back without spending an attempt', async () => {
    const id = trainingJobId({ namespace: NS, job: 'stopped', uid: 'test-uid', round: 1, generation: 1 });
    await queue.add('train', data('stopped'), { jobId: id, attempts: 3 });
    const a = spawnTrainer(join(dir, 'a2'));
    await waitForCheckpoint(id, a);
    const stoppedAt = Date.now();
    a.kill('SIGTERM');
    expect(await exited(a)).toEqual({ code: 0, signal: null });
    expect(Date.now() - stoppedAt).toBeLessThan(LOCK_MS * 3);
    const released = (await queue.getJob(id))!;
    expect(['waiting', 'delayed', 'prioritized']).toContain(await released.getState());
    expect(released.attemptsMade).toBe(0);
    const resumePoint = released.data.checkpoint!.iteration;
    expect(resumePoint).toBeGreaterThan(0);

    const { result, logs } = await finishInProcess(id);
    expect(result.version).toBe('v1');
    expect(logs).toContain(`resumed from checkpoint at iteration ${resumePoint}`);
  });
});
