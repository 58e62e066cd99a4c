import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { SingleTaskLearningJob } from '../../lib/api/v1alpha1/index.js';
import { API_VERSION, GROUP, KIND, PLURAL, VERSION } from '../../lib/api/v1alpha1/index.js';
import { JobWatch } from '../../lib/kube/job-watch.js';
import { createLogger } from '../../lib/log.js';
import { labeledIndexKey } from '../../lib/storage/layout.js';
import type { ObjectStoreFactory, StorageCredentials } from '../../lib/storage/job-storage.js';
import type { ObjectStore } from '../../lib/storage/object-store.js';
import { jobStoreResolver } from '../../cloud-trainer/job-stores.js';
import { clusterLabelingJobs } from '../../labeling/cluster-jobs.js';
import { startLabeling, type LabelingService } from '../../labeling/server.js';
import { BullmqTrainingQueue } from '../../operator/adapters/bullmq-training-queue.js';
import { KubeJobStore } from '../../operator/adapters/kube-job-store.js';
import { mintNodeToken } from '../../operator/coordination/tokens.js';
import { startOperator, type RunningOperator } from '../../operator/operator.js';
import { redisConnection } from '../../lib/infra/index.js';
import type { FakeKubeApiServer } from '../support/fake-kube-apiserver.js';
import { testRedisUrl, testStore, uniqueBucket } from '../support/env.js';
import { onlyBucket } from '../support/only-bucket-store.js';
import { makeJpeg, putSample } from '../labeling/sample-fixtures.js';
import { credentialsSecret, kubeConfigFor, startFakeCluster } from './support/fake-cluster.js';
import { SimAgent } from './support/sim-agent.js';
import { SimTrainer } from './support/sim-trainer.js';
import { waitFor } from './support/wait.js';

const AGENT_KEY = 'multi-job-agent-key-0123456789';
const LABELING_TOKEN = 'multi-job-labeling-token';

/** Two teams, each with its own namespace, bucket, credentials Secret, classes, labeling mode and line. */
const TEAMS = [
  {
    namespace: 'team-a',
    name: 'pcb',
    bucket: uniqueBucket('mj-a'),
    secret: 's3-a',
    credentials: { accessKey: 'team-a-access', secretKey: 'team-a-secret' },
    classes: ['solder', 'scratch'],
    mode: 'manual' as const,
    node: 'edge-a',
    line: 'a',
  },
  {
    namespace: 'team-b',
    name: 'cans',
    bucket: uniqueBucket('mj-b'),
    secret: 'keys-b',
    credentials: { accessKey: 'team-b-access', secretKey: 'team-b-secret' },
    classes: ['dent'],
    mode: 'auto' as const,
    node: 'edge-b',
    line: 'b',
  },
];
type Team = (typeof TEAMS)[number];

/**
 * Each team's keys open only its own bucket, as per-team S3 users would: a store that reaches for
 * another bucket fails. (The embedded S3 has one account, so the team keys map to it here.)
 */
function perTeamStores(real: ObjectStore, used: string[]): ObjectStoreFactory {
  return (c: StorageCredentials) => {
    const team = TEAMS.find(
      (t) => t.credentials.accessKey === c.accessKey && t.credentials.secretKey === c.secretKey,
    );
    if (!team) throw new Error(`unknown S3 credentials ${c.accessKey}`);
    used.push(team.secret);
    return onlyBucket(real, team.bucket);
  };
}

function jobObject(team: Team): SingleTaskLearningJob {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: team.name, namespace: team.namespace },
    spec: {
      dataset: {
        trainIndex: `s3://${team.bucket}/datasets/d/train/index.txt`,
        testIndex: `s3://${team.bucket}/datasets/d/test/index.txt`,
        classes: team.classes,
      },
      storage: { bucket: team.bucket, credentialsSecret: team.secret },
      edge: { nodeSelector: { line: team.line } },
      labeling: { mode: team.mode },
      trigger: { minNewSamples: 100, checkPeriodSeconds: 1 },
      rollout: { strategy: 'all', soakSeconds: 0 },
      runPolicy: { maxRounds: 1 },
    },
  };
}

