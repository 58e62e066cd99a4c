import { createHash, randomBytes } from 'node:crypto';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { Queue } from 'bullmq';
import { API_VERSION, KIND } from '../../../lib/api/v1alpha1/index.js';
import type { SingleTaskLearningJob, SingleTaskLearningJobSpec } from '../../../lib/api/v1alpha1/index.js';
import { createLogger } from '../../../lib/log.js';
import { TRAINING_QUEUE } from '../../../lib/queue/training-queue.js';
import { SHA256_METADATA_KEY, modelKey } from '../../../lib/storage/layout.js';
import { createObjectStore } from '../../../lib/storage/minio-object-store.js';
import type { ObjectStore } from '../../../lib/storage/object-store.js';
import { BullmqTrainingQueue } from '../../../operator/adapters/bullmq-training-queue.js';
import { KubeJobStore } from '../../../operator/adapters/kube-job-store.js';
import { KubeLeaseElector } from '../../../operator/adapters/kube-lease-elector.js';
import { mintNodeToken } from '../../../operator/coordination/tokens.js';
import { startOperator, type OperatorConfig, type RunningOperator } from '../../../operator/operator.js';
import { redisConnection } from '../../../lib/infra/index.js';
import type { FakeKubeApiServer, KObj } from '../../support/fake-kube-apiserver.js';
import { testRedisUrl, testS3Config, testStore, uniqueBucket } from '../../support/env.js';
import { credentialsSecret, kubeConfigFor, startFakeCluster } from './fake-cluster.js';
import { SimAgent } from './sim-agent.js';
import { SimTrainer } from './sim-trainer.js';

/** The operator's key node tokens are minted from (each SimAgent gets its own node's token). */
export const AGENT_KEY = 'test-agent-key-0123456789';
export const NS = 'default';

/** A fake cluster, a bucket with a dataset, a simulated trainer, and operators on demand. */
export interface OperatorEnv {
  api: FakeKubeApiServer;
  bucket: string;
  store: ObjectStore;
  prefix: string;
  trainer: SimTrainer;
  operators: RunningOperator[];
  agents: SimAgent[];
  /** `apiUrl` points the operator's Kubernetes clients elsewhere (e.g. a FreezeProxy in front of `api`). */
  startOperator(
    extra?: Partial<OperatorConfig> & {
      lease?: { identity: string; durationSeconds: number; renewDeadlineMs?: number };
      apiUrl?: string;
    },
  ): Promise<RunningOperator>;
  createJob(name: string, spec?: Partial<SingleTaskLearningJobSpec>): KObj;
  /** Deletes a job through the API (as kubectl would: the finalizer then runs). */
  deleteJob(name: string): Promise<void>;
  /** Edits a job's spec in place (a new generation). */
  editSpec(name: string, edit: (spec: SingleTaskLearningJobSpec) => void): void;
  job(name: string): SingleTaskLearningJob | null;
  /** A simulated agent of `node`, whose Node object (created if missing) carries `labels`. */
  agent(node: string, labels: Record<string, string> | undefined, op?: () => RunningOperator): SimAgent;
  /** Creates the Node object `node` with `labels` unless it exists. */
  node(node: string, labels?: Record<string, string>): void;
  trainingJobs(name: string): Promise<number>;
  close(): Promise<void>;
}

export function baseSpec(bucket: string): SingleTaskLearningJobSpec {
  return {
    dataset: {
      trainIndex: `s3://${bucket}/datasets/d/train/index.txt`,
      testIndex: `s3://${bucket}/datasets/d/test/index.txt`,
      classes: ['a', 'b'],
    },
    storage: { bucket, credentialsSecret: 's3' },
    edge: { nodeSelector: { line: 'a' } },
    trigger: { minNewSamples: 2, checkPeriodSeconds: 1 },
    rollout: { strategy: 'all', soakSeconds: 0 },
    runPolicy: { maxRounds: 3 },
  };
}

