import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { load as loadYaml, dump as dumpYaml } from 'js-yaml';
import {
  CONDITION_TYPE,
  PHASE,
  TERMINAL_PHASES,
  type SingleTaskLearningJob,
} from '../lib/api/v1alpha1/index.js';
import { TRAINING_QUEUE, type TrainingJobProgress } from '../lib/queue/index.js';
import type { Logger } from '../lib/log.js';
import { assertValidJob } from '../lib/validation/index.js';
import { startTrainer } from '../cloud-trainer/trainer-worker.js';
import { startEdgeAgent, type RunningEdgeAgent } from '../edge-agent/server.js';
import { startLabeling } from '../labeling/server.js';
import { BullmqTrainingQueue } from '../operator/adapters/bullmq-training-queue.js';
import { LocalJobStore } from '../operator/adapters/local-job-store.js';
import { mintNodeToken } from '../operator/coordination/tokens.js';
import { startOperator } from '../operator/operator.js';
import { redisConnection } from '../lib/infra/index.js';
import { createObjectStore, formatS3Uri } from '../lib/storage/index.js';
import { EdgeStlError } from '../lib/errors/index.js';
import { startEmbeddedServices } from './embedded-services.js';
import { applyProfile, type Profile } from './profiles.js';
import { writeRunReport } from './run-report.js';
import { seedDataset } from './seed-dataset.js';
import type { RunData } from './run-data.js';
import { runSimulatedCamera, type CameraStats } from './simulated-camera.js';
import type { PhaseTransition } from './report/run-summary.js';
import { LineWatch } from './line-watch.js';
import { TerminalView, type ViewState } from './terminal-view.js';
import { sleep } from '../lib/sleep.js';

export interface UpOptions {
  jobFile: string;
  /** Redis data, S3 data, job files, agents' disks, trainer cache: a rerun resumes from here. */
  stateDir: string;
  outDir: string;
  profile: Profile;
  /** The run's data (see resolveRunData): seeded into the bucket at the job's URIs when missing. */
  data: RunData;
  labelMode: 'auto' | 'manual';
  agents: number;
  log: Logger;
  signal: AbortSignal;
  view?: TerminalView;
  /** BullMQ key prefix; a run owns its queue (default `edge-stl-local`). */
  queuePrefix?: string;
  /** Called once everything is up (tests use it to kill a run mid-way). */
  onStarted?: (info: { labelingUrl: string; agentUrls: string[] }) => void;
}

export interface UpResult {
  phase: string;
  /** Why the run stopped before the job ended, when it did (the line ran dry). */
  stopReason: string | null;
  reportPath: string | null;
  summaryPath: string | null;
  labelingUrl: string;
}

const DEFAULT_QUEUE_PREFIX = 'edge-stl-local';
/** Phases in which the (one-machine) cloud trains or evaluates: the simulated line pauses. */
const TRAINING_PHASES = new Set<string>([PHASE.Training, PHASE.Evaluating]);

async function readJob(file: string): Promise<SingleTaskLearningJob> {
  const doc = loadYaml(await readFile(file, 'utf8')) as SingleTaskLearningJob;
  assertValidJob(doc);
  return doc;
}

/** Writes the job into the local store's directory; an unchanged spec is left alone (no new generation). */
async function applyJob(jobsDir: string, job: SingleTaskLearningJob): Promise<void> {
  await mkdir(jobsDir, { recursive: true });
  const file = join(jobsDir, `${job.metadata!.name}.yaml`);
  const text = dumpYaml(job);
  if (existsSync(file) && (await readFile(file, 'utf8')) === text) return;
  await writeFile(file, text);
}

async function persistentSecret(stateDir: string, name: string): Promise<string> {
  const file = join(stateDir, `${name}.token`);
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const token = randomBytes(24).toString('hex');
  await writeFile(file, token, { mode: 0o600 });
  return token;
}

/**
 * A state dir holds the bucket seeded from one choice of data; resuming it with other data would
 * mix the two silently, so that is an error.
 */
