import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { API_VERSION, KIND, type SingleTaskLearningJob } from '../../lib/api/v1alpha1/index.js';
import { writeSyntheticDataset } from '../../lib/builtin-algorithms/fpn/index.js';
import { createLogger } from '../../lib/log.js';
import { createObjectStore } from '../../lib/storage/minio-object-store.js';
import { startTrainer, type Trainer } from '../../cloud-trainer/trainer-worker.js';
import { mintNodeToken } from '../../operator/coordination/tokens.js';
import { startEdgeAgent, type RunningEdgeAgent } from '../../edge-agent/server.js';
import { startLabeling, type LabelingService } from '../../labeling/server.js';
import { seedDataset } from '../../local/seed-dataset.js';
import { runSimulatedCamera, type CameraStats } from '../../local/simulated-camera.js';
import { BullmqTrainingQueue } from '../../operator/adapters/bullmq-training-queue.js';
import { KubeJobStore } from '../../operator/adapters/kube-job-store.js';
import { startOperator, type RunningOperator } from '../../operator/operator.js';
import { redisConnection } from '../../lib/infra/index.js';
import type { FakeKubeApiServer } from '../support/fake-kube-apiserver.js';
import { testRedisUrl, testS3Config, testStore, uniqueBucket } from '../support/env.js';
import { credentialsSecret, startFakeCluster } from './support/fake-cluster.js';
import { waitFor } from './support/wait.js';

const TIMEOUT_MS = 420_000;

/**
 * End to end in cluster mode: the job is created through the (fake) Kubernetes API and the operator
 * runs on KubeJobStore, with the real trainer (tiny FPN), the labeling service in auto mode and two
 * real edge agents fed by simulated cameras, over real Redis and real S3.
 */
const E2E_AGENT_KEY = 'e2e-agent-key-0123456789';