export async function startOperatorEnv(
  name: string,
  metric: (round: number) => number = (r) => 0.5 + r * 0.1,
): Promise<OperatorEnv> {
  const { api, kubeConfig, url } = await startFakeCluster();
  const s3 = testS3Config();
  const store = testStore();
  const bucket = uniqueBucket(`op-${name}`);
  await store.ensureBucket(bucket);
  await store.putObject(bucket, 'datasets/d/train/index.txt', 'JPEGImages/1.jpg Annotations/1.xml\n');
  await store.putObject(bucket, 'datasets/d/test/index.txt', 'JPEGImages/2.jpg Annotations/2.xml\n');
  api.seed('secrets', credentialsSecret(NS, 's3', s3.accessKey, s3.secretKey));
  const prefix = `op-${name}-${randomBytes(4).toString('hex')}`;
  const connection = redisConnection(testRedisUrl());
  const trainer = new SimTrainer({ connection, prefix, store, metric });
  const log = createLogger(`operator-test-${name}`, { level: process.env.LOG_LEVEL ?? 'silent' });
  const operators: RunningOperator[] = [];
  const agents: SimAgent[] = [];
  const env: OperatorEnv = {
    api,
    bucket,
    store,
    prefix,
    trainer,
    operators,
    agents,
    async startOperator(extra = {}) {
      const { lease, apiUrl, ...rest } = extra;
      // An operator with a lease identity sends it as its token: the call log tells who called.
      const opKubeConfig = lease || apiUrl ? kubeConfigFor(apiUrl ?? url, lease?.identity) : kubeConfig;
      const op = await startOperator({
        jobs: new KubeJobStore({ kubeConfig: opKubeConfig, log, staleAfterMs: 60_000 }),
        queue: new BullmqTrainingQueue({ connection, prefix, log }),
        objectStores: (c) =>
          createObjectStore({ endpoint: s3.endpoint, accessKey: c.accessKey, secretKey: c.secretKey }),
        agentAuth: { nodeKey: AGENT_KEY },
        heartbeatIntervalSeconds: 1,
        staleAfterSeconds: 3,
        log,
        ...(lease
          ? {
              elector: new KubeLeaseElector({
                kubeConfig: opKubeConfig,
                log,
                namespace: NS,
                name: 'edge-stl-operator',
                identity: lease.identity,
                leaseDurationSeconds: lease.durationSeconds,
                ...(lease.renewDeadlineMs ? { renewDeadlineMs: lease.renewDeadlineMs } : {}),
                retryPeriodMs: 200,
              }),
            }
          : {}),
        ...rest,
      });
      operators.push(op);
      return op;
    },
    createJob(jobName, spec = {}) {
      return api.seed('singletasklearningjobs', {
        apiVersion: API_VERSION,
        kind: KIND,
        metadata: { name: jobName, namespace: NS },
        spec: { ...baseSpec(bucket), ...spec },
      });
    },
    async deleteJob(jobName) {
      await kubeConfigFor(url).makeApiClient(CustomObjectsApi).deleteNamespacedCustomObject({
        group: 'edgestl.io',
        version: 'v1alpha1',
        namespace: NS,
        plural: 'singletasklearningjobs',
        name: jobName,
      });
    },
    editSpec(jobName, edit) {
      const job = structuredClone(env.job(jobName));
      if (!job?.spec) throw new Error(`no job ${jobName} to edit`);
      edit(job.spec);
      const resource = api.resource('singletasklearningjobs');
      api.store.update(resource, NS, jobName, job as unknown as KObj, undefined, false);
    },
    job(jobName) {
      try {
        return api.store.get(
          api.resource('singletasklearningjobs'),
          NS,
          jobName,
        ) as unknown as SingleTaskLearningJob;
      } catch {
        return null;
      }
    },
    node(node, labels = {}) {
      try {
        api.store.get(api.resource('nodes'), undefined, node);
      } catch {
        api.seed('nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: node, labels } });
      }
    },
    agent(node, labels, op) {
      env.node(node, labels);
      const a = new SimAgent(
        node,
        () => (op ? op() : operators[operators.length - 1]).coordinationUrl,
        mintNodeToken(AGENT_KEY, node),
      );
      agents.push(a);
      return a;
    },
    async trainingJobs(jobName) {
      const q = new Queue(TRAINING_QUEUE, { connection, prefix });
      const jobs = await q.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized']);
      await q.close();
      return jobs.filter((j) => j?.data?.job === jobName).length;
    },
    async close() {
      for (const a of agents) a.stop();
      for (const op of operators) await op.close().catch(() => undefined);
      await trainer.close();
      await api.close();
    },
  };
  return env;
}

/** Uploads a model.zip stand-in for `job` as round 0 (sha256 in its metadata); returns its URI for `initialModel`. */
export async function putInitialModel(env: OperatorEnv, job: string): Promise<string> {
  const key = modelKey(NS, job, 0);
  const body = Buffer.from(`initial ${job}`);
  await env.store.putObject(env.bucket, key, body, {
    metadata: { [SHA256_METADATA_KEY]: createHash('sha256').update(body).digest('hex') },
  });
  return `s3://${env.bucket}/${key}`;
}