/** What a client (told apart by its bearer token) asked of the API server. */
function callsBy(api: FakeKubeApiServer, token: string): string[] {
  return [
    ...new Set(
      api.calls
        .filter((c) => c.token === token)
        .map(
          (c) =>
            `${c.verb} ${c.resource}${c.namespace ? ` ${c.namespace}` : ''}${c.name ? `/${c.name}` : ''}`,
        ),
    ),
  ].sort();
}

describe('one kubectl apply per job: two jobs in two namespaces, no per-job settings, no restarts', () => {
  const log = createLogger('multi-job', { level: process.env.LOG_LEVEL ?? 'silent' });
  const closers: Array<() => Promise<unknown>> = [];
  let api: FakeKubeApiServer;
  let kubeConfig: KubeConfig;
  let labeling: LabelingService;
  let operator: RunningOperator;
  let dir: string;
  const real = testStore();
  const usedByLabeling: string[] = [];
  const usedByTrainer: string[] = [];
  const homeBucket = uniqueBucket('mj-home');

  const http = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(labeling.url + path, {
      ...init,
      headers: { authorization: `Bearer ${LABELING_TOKEN}`, 'content-type': 'application/json' },
    });
    return { status: res.status, body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const jobs = async () =>
    ((await http('/api/jobs')).body.jobs as Array<{ namespace: string; job: string }>).sort((a, b) =>
      a.namespace.localeCompare(b.namespace),
    );
  const phase = (t: Team): string | undefined =>
    (
      api.store.get(
        api.resource('singletasklearningjobs'),
        t.namespace,
        t.name,
      ) as unknown as SingleTaskLearningJob
    ).status?.phase;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'multi-job-'));
    for (const bucket of [...TEAMS.map((t) => t.bucket), homeBucket]) await real.ensureBucket(bucket);
    for (const t of TEAMS) {
      await real.putObject(t.bucket, 'datasets/d/train/index.txt', 'JPEGImages/1.jpg Annotations/1.xml\n');
      await real.putObject(t.bucket, 'datasets/d/test/index.txt', 'JPEGImages/2.jpg Annotations/2.xml\n');
    }
    const cluster = await startFakeCluster();
    api = cluster.api;
    kubeConfig = cluster.kubeConfig;
    closers.push(() => api.close());
    for (const t of TEAMS) {
      api.seed(
        'secrets',
        credentialsSecret(t.namespace, t.secret, t.credentials.accessKey, t.credentials.secretKey),
      );
      api.seed('nodes', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: t.node, labels: { line: t.line } },
      });
    }

    // Every component starts before any job exists; none is told about a job.
    const connection = redisConnection(testRedisUrl());
    const prefix = `multi-job-${Date.now()}`;
    operator = await startOperator({
      jobs: new KubeJobStore({ kubeConfig: kubeConfigFor(cluster.url, 'operator'), log }),
      queue: new BullmqTrainingQueue({ connection, prefix, log }),
      objectStores: perTeamStores(real, []),
      agentAuth: { nodeKey: AGENT_KEY },
      heartbeatIntervalSeconds: 1,
      log,
    });
    closers.push(() => operator.close());

    // The trainer and labeling read jobs as their CLI commands do: a read-only watch.
    const trainerJobs = new JobWatch({ kubeConfig: kubeConfigFor(cluster.url, 'trainer'), log });
    await trainerJobs.start();
    closers.push(() => trainerJobs.stop());
    const trainer = new SimTrainer({
      connection,
      prefix,
      store: onlyBucket(real, homeBucket),
      storeFor: jobStoreResolver(trainerJobs, perTeamStores(real, usedByTrainer)),
      metric: () => 0.5,
    });
    closers.push(() => trainer.close());

    const labelingJobs = new JobWatch({ kubeConfig: kubeConfigFor(cluster.url, 'labeling'), log });
    await labelingJobs.start();
    closers.push(() => labelingJobs.stop());
    labeling = await startLabeling({
      bucket: homeBucket,
      // The service's own store opens only its home bucket: job data must go through the job's keys.
      store: onlyBucket(real, homeBucket),
      token: LABELING_TOKEN,
      jobs: clusterLabelingJobs(labelingJobs, perTeamStores(real, usedByLabeling), log),
      port: 0,
      host: '127.0.0.1',
      workDir: join(dir, 'labeling'),
      logger: log,
    });
    closers.push(() => labeling.close());

    for (const t of TEAMS) {
      const agent = new SimAgent(t.node, () => operator.coordinationUrl, mintNodeToken(AGENT_KEY, t.node));
      agent.start(200);
      closers.push(async () => agent.stop());
    }
  }, 60_000);

  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('serves and labels each job with its own classes, bucket and Secret', async () => {
    expect(await jobs()).toEqual([]);
    // The whole of a job is its resource: applied through the API, nothing else.
    const custom = kubeConfig.makeApiClient(CustomObjectsApi);
    for (const t of TEAMS)
      await custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: t.namespace,
        plural: PLURAL,
        body: jobObject(t),
      });

    await waitFor('both jobs Serving', () => TEAMS.every((t) => phase(t) === 'Serving'), 30_000);
    await waitFor('labeling sees both jobs', async () => (await jobs()).length === 2, 10_000);
    expect(await jobs()).toEqual(
      TEAMS.map((t) => ({ namespace: t.namespace, job: t.name, classes: t.classes, mode: t.mode })),
    );

    for (const [i, t] of TEAMS.entries()) {
      const node = t.node;
      const jpeg = await makeJpeg(64, 48, [], i + 1);
      const id = await putSample(real, t.bucket, { namespace: t.namespace, job: t.name, node }, jpeg, []);
      const listing = await http(`/api/jobs/${t.namespace}/${t.name}/samples`);
      expect(listing.status).toBe(200);
      expect(listing.body.classes).toEqual(t.classes);
      expect(listing.body.samples.map((s: { id: string }) => s.id)).toEqual([id]);

      const other = TEAMS[1 - i];
      const url = `/api/jobs/${t.namespace}/${t.name}/samples/${node}/${id}/labels`;
      const box = { xmin: 2, ymin: 2, xmax: 20, ymax: 20 };
      const wrong = await http(url, {
        method: 'POST',
        body: JSON.stringify({ boxes: [{ class: other.classes[0], ...box }] }),
      });
      expect(wrong.status).toBe(400);
      expect(wrong.body.message).toContain(`unknown class "${other.classes[0]}"`);
      const saved = await http(url, {
        method: 'POST',
        body: JSON.stringify({ boxes: [{ class: t.classes[0], ...box }] }),
      });
      expect(saved.status).toBe(200);
      const xml = (await real.getBuffer(t.bucket, saved.body.annotation)).toString('utf8');
      expect(xml).toContain(`<name>${t.classes[0]}</name>`);
      expect((await real.getBuffer(t.bucket, labeledIndexKey(t.namespace, t.name))).toString()).toContain(
        saved.body.indexLine,
      );
    }
    expect(await real.list(homeBucket, '', { recursive: true })).toEqual([]);
    await waitFor('operator counts each job its label', () =>
      TEAMS.every(
        (t) =>
          (
            api.store.get(
              api.resource('singletasklearningjobs'),
              t.namespace,
              t.name,
            ) as unknown as SingleTaskLearningJob
          ).status?.samples?.labeled === 1,
      ),
    );

    // Each component read exactly the Secrets the jobs name, and only read.
    for (const used of [usedByLabeling, usedByTrainer])
      expect([...new Set(used)].sort()).toEqual(TEAMS.map((t) => t.secret).sort());
    for (const token of ['labeling', 'trainer'])
      expect(callsBy(api, token)).toEqual(
        [
          'list singletasklearningjobs',
          'watch singletasklearningjobs',
          ...TEAMS.map((t) => `get secrets ${t.namespace}/${t.secret}`),
        ].sort(),
      );

    // Deleting a job is a kubectl delete too: the labeling service drops it on its own.
    await custom.deleteNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: TEAMS[0].namespace,
      plural: PLURAL,
      name: TEAMS[0].name,
    });
    await waitFor('labeling drops the deleted job', async () => (await jobs()).length === 1, 15_000);
    expect((await jobs())[0]).toMatchObject({ namespace: TEAMS[1].namespace, job: TEAMS[1].name });
  }, 90_000);
});