describe('end to end: apply → round 0 → serving → samples → labels → round 1 → canary → rollout', () => {
  const log = createLogger('e2e-operator', { level: process.env.LOG_LEVEL ?? 'warn' });
  const closers: Array<() => Promise<unknown>> = [];
  let api: FakeKubeApiServer;
  let dir: string;

  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'ends with both agents on v1',
    async () => {
      dir = await mkdtemp(join(tmpdir(), 'e2e-op-'));
      const datasetDir = join(dir, 'dataset');
      await writeSyntheticDataset(join(datasetDir, 'train_data'), { images: 16, seed: 1 });
      await writeSyntheticDataset(join(datasetDir, 'test_data'), { images: 8, seed: 2 });
      const s3 = testS3Config();
      const store = testStore();
      const bucket = uniqueBucket('e2e-op');
      await store.ensureBucket(bucket);
      const trainIndex = `s3://${bucket}/datasets/tiny/train_data/index.txt`;
      const testIndex = `s3://${bucket}/datasets/tiny/test_data/index.txt`;
      await seedDataset(
        store,
        [
          { uri: trainIndex, localIndex: join(datasetDir, 'train_data', 'index.txt') },
          { uri: testIndex, localIndex: join(datasetDir, 'test_data', 'index.txt') },
        ],
        log,
      );

      const cluster = await startFakeCluster();
      api = cluster.api;
      closers.push(() => api.close());
      api.seed('secrets', credentialsSecret('default', 's3', s3.accessKey, s3.secretKey));
      for (const n of ['edge-1', 'edge-2'])
        api.seed('nodes', {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: { name: n, labels: { 'edgestl.io/line': 'tiny' } },
        });

      const redisUrl = testRedisUrl();
      const queuePrefix = `e2e-op-${Date.now()}`;
      const operator: RunningOperator = await startOperator({
        jobs: new KubeJobStore({ kubeConfig: cluster.kubeConfig, log }),
        queue: new BullmqTrainingQueue({ connection: redisConnection(redisUrl), prefix: queuePrefix, log }),
        objectStores: (c) =>
          createObjectStore({ endpoint: s3.endpoint, accessKey: c.accessKey, secretKey: c.secretKey }),
        agentAuth: { nodeKey: E2E_AGENT_KEY },
        heartbeatIntervalSeconds: 1,
        log,
      });
      closers.push(() => operator.close());
      const trainer: Trainer = await startTrainer({
        redisUrl,
        store,
        queuePrefix,
        workDir: join(dir, 'trainer'),
        checkpointEvery: 20,
        opsPort: null,
        logger: log,
      });
      closers.push(() => trainer.close());
      const ref = { namespace: 'default', name: 'tiny' };
      const classes = ['Bad_podu', 'Bad_qiaojiao'];
      const labeling: LabelingService = await startLabeling({
        bucket,
        token: 'e2e-labeling-token',
        jobs: () => [{ namespace: ref.namespace, job: ref.name, classes, mode: 'auto' }],
        store,
        redisUrl,
        port: 0,
        host: '127.0.0.1',
        auto: { intervalMs: 1000, groundTruthIndexes: [trainIndex, testIndex] },
        workDir: join(dir, 'labeling'),
        logger: log,
      });
      closers.push(() => labeling.close());

      // 1. Apply the job through the API server.
      const job: SingleTaskLearningJob = {
        apiVersion: API_VERSION,
        kind: KIND,
        metadata: { name: ref.name, namespace: ref.namespace },
        spec: {
          algorithm: { name: 'FPN', hyperparameters: { preset: 'tiny' } },
          dataset: { trainIndex, testIndex, classes, trainFraction: 0.5 },
          storage: { bucket, credentialsSecret: 's3' },
          edge: {
            nodeSelector: { 'edgestl.io/line': 'tiny' },
            sampling: { strategy: 'all', maxPerMinute: 0 },
          },
          labeling: { mode: 'auto' },
          trigger: { minNewSamples: 4, checkPeriodSeconds: 1 },
          // The loop's mechanics are under test, not tiny-model accuracy (fine-tuning on a few
          // generated images may lose a little F1): deploy every round.
          evaluation: { metric: 'f1_score', operator: '>=', minImprovement: -1 },
          rollout: { strategy: 'canary', canaryNodes: 1, soakSeconds: 2, autoRollback: true },
          runPolicy: { maxRounds: 1 },
        },
      };
      const custom = cluster.kubeConfig.makeApiClient(CustomObjectsApi);
      await custom.createNamespacedCustomObject({
        group: 'edgestl.io',
        version: 'v1alpha1',
        namespace: 'default',
        plural: 'singletasklearningjobs',
        body: job,
      });

      // 2. Two edge agents (no labels sent: the Node objects' labels select them).
      const agents: RunningEdgeAgent[] = [];
      for (const node of ['edge-1', 'edge-2']) {
        const agent = await startEdgeAgent(
          {
            node,
            host: '127.0.0.1',
            port: 0,
            dataDir: join(dir, 'agents', node),
            bucket,
            operatorUrl: operator.coordinationUrl,
            // Each node its own token; no S3 keys: samples go up by the operator's presigned URLs.
            operatorToken: mintNodeToken(E2E_AGENT_KEY, node),
            job: ref,
            limits: { heartbeatIntervalSeconds: 1, maxBackoffMs: 2000 },
          },
          { log, store: null },
        );
        agents.push(agent);
        closers.push(() => agent.close());
      }
      const get = (): SingleTaskLearningJob =>
        api.store.get(
          api.resource('singletasklearningjobs'),
          'default',
          'tiny',
        ) as unknown as SingleTaskLearningJob;
      await waitFor(
        'round 0 serving on both nodes',
        () =>
          get().status?.phase === 'Serving' &&
          get().status?.edgeNodes?.filter((n) => n.modelVersion === 'v0').length === 2,
        240_000,
        500,
      );

      // 3. Cameras feed the agents; samples flow to S3, get auto-labeled, and trigger round 1.
      const images = (await readdir(join(datasetDir, 'test_data', 'JPEGImages'))).map((f) =>
        join(datasetDir, 'test_data', 'JPEGImages', f),
      );
      const abort = new AbortController();
      const stats: CameraStats[] = agents.map(() => ({ sent: 0, ok: 0, failed: 0, byStatus: {} }));
      const cameras = agents.map((a, i) =>
        runSimulatedCamera({ agentUrl: a.url, images, rate: 4, signal: abort.signal }, stats[i]),
      );
      closers.push(async () => {
        abort.abort();
        await Promise.all(cameras);
      });
      let sawCanary = false;
      await waitFor(
        'both agents on v1',
        () => {
          const nodes = get().status?.edgeNodes ?? [];
          if (
            get().status?.rollout?.phase === 'Canary' &&
            nodes.some((n) => n.modelVersion === 'v1') &&
            nodes.some((n) => n.modelVersion === 'v0')
          )
            sawCanary = true;
          return nodes.filter((n) => n.modelVersion === 'v1' && n.modelState === 'Loaded').length === 2;
        },
        300_000,
        200,
      );
      const final = get();
      expect(sawCanary).toBe(true);
      expect(final.status?.samples?.labeled).toBeGreaterThanOrEqual(4);
      expect(final.status?.models?.map((m) => [m.version, m.state])).toEqual([
        ['v0', 'Superseded'],
        ['v1', 'Deployed'],
      ]);
      await waitFor('Completed', () => get().status?.phase === 'Completed', 30_000);
      expect(stats.every((s) => s.ok > 0)).toBe(true);
    },
    TIMEOUT_MS,
  );
});
