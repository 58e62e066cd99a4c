import { join } from 'node:path';
import { startTrainer } from '../cloud-trainer/trainer-worker.js';
import { startEdgeAgent, type RunningEdgeAgent } from '../edge-agent/server.js';
import { startLabeling, type LabelingService } from '../labeling/server.js';
import { redisConnection } from '../lib/infra/index.js';
import { createObjectStore } from '../lib/storage/index.js';
import { BullmqTrainingQueue } from '../operator/adapters/bullmq-training-queue.js';
import { LocalJobStore } from '../operator/adapters/local-job-store.js';
import { mintNodeToken } from '../operator/coordination/tokens.js';
import { startOperator, type RunningOperator } from '../operator/operator.js';
import type { TrainingQueue } from '../operator/ports/training-queue.js';
import type { CloseStack } from './close-stack.js';
import { startEmbeddedServices, type EmbeddedServices } from './embedded-services.js';
import { applyJob, persistentSecret, prepareLocalJob, type LocalJob } from './run-setup.js';
import type { UpOptions } from './up.js';

const DEFAULT_QUEUE_PREFIX = 'edge-stl-local';
// One machine, a few minutes: agents report every 2 s instead of the cluster's 10 s.
export const LOCAL_HEARTBEAT_SECONDS = 2;

type StackOptions = Pick<
  UpOptions,
  'jobFile' | 'stateDir' | 'profile' | 'data' | 'labelMode' | 'agents' | 'log' | 'queuePrefix'
>;

/** Everything a local run has started, up to the edge agents. */
export interface LocalStack extends LocalJob {
  services: EmbeddedServices;
  jobs: LocalJobStore;
  /** The operator's training queue (the operator closes it). */
  queue: TrainingQueue;
  labeling: LabelingService;
  /** The labeling UI's address with its token. */
  labelingUrl: string;
  agents: RunningEdgeAgent[];
}

/**
 * Starts what the cluster mode runs, on one machine: Redis and S3 (reused or embedded), the
 * operator on a LocalJobStore, one trainer worker, the labeling service and N edge agents. Each
 * part goes on `closers` as soon as it runs.
 */
export async function startLocalStack(options: StackOptions, closers: CloseStack): Promise<LocalStack> {
  const services = await startEmbeddedServices(options.stateDir, options.log);
  closers.push(() => services.stop());
  const local = await prepareLocalJob({ ...options, store: services.store });
  const ctx: StackContext = { ...options, ...local, services, closers };
  // Each agent gets its own node token minted from this key, as in a cluster: no shared token.
  const agentKey = await persistentSecret(options.stateDir, 'agent-key');
  const nodes = Array.from({ length: options.agents }, (_, i) => `edge-${i}`);
  const { jobs, queue, operator } = await startCloud(ctx, nodes, agentKey);
  const { labeling, labelingUrl } = await startLocalLabeling(ctx);
  const agents = await startAgents(ctx, nodes, agentKey, operator);
  return { ...local, services, jobs, queue, labeling, labelingUrl, agents };
}

/** What each part is started from. */
type StackContext = StackOptions & LocalJob & { services: EmbeddedServices; closers: CloseStack };

/** The cloud side: the operator on a LocalJobStore holding the job, and one trainer worker. */
async function startCloud(
  ctx: StackContext,
  nodes: string[],
  agentKey: string,
): Promise<{ jobs: LocalJobStore; queue: TrainingQueue; operator: RunningOperator }> {
  const { job, ref, services, stateDir, log } = ctx;
  const nodeLabels = (job.spec.edge?.nodeSelector ?? {}) as Record<string, string>;
  const jobs = new LocalJobStore({
    dir: join(stateDir, 'jobs'),
    log,
    secrets: {
      [`${ref.namespace}/${job.spec.storage.credentialsSecret}`]: {
        accessKey: services.s3.accessKey,
        secretKey: services.s3.secretKey,
      },
    },
    nodes: Object.fromEntries(nodes.map((n) => [n, nodeLabels])),
  });
  await applyJob(join(stateDir, 'jobs'), job);

  const queuePrefix = ctx.queuePrefix ?? DEFAULT_QUEUE_PREFIX;
  const queue = new BullmqTrainingQueue({
    connection: redisConnection(services.redisUrl),
    prefix: queuePrefix,
    log,
  });
  const operator = await startOperator({
    jobs,
    queue,
    objectStores: (credentials) => createObjectStore({ ...services.s3, ...credentials }),
    agentAuth: { nodeKey: agentKey },
    heartbeatIntervalSeconds: LOCAL_HEARTBEAT_SECONDS,
    resyncSeconds: 5,
    log,
  });
  ctx.closers.push(() => operator.close());

  const trainer = await startTrainer({
    redisUrl: services.redisUrl,
    store: services.store,
    queuePrefix,
    workDir: join(stateDir, 'trainer'),
    checkpointEvery: 20,
    opsPort: null,
    logger: log,
  });
  ctx.closers.push(() => trainer.close());
  return { jobs, queue, operator };
}

/** The labeling service for the job; auto mode answers from the stream's annotations. */
async function startLocalLabeling(
  ctx: StackContext,
): Promise<{ labeling: LabelingService; labelingUrl: string }> {
  const { job, ref, services } = ctx;
  const token = await persistentSecret(ctx.stateDir, 'labeling');
  const labeling = await startLabeling({
    bucket: job.spec.storage.bucket,
    token,
    jobs: () => [
      { namespace: ref.namespace, job: ref.name, classes: job.spec.dataset.classes, mode: ctx.labelMode },
    ],
    store: services.store,
    redisUrl: services.redisUrl,
    port: 0,
    host: '127.0.0.1',
    auto: { intervalMs: 2000, groundTruthIndexes: ctx.streamUri ? [ctx.streamUri] : [] },
    workDir: join(ctx.stateDir, 'labeling'),
    logger: ctx.log,
  });
  ctx.closers.push(() => labeling.close());
  return { labeling, labelingUrl: `${labeling.url}/?token=${token}` };
}

/** One edge agent per node, each with its own node token, talking to the operator over loopback. */
async function startAgents(
  ctx: StackContext,
  nodes: string[],
  agentKey: string,
  operator: RunningOperator,
): Promise<RunningEdgeAgent[]> {
  const agents: RunningEdgeAgent[] = [];
  ctx.closers.push(async () => {
    await Promise.all(agents.map((agent) => agent.close()));
  });
  for (const node of nodes) {
    const agent = await startEdgeAgent(
      {
        node,
        host: '127.0.0.1',
        port: 0,
        dataDir: join(ctx.stateDir, 'agents', node),
        bucket: ctx.job.spec.storage.bucket,
        // Loopback, one process: plain HTTP. Samples go up by presigned URLs (agents hold no S3 keys).
        operatorUrl: operator.coordinationUrl,
        operatorToken: mintNodeToken(agentKey, node),
        job: ctx.ref,
        // Nothing outlives a local run: a connection still open after 3 s is not worth waiting for.
        limits: {
          heartbeatIntervalSeconds: LOCAL_HEARTBEAT_SECONDS,
          maxBackoffMs: 5000,
          shutdownTimeoutMs: 3000,
        },
      },
      { log: ctx.log, store: null },
    );
    agents.push(agent);
  }
  return agents;
}
