import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createLogger } from '../../lib/log.js';
import { createObjectStore } from '../../lib/storage/minio-object-store.js';
import { startEmbeddedS3, type EmbeddedS3 } from '../../lib/storage/embedded-s3.js';
import { BullmqTrainingQueue } from '../../operator/adapters/bullmq-training-queue.js';
import { KubeJobStore } from '../../operator/adapters/kube-job-store.js';
import { startOperator, type RunningOperator } from '../../operator/operator.js';
import { redisConnection } from '../../lib/infra/index.js';
import type { FakeKubeApiServer } from '../support/fake-kube-apiserver.js';
import { testRedisUrl } from '../support/env.js';
import { k8sTools } from '../support/k8s-tools.js';
import { kubeconfigYaml, startFakeCluster } from './support/fake-cluster.js';
import { SimTrainer } from './support/sim-trainer.js';
import { waitFor } from './support/wait.js';

const run = promisify(execFile);
const EXAMPLE = resolve('crds/examples/minimal.yaml');

/** The real kubectl (v1.32) against the fake API server, with the operator in between. */
describe('kubectl against the fake kube-apiserver', () => {
  let api: FakeKubeApiServer;
  let s3: EmbeddedS3;
  let operator: RunningOperator;
  let trainer: SimTrainer;
  let dir: string;
  let kubectl: string;

  beforeAll(async () => {
    kubectl = k8sTools().kubectl;
    dir = await mkdtemp(join(tmpdir(), 'edge-stl-kubectl-'));
    s3 = await startEmbeddedS3({ dir: join(dir, 's3') });
    // The example's bucket and dataset, on an S3 endpoint of this test's own.
    const store = createObjectStore({
      endpoint: s3.endpoint,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
    });
    await store.ensureBucket('edge-stl');
    await store.putObject('edge-stl', 'datasets/pcb-aoi/train_data/index.txt', 'a.jpg a.xml\n');
    await store.putObject('edge-stl', 'datasets/pcb-aoi/test_data/index.txt', 'b.jpg b.xml\n');
    const cluster = await startFakeCluster();
    api = cluster.api;
    await writeFile(join(dir, 'kubeconfig'), kubeconfigYaml(cluster.url));
    const connection = redisConnection(testRedisUrl());
    const prefix = `op-kubectl-${Date.now()}`;
    trainer = new SimTrainer({ connection, prefix, store, metric: () => 0.8125 });
    const log = createLogger('operator-kubectl-test', { level: 'silent' });
    operator = await startOperator({
      jobs: new KubeJobStore({ kubeConfig: cluster.kubeConfig, log }),
      queue: new BullmqTrainingQueue({ connection, prefix, log }),
      objectStores: (c) =>
        createObjectStore({ endpoint: s3.endpoint, accessKey: c.accessKey, secretKey: c.secretKey }),
      agentAuth: { nodeKey: 'kubectl-test-node-key' },
      log,
    });
  });

  afterAll(async () => {
    await operator?.close();
    await trainer?.close();
    await api?.close();
    await s3?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function k(...args: string[]): Promise<string> {
    // Its own HOME: a fresh discovery cache for every run.
    const { stdout } = await run(kubectl, ['--kubeconfig', join(dir, 'kubeconfig'), ...args], {
      env: { HOME: join(dir, 'home'), PATH: process.env.PATH ?? '' },
    });
    return stdout;
  }

  it('applies the example, shows the printer columns, and deletes it after the operator drives it to Serving', async () => {
    expect(await k('api-resources', '--api-group=edgestl.io')).toMatch(
      /singletasklearningjobs\s+stlj\s+edgestl.io\/v1alpha1\s+true\s+SingleTaskLearningJob/,
    );
    // The credentials Secret the example names (stringData is turned into data by the server).
    const secret = join(dir, 'secret.yaml');
    await writeFile(
      secret,
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: edge-stl-s3\nstringData:\n  accessKey: ${s3.accessKey}\n  secretKey: ${s3.secretKey}\n`,
    );
    expect(await k('apply', '--validate=false', '-f', secret)).toMatch(/secret\/edge-stl-s3 created/);
    expect(await k('apply', '--validate=false', '-f', EXAMPLE)).toMatch(
      /singletasklearningjob.edgestl.io\/minimal created/,
    );

    await waitFor(
      'Serving',
      async () => (await k('get', 'stlj', 'minimal', '-o', 'jsonpath={.status.phase}')) === 'Serving',
      30_000,
      250,
    );
    const table = await k('get', 'stlj');
    const [header, row] = table.trim().split('\n');
    expect(header.split(/\s+/)).toEqual([
      'NAME',
      'PHASE',
      'READY',
      'ROUND',
      'MODEL',
      'METRIC',
      'SCORE',
      'AGE',
    ]);
    // No edge agent runs here, so the job is not Ready; the Score column follows evaluation.metric.
    expect(row.split(/\s+/).slice(0, 7)).toEqual([
      'minimal',
      'Serving',
      'False',
      '0',
      'v0',
      'f1_score',
      '0.8125',
    ]);
    expect(
      await k(
        'get',
        'singletasklearningjobs.edgestl.io',
        'minimal',
        '-o',
        'jsonpath={.metadata.finalizers[0]}',
      ),
    ).toBe('edgestl.io/finalizer');
    // Defaults from the CRD schema were applied on create, as kube-apiserver does.
    expect(
      await k('get', 'stlj', 'minimal', '-o', 'jsonpath={.spec.algorithm.name}/{.spec.cleanupPolicy}'),
    ).toBe('FPN/Retain');
    // Re-applying the same file changes nothing (no generation bump).
    expect(await k('apply', '--validate=false', '-f', EXAMPLE)).toMatch(/unchanged/);
    expect(await k('get', 'stlj', 'minimal', '-o', 'jsonpath={.metadata.generation}')).toBe('1');
    const events = await k(
      'get',
      'events',
      '--field-selector',
      'involvedObject.name=minimal',
      '-o',
      'jsonpath={.items[*].reason}',
    );
    expect(events.split(' ')).toEqual(
      expect.arrayContaining(['TrainingQueued', 'ModelAccepted', 'RolloutCompleted']),
    );

    // kubectl delete waits until the operator has run its finalizer.
    expect(await k('delete', '-f', EXAMPLE, '--timeout=30s')).toMatch(
      /singletasklearningjob.edgestl.io "minimal" deleted/,
    );
    expect(
      (
        await run(kubectl, ['--kubeconfig', join(dir, 'kubeconfig'), 'get', 'stlj'], {
          env: { HOME: join(dir, 'home'), PATH: process.env.PATH ?? '' },
        })
      ).stderr,
    ).toMatch(/No resources found/);

    const kubectlCalls = new Set(
      api.calls.map((c) => `${c.verb} ${c.resource}${c.subresource ? '/' + c.subresource : ''}`),
    );
    expect([...kubectlCalls]).toEqual(
      expect.arrayContaining([
        'create secrets',
        'create singletasklearningjobs',
        'get singletasklearningjobs',
        'patch singletasklearningjobs/status',
        'delete singletasklearningjobs',
        'list events',
      ]),
    );
  });
});
