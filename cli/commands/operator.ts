import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import {
  booleanSetting,
  numberSetting,
  parseSettings,
  settingsUsage,
  stringSetting,
} from '../../lib/cli/settings.js';
import { DEFAULT_HEARTBEAT_SECONDS } from '../../lib/protocol/defaults.js';
import { UsageError } from '../../lib/errors/index.js';
import { createLogger } from '../../lib/log.js';
import { TRAINING_QUEUE, trainingQueueName } from '../../lib/queue/training-queue.js';
import { createObjectStore } from '../../lib/storage/minio-object-store.js';
import { BullmqTrainingQueue } from '../../operator/adapters/bullmq-training-queue.js';
import { LocalJobStore } from '../../operator/adapters/local-job-store.js';
import { mintNodeToken } from '../../operator/coordination/tokens.js';
import { DEFAULT_LEASE_DURATION_SECONDS, DEFAULT_RECONCILE_CONCURRENCY } from '../../operator/defaults.js';
import { startOperator, type OperatorConfig } from '../../operator/operator.js';
import type { JobStore } from '../../operator/ports/job-store.js';
import type { LeaderElector } from '../../operator/ports/leader-election.js';
import { DEFAULT_REDIS_URL, redisConnection, redisUrl } from '../../lib/infra/index.js';

const SETTINGS = {
  kubeconfig: stringSetting({
    arg: 'PATH',
    defaultText: 'in-cluster, else KUBECONFIG',
    help: 'job store: the Kubernetes API',
  }),
  'local-dir': stringSetting({
    arg: 'DIR',
    help: 'job store for local mode: job YAML files, status files beside them',
  }),
  namespace: stringSetting({ arg: 'NS', defaultText: 'all', help: 'watch one namespace' }),
  'leader-elect': booleanSetting({
    help: 'leader election on a coordination.k8s.io/v1 Lease (Kubernetes only)',
  }),
  'lease-namespace': stringSetting({
    arg: 'NS',
    alsoEnv: ['POD_NAMESPACE'],
    default: 'default',
    help: 'namespace of the Lease',
  }),
  'lease-name': stringSetting({ arg: 'NAME', default: 'edge-stl-operator', help: 'Lease name' }),
  'lease-duration': numberSetting({
    arg: 'SECONDS',
    min: 0,
    default: DEFAULT_LEASE_DURATION_SECONDS,
    help: 'Lease duration',
  }),
  'agent-tokens-secret': stringSetting({
    arg: 'NS/NAME',
    help: 'Secret with one agent token per node (key = node name), besides or instead of EDGE_STL_AGENT_KEY',
  }),
  'tls-cert': stringSetting({
    arg: 'FILE',
    env: 'EDGE_STL_TLS_CERT_FILE',
    help: 'serve over HTTPS: PEM chain (with --tls-key)',
  }),
  'tls-key': stringSetting({
    arg: 'FILE',
    env: 'EDGE_STL_TLS_KEY_FILE',
    help: 'serve over HTTPS: PEM key (with --tls-cert)',
  }),
  host: stringSetting({ arg: 'HOST', default: '0.0.0.0', help: 'listen address' }),
  port: numberSetting({ arg: 'PORT', min: 0, max: 65535, default: 8080, help: 'listen port' }),
  'heartbeat-interval': numberSetting({
    arg: 'S',
    min: 0,
    default: DEFAULT_HEARTBEAT_SECONDS,
    help: 'heartbeat interval asked of agents',
  }),
  'evict-after': numberSetting({ arg: 'S', min: 0, default: 3600, help: 'forget an agent silent this long' }),
  concurrency: numberSetting({
    arg: 'N',
    min: 0,
    default: DEFAULT_RECONCILE_CONCURRENCY,
    help: 'jobs reconciled at the same time',
  }),
  queue: stringSetting({
    arg: 'NAME',
    default: TRAINING_QUEUE,
    help: "training queue; the trainers' --queue must match",
  }),
};

export const usage = settingsUsage(SETTINGS, {
  head: `Usage: edge-stl operator [options]
       edge-stl operator node-token NODE   Print NODE's agent token (needs EDGE_STL_AGENT_KEY)

Reconciles SingleTaskLearningJobs and serves the edge coordination API (POST /v1/agents/:node/heartbeat),
/healthz, /readyz and /metrics on one port. The job store is the Kubernetes API (--kubeconfig) or,
in local mode, a directory (--local-dir).`,
  envOnlyTitle: 'From the environment only (the key and S3 settings are never flags):',
  envOnly: [
    { name: 'REDIS_URL', help: `BullMQ Redis (default: ${DEFAULT_REDIS_URL})` },
    {
      name: 'S3_ENDPOINT, S3_REGION',
      help: "object store endpoint; credentials come from each job's Secret",
    },
    {
      name: 'S3_PUBLIC_ENDPOINT',
      help: 'endpoint edge agents reach S3 at, for presigned model URLs (optional)',
    },
    { name: 'S3_ACCESS_KEY, S3_SECRET_KEY', help: 'local mode (--local-dir) only' },
    {
      name: 'EDGE_STL_AGENT_KEY',
      help: 'key node tokens are minted from (HMAC per node; no token is shared)',
    },
  ],
});

