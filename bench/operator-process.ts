/**
 * The operator as its own process for `npm run bench:operator` (so its RSS and CPU are its own).
 * Config from env: KUBE_URL, REDIS_URL, S3_ENDPOINT, QUEUE_PREFIX, EDGE_STL_AGENT_KEY.
 * Prints one JSON line `{ "url": ... }` once listening; stops on SIGTERM or when the bench goes.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger } from '../lib/log.js';
import { DEFAULT_HEARTBEAT_SECONDS } from '../lib/protocol/defaults.js';
import { createObjectStore } from '../lib/storage/minio-object-store.js';
import { BullmqTrainingQueue } from '../operator/adapters/bullmq-training-queue.js';
import { KubeJobStore } from '../operator/adapters/kube-job-store.js';
import { startOperator } from '../operator/operator.js';
import { redisConnection } from '../lib/infra/index.js';
import { exitWhenParentGoes } from './child-processes.js';

const env = process.env;
const kc = new KubeConfig();
kc.loadFromOptions({
  clusters: [{ name: 'bench', server: env.KUBE_URL!, skipTLSVerify: true }],
  users: [{ name: 'op', token: 'bench' }],
  contexts: [{ name: 'bench', cluster: 'bench', user: 'op' }],
  currentContext: 'bench',
});
const log = createLogger('operator-bench', { level: env.LOG_LEVEL ?? 'warn' });
const op = await startOperator({
  jobs: new KubeJobStore({ kubeConfig: kc, log }),
  queue: new BullmqTrainingQueue({
    connection: redisConnection(env.REDIS_URL!),
    prefix: env.QUEUE_PREFIX,
    log,
  }),
  objectStores: (c) =>
    createObjectStore({ endpoint: env.S3_ENDPOINT!, accessKey: c.accessKey, secretKey: c.secretKey }),
  agentAuth: { nodeKey: env.EDGE_STL_AGENT_KEY! },
  heartbeatIntervalSeconds: DEFAULT_HEARTBEAT_SECONDS,
  concurrency: 16,
  log,
});
console.log(JSON.stringify({ url: op.coordinationUrl }));
const stop = (): Promise<void> => {
  setTimeout(() => process.exit(1), 10_000).unref(); // a close that hangs must not keep it alive
  return op.close();
};
process.once('SIGTERM', () => void stop().then(() => process.exit(0)));
exitWhenParentGoes(process.stdin, stop);