async function assertSameData(stateDir: string, data: RunData): Promise<void> {
  const file = join(stateDir, 'run-data.json');
  const chosen = JSON.stringify({
    trainIndex: data.trainIndex,
    testIndex: data.testIndex,
    referenceTestIndex: data.referenceTestIndex,
    streamIndex: data.streamIndex,
  });
  if (!existsSync(file)) {
    await writeFile(file, chosen);
    return;
  }
  const before = await readFile(file, 'utf8');
  if (before !== chosen)
    throw new EdgeStlError(
      'STATE_MISMATCH',
      `${stateDir} was started with other data (${before}); pass another --state-dir or remove it`,
    );
}

/**
 * `edge-stl up`: the whole seven-step loop on one machine, through the same code as the cluster
 * mode: the operator on a LocalJobStore, one trainer worker, the labeling service, N edge agents
 * fed by simulated cameras. Returns when the job ends (Completed/Failed) or the signal aborts.
 */
export async function runUp(options: UpOptions): Promise<UpResult> {
  const { log, profile, signal } = options;
  await mkdir(options.stateDir, { recursive: true });
  const services = await startEmbeddedServices(options.stateDir, log);
  const closers: Array<() => Promise<void>> = [() => services.stop()];
  const closeAll = async () => {
    for (const close of closers.reverse())
      await close().catch((err: unknown) => log.warn({ err: String(err) }, 'Close failed'));
  };
  try {
    const userJob = await readJob(options.jobFile);
    const job = applyProfile(userJob, profile);
    job.metadata = { ...job.metadata, namespace: job.metadata?.namespace ?? 'default' };
    job.spec.labeling = { ...job.spec.labeling, mode: options.labelMode };
    const ref = { namespace: job.metadata.namespace!, name: job.metadata.name! };
    const bucket = job.spec.storage.bucket;
    const classes = job.spec.dataset.classes;

    await services.store.ensureBucket(bucket);
    await assertSameData(options.stateDir, options.data);
    // Only the labeling oracle reads the stream's annotations: they stand for a person's answers.
    const streamUri = options.data.streamIndex
      ? formatS3Uri(bucket, `datasets/${ref.namespace}/${ref.name}/stream_data/index.txt`)
      : null;
    await seedDataset(
      services.store,
      [
        { uri: job.spec.dataset.trainIndex, localIndex: options.data.trainIndex },
        { uri: job.spec.dataset.testIndex, localIndex: options.data.testIndex },
        ...(streamUri && options.data.streamIndex
          ? [{ uri: streamUri, localIndex: options.data.streamIndex }]
          : []),
      ],
      log,
    );

    // Each agent gets its own node token minted from this key, as in a cluster: no shared token.
    const agentKey = await persistentSecret(options.stateDir, 'agent-key');
    const labelingToken = await persistentSecret(options.stateDir, 'labeling');
    const nodeLabels = (job.spec.edge?.nodeSelector ?? {}) as Record<string, string>;
    const nodes = Array.from({ length: options.agents }, (_, i) => `edge-${i}`);
    const jobs = new LocalJobStore({
      dir: join(options.stateDir, 'jobs'),
      log,
      secrets: {
        [`${ref.namespace}/${job.spec.storage.credentialsSecret}`]: {
          accessKey: services.s3.accessKey,
          secretKey: services.s3.secretKey,
        },
      },
      nodes: Object.fromEntries(nodes.map((n) => [n, nodeLabels])),
    });
    await applyJob(join(options.stateDir, 'jobs'), job);

    const connection = redisConnection(services.redisUrl);
    const queuePrefix = options.queuePrefix ?? DEFAULT_QUEUE_PREFIX;
    const queue = new BullmqTrainingQueue({ connection, prefix: queuePrefix, log });
    const operator = await startOperator({
      jobs,
      queue,
      objectStores: (credentials) => createObjectStore({ ...services.s3, ...credentials }),
      agentAuth: { nodeKey: agentKey },
      heartbeatIntervalSeconds: 2,
      resyncSeconds: 5,
      log,
    });
    closers.push(() => operator.close());

    const trainer = await startTrainer({
      redisUrl: services.redisUrl,
      store: services.store,
      queuePrefix,
      workDir: join(options.stateDir, 'trainer'),
      checkpointEvery: 20,
      opsPort: null,
      logger: log,
    });
    closers.push(() => trainer.close());

    const labeling = await startLabeling({
      bucket,
      token: labelingToken,
      jobs: () => [{ namespace: ref.namespace, job: ref.name, classes, mode: options.labelMode }],
      store: services.store,
      redisUrl: services.redisUrl,
      port: 0,
      host: '127.0.0.1',
      auto: {
        intervalMs: 2000,
        groundTruthIndexes: streamUri ? [streamUri] : [],
      },
      workDir: join(options.stateDir, 'labeling'),
      logger: log,
    });
    closers.push(() => labeling.close());

    const agents: RunningEdgeAgent[] = [];
    closers.push(async () => {
      await Promise.all(agents.map((agent) => agent.close()));
    });
    for (const node of nodes) {
      const agent = await startEdgeAgent(
        {
          node,
          host: '127.0.0.1',
          port: 0,
          dataDir: join(options.stateDir, 'agents', node),
          bucket,
          // Loopback, one process: plain HTTP. Samples go up by presigned URLs (agents hold no S3 keys).
          operatorUrl: operator.coordinationUrl,
          operatorToken: mintNodeToken(agentKey, node),
          job: ref,
          // Nothing outlives a local run: a connection still open after 3 s is not worth waiting for.
          limits: { heartbeatIntervalSeconds: 2, maxBackoffMs: 5000, shutdownTimeoutMs: 3000 },
        },
        { log, store: null },
      );
      agents.push(agent);
    }
    options.onStarted?.({
      labelingUrl: `${labeling.url}/?token=${labelingToken}`,
      agentUrls: agents.map((a) => a.url),
    });
    log.info({ services: services.describe, labeling: labeling.url }, 'Local mode started');

    const cameraAbort = new AbortController();
    const onAbort = () => cameraAbort.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let phaseNow: string = PHASE.Pending;
    const images = options.data.streamImages;
    const stats: CameraStats[] = agents.map(() => ({ sent: 0, ok: 0, failed: 0, byStatus: {} }));
    const cameras = agents.map((agent, i) =>
      runSimulatedCamera(
        {
          agentUrl: agent.url,
          images: rotate(images, i * 7),
          rate: profile.cameraRate,
          signal: cameraAbort.signal,
          paused: () => TRAINING_PHASES.has(phaseNow),
        },
        stats[i],
      ),
    );
    closers.push(async () => {
      cameraAbort.abort();
      await Promise.all(cameras);
    });

    const progressQueue = new Queue(TRAINING_QUEUE, { connection, prefix: queuePrefix });
    closers.push(() => progressQueue.close());
    const timeline = await loadTimeline(options.stateDir);
    const started = Date.now();
    const lineWatch = new LineWatch(images.length * agents.length);
    let stopReason: string | null = null;
    let current: SingleTaskLearningJob | null = null;
    while (!signal.aborted) {
      current = await jobs.get(ref);
      const status = current?.status;
      const phase = status?.phase ?? PHASE.Pending;
      phaseNow = phase;
      const last = timeline[timeline.length - 1];
      if (!last || last.phase !== phase || last.round !== (status?.round ?? 0)) {
        timeline.push({ at: new Date().toISOString(), phase, round: status?.round ?? 0 });
        await saveTimeline(options.stateDir, timeline);
      }
      const view = await viewState(current, ref, agents, progressQueue, profile, started);
      options.view?.update(view);
      if ((TERMINAL_PHASES as readonly string[]).includes(phase)) break;
      const dry = lineWatch.observe({
        serving: phase === PHASE.Serving && options.labelMode === 'auto',
        sent: stats.reduce((n, s) => n + s.sent, 0),
        labeled: view.samples.labeled,
        labelPasses: labeling.autoPasses(),
        round: view.round,
        now: Date.now(),
      });
      if (dry) {
        stopReason =
          `the cameras' ${images.length} images yield no new hard examples (${triggerMessage(current)}); ` +
          'stream more images with --stream, or lower spec.trigger.minNewSamples or maxRounds';
        log.warn({ stopReason }, 'Line ran dry: stopping');
        break;
      }
      await sleep(1000, signal);
    }
    signal.removeEventListener('abort', onAbort);
    cameraAbort.abort();
    await Promise.all(cameras);

    const phase = current?.status?.phase ?? PHASE.Pending;
    let reportPath: string | null = null;
    let summaryPath: string | null = null;
    if (current && !signal.aborted) {
      ({ reportPath, summaryPath } = await writeRunReport({
        job: current,
        profile: profile.name,
        store: services.store,
        timeline,
        agents: agents.map((a) => a.agent.report()),
        outDir: options.outDir,
        workDir: join(options.stateDir, 'report'),
        data: options.data,
        galleryImages: profile.galleryImages,
        startedAt: timeline[0]?.at ?? new Date(started).toISOString(),
        stopReason,
      }));
    }
    return { phase, stopReason, reportPath, summaryPath, labelingUrl: labeling.url };
  } finally {
    await closeAll();
  }
}

