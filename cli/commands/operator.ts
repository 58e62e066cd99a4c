import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { numberFlag, parseFlags } from '../../lib/cli/args.js';
import { UsageError } from '../../lib/errors/index.js';
import { createLogger } from '../../lib/log.js';
import { trainingQueueName } from '../../lib/queue/training-queue.js';
import { createObjectStore } from '../../lib/storage/minio-object-store.js';
import { BullmqTrainingQueue } from '../../operator/adapters/bullmq-training-queue.js';
import { LocalJobStore } from '../../operator/adapters/local-job-store.js';
import { mintNodeToken } from '../../operator/coordination/tokens.js';
import { startOperator, type OperatorConfig } from '../../operator/operator.js';
import type { JobStore } from '../../operator/ports/job-store.js';
import type { LeaderElector } from '../../operator/ports/leader-election.js';
import { redisConnection, redisUrl } from '../../lib/infra/index.js';

export const usage = `Usage: edge-stl operator [options]
       edge-stl operator node-token NODE   Print NODE's agent token (needs EDGE_STL_AGENT_KEY)

Reconciles SingleTaskLearningJobs and serves the edge coordination API (POST /v1/agents/:node/heartbeat),
/healthz, /readyz and /metrics on one port.

Job store (one of):
  --kubeconfig PATH         Kubernetes API (default: in-cluster config, else KUBECONFIG / ~/.kube/config)
  --local-dir DIR           Local mode: job YAML files in DIR, status files written beside them

Options:
  --namespace NS            Watch one namespace (default: all)
  --leader-elect            Run leader election on a coordination.k8s.io/v1 Lease (Kubernetes only)
  --lease-namespace NS      Namespace of the Lease (default: $POD_NAMESPACE or "default")
  --lease-name NAME         Lease name (default: edge-stl-operator)
  --lease-duration SECONDS  Lease duration (default: 15)
  --agent-tokens-secret NS/NAME  Secret with one agent token per node (key = node name), besides
                            or instead of the tokens minted from EDGE_STL_AGENT_KEY
  --tls-cert FILE, --tls-key FILE  Serve the coordination API over HTTPS (PEM; chain and key)
  --host HOST               Listen address (default: 0.0.0.0)
  --port PORT               Listen port (default: 8080)
  --heartbeat-interval S    Heartbeat interval asked of agents (default: 10)
  --evict-after S           Forget an agent silent this long (default: 3600)
  --concurrency N           Jobs reconciled at the same time (default: 8)
  --queue NAME              Training queue; the trainers' --queue must match (default: edge-stl-training)

Environment:
  REDIS_URL                 BullMQ Redis (default: redis://127.0.0.1:6379)
  S3_ENDPOINT, S3_REGION    Object store endpoint; credentials come from each job's Secret
  S3_PUBLIC_ENDPOINT        Endpoint edge agents reach S3 at, for presigned model URLs (optional)
                            (local mode: S3_ACCESS_KEY / S3_SECRET_KEY)
  EDGE_STL_AGENT_KEY        Key node tokens are minted from (HMAC per node; no token is shared)
  EDGE_STL_TLS_CERT_FILE, EDGE_STL_TLS_KEY_FILE   Same as --tls-cert, --tls-key`;

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
  const { values } = parseFlags({
    args: argv,
    options: {
      help: { type: 'boolean', short: 'h' },
      kubeconfig: { type: 'string' },
      'local-dir': { type: 'string' },
      namespace: { type: 'string' },
      'leader-elect': { type: 'boolean' },
      'lease-namespace': { type: 'string' },
      'lease-name': { type: 'string' },
      'lease-duration': { type: 'string' },
      'agent-tokens-secret': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'heartbeat-interval': { type: 'string' },
      'evict-after': { type: 'string' },
      concurrency: { type: 'string' },
      queue: { type: 'string' },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  // Flags before the environment: a bad value is a usage error whatever the variables say.
  const leaseDurationSeconds = numberFlag('lease-duration', values['lease-duration'], { min: 0 }) ?? 15;
  const port = numberFlag('port', values.port, { min: 0, max: 65535 }) ?? 8080;
  const heartbeatIntervalSeconds =
    numberFlag('heartbeat-interval', values['heartbeat-interval'], { min: 0 }) ?? 10;
  const evictAfterSeconds = numberFlag('evict-after', values['evict-after'], { min: 0 }) ?? 3600;
  const concurrency = numberFlag('concurrency', values.concurrency, { min: 0 }) ?? 8;
  const env = process.env;
  if (!env.S3_ENDPOINT) throw new UsageError('S3_ENDPOINT is not set');
  const nodeKey = env.EDGE_STL_AGENT_KEY || undefined;
  const tokensSecret = values['agent-tokens-secret'];
  if (!nodeKey && !tokensSecret)
    throw new UsageError(
      'set EDGE_STL_AGENT_KEY or --agent-tokens-secret NS/NAME so agents can authenticate',
    );
  if (nodeKey && nodeKey.length < 16)
    throw new UsageError('EDGE_STL_AGENT_KEY must be at least 16 characters');
  const tls = await readTls(
    values['tls-cert'] ?? (env.EDGE_STL_TLS_CERT_FILE || undefined),
    values['tls-key'] ?? (env.EDGE_STL_TLS_KEY_FILE || undefined),
  );
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
              namespace: values['lease-namespace'] ?? env.POD_NAMESPACE ?? 'default',
              name: values['lease-name'] ?? 'edge-stl-operator',
              identity: env.POD_NAME ?? hostname(),
              leaseDurationSeconds,
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
    host: values.host ?? '0.0.0.0',
    port,
    heartbeatIntervalSeconds,
    evictAfterSeconds,
    concurrency,
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