async function readTls(
  certFile: string | undefined,
  keyFile: string | undefined,
): Promise<{ cert: Buffer; key: Buffer } | undefined> {
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) throw new UsageError('--tls-cert and --tls-key go together');
  try {
    return { cert: await readFile(certFile), key: await readFile(keyFile) };
  } catch (err) {
    throw new UsageError(`cannot read the TLS certificate or key: ${(err as Error).message}`, { cause: err });
  }
}

/** `edge-stl operator node-token NODE`: the token to place on NODE (and nowhere else). */
function printNodeToken(args: string[]): number {
  const key = process.env.EDGE_STL_AGENT_KEY;
  if (args.length !== 1 || !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(args[0]))
    throw new UsageError('node-token expects one NODE (a Kubernetes node name)');
  if (!key || key.length < 16) throw new UsageError('EDGE_STL_AGENT_KEY (at least 16 characters) is not set');
  console.log(mintNodeToken(key, args[0]));
  return 0;
}

/** `edge-stl operator`: wires flags, adapters, probes and signals; the logic lives in operator/. */
export async function run(argv: string[]): Promise<number> {
  if (argv[0] === 'node-token') return printNodeToken(argv.slice(1));
  const env = process.env;
  // Settings before the other variables: a bad value is a usage error whatever S3_* say.
  const parsed = parseSettings(SETTINGS, argv, env);
  if (parsed.help) {
    console.log(usage);
    return 0;
  }
  const values = parsed.values;
  if (!env.S3_ENDPOINT) throw new UsageError('S3_ENDPOINT is not set');
  const nodeKey = env.EDGE_STL_AGENT_KEY || undefined;
  const tokensSecret = values['agent-tokens-secret'];
  if (!nodeKey && !tokensSecret)
    throw new UsageError(
      'set EDGE_STL_AGENT_KEY or --agent-tokens-secret NS/NAME so agents can authenticate',
    );
  if (nodeKey && nodeKey.length < 16)
    throw new UsageError('EDGE_STL_AGENT_KEY must be at least 16 characters');
  const tls = await readTls(values['tls-cert'], values['tls-key']);
  if (tokensSecret && !/^[^/]+\/[^/]+$/.test(tokensSecret))
    throw new UsageError('--agent-tokens-secret must be NS/NAME');
  if (values['local-dir'] && (values.kubeconfig || values['leader-elect']))
    throw new UsageError('--local-dir cannot be combined with --kubeconfig or --leader-elect');
  const log = createLogger('operator');
  let jobs: JobStore;
  let elector: LeaderElector | undefined;
  if (values['local-dir']) {
    jobs = new LocalJobStore({
      dir: values['local-dir'],
      log,
      defaultSecret:
        env.S3_ACCESS_KEY && env.S3_SECRET_KEY
          ? { accessKey: env.S3_ACCESS_KEY, secretKey: env.S3_SECRET_KEY }
          : undefined,
    });
  } else {
    // Loaded only here, so local mode never pays for the Kubernetes client.
    const kube = await import('../../operator/kube.js');
    const kubeConfig = kube.loadKubeConfig(values.kubeconfig);
    const adapters = kube.kubeAdapters({
      kubeConfig,
      log,
      namespace: values.namespace,
      ...(values['leader-elect']
        ? {
            lease: {
              namespace: values['lease-namespace'],
              name: values['lease-name'],
              identity: env.POD_NAME ?? hostname(),
              leaseDurationSeconds: values['lease-duration'],
            },
          }
        : {}),
    });
    jobs = adapters.jobs;
    elector = adapters.elector;
  }
  const config: OperatorConfig = {
    jobs,
    ...(elector ? { elector } : {}),
    queue: new BullmqTrainingQueue({
      connection: redisConnection(redisUrl(env)),
      queueName: trainingQueueName(values.queue),
      log,
    }),
    objectStores: (c) =>
      createObjectStore(
        { endpoint: env.S3_ENDPOINT!, region: env.S3_REGION, accessKey: c.accessKey, secretKey: c.secretKey },
        // Model URLs handed to edge agents are signed for the address the edge reaches S3 at.
        env.S3_PUBLIC_ENDPOINT ? { presignEndpoint: env.S3_PUBLIC_ENDPOINT } : {},
      ),
    ...(tls ? { tls } : {}),
    agentAuth: {
      ...(nodeKey ? { nodeKey } : {}),
      ...(tokensSecret
        ? { tokensSecret: { namespace: tokensSecret.split('/')[0], name: tokensSecret.split('/')[1] } }
        : {}),
    },
    host: values.host,
    port: values.port,
    heartbeatIntervalSeconds: values['heartbeat-interval'],
    evictAfterSeconds: values['evict-after'],
    concurrency: values.concurrency,
    log,
  };
  const operator = await startOperator(config);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await operator.close();
  return 0;
}