/** The operator's word on the trigger, e.g. "9/15 new labeled samples". */
function triggerMessage(job: SingleTaskLearningJob | null): string {
  const ready = job?.status?.conditions?.find((c) => c.type === CONDITION_TYPE.Ready);
  return ready?.message ?? 'the trigger has not fired';
}

function rotate<T>(list: T[], by: number): T[] {
  const k = list.length ? by % list.length : 0;
  return [...list.slice(k), ...list.slice(0, k)];
}

async function loadTimeline(stateDir: string): Promise<PhaseTransition[]> {
  const file = join(stateDir, 'timeline.json');
  return existsSync(file) ? (JSON.parse(await readFile(file, 'utf8')) as PhaseTransition[]) : [];
}

async function saveTimeline(stateDir: string, timeline: PhaseTransition[]): Promise<void> {
  await writeFile(join(stateDir, 'timeline.json'), JSON.stringify(timeline, null, 1));
}

async function viewState(
  job: SingleTaskLearningJob | null,
  ref: { namespace: string; name: string },
  agents: RunningEdgeAgent[],
  queue: Queue,
  profile: Profile,
  started: number,
): Promise<ViewState> {
  const status = job?.status;
  let training: ViewState['training'] = null;
  if (status?.phase === PHASE.Training && status.training?.jobId) {
    const progress = (await queue.getJob(status.training.jobId))?.progress as TrainingJobProgress | undefined;
    if (progress && typeof progress === 'object' && progress.iteration !== undefined) {
      training = {
        iteration: progress.iteration,
        maxIteration: progress.maxIteration ?? 0,
        loss: progress.loss ?? 0,
        etaSeconds: progress.etaSeconds ?? 0,
        imagesPerSecond: progress.imagesPerSecond ?? 0,
      };
    }
  }
  const reports = agents.map((a) => ({ node: a.config.node, report: a.agent.report().jobs[0] }));
  return {
    job: `${ref.namespace}/${ref.name}`,
    phase: status?.phase ?? PHASE.Pending,
    round: status?.round ?? 0,
    maxRounds: job?.spec.runPolicy?.maxRounds ?? profile.maxRounds,
    currentModel: status?.currentModel?.version
      ? { version: status.currentModel.version, f1: status.currentModel.metrics?.f1_score ?? null }
      : null,
    training,
    samples: {
      kept: reports.reduce(
        (n, r) => n + (r.report ? r.report.samplesQueued + r.report.samplesUploaded : 0),
        0,
      ),
      uploaded: status?.samples?.uploaded ?? 0,
      labeled: status?.samples?.labeled ?? 0,
    },
    agents: reports.map((r) => ({
      node: r.node,
      modelVersion: r.report?.activeModel ?? null,
      state: r.report?.modelState ?? 'NoJob',
      latencyMsP50: r.report?.latencyMsP50 ?? null,
      inferences: r.report?.inferences ?? 0,
    })),
    elapsedSeconds: (Date.now() - started) / 1000,
  };
}
