import { choiceFlag, numberFlag, parseFlags } from '../../lib/cli/args.js';
import { trainingQueueName } from '../../lib/queue/training-queue.js';
import { BACKEND_CHOICES, initBackend } from '../../lib/tf/backend.js';
import { createLogger } from '../../lib/log.js';
import { objectStoresAt } from '../../lib/storage/job-storage.js';
import type { S3Config } from '../../lib/storage/object-store.js';
import { UsageError } from '../../lib/errors/index.js';
import { s3ConfigFromEnv } from '../../lib/storage/s3-config.js';
import { jobStoreResolver } from '../../cloud-trainer/job-stores.js';
import { registerAlgorithms } from '../../lib/builtin-algorithms/register.js';
import type { TrainerConfig } from '../../cloud-trainer/config.js';
import { startTrainer } from '../../cloud-trainer/trainer-worker.js';
import { redisUrl } from '../../lib/infra/index.js';

export const usage = `Usage: edge-stl trainer [options]

Runs a cloud training worker: takes training rounds from the BullMQ queue one at a time, trains,
evaluates against the deployed model and publishes models/<ns>/<job>/v<round>/model.zip.
S3 comes from S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY; Redis from --redis-url or REDIS_URL.
SIGTERM checkpoints the running job and hands it back to the queue.

Options:
  --credentials-from-jobs  each round reads S3 with its job's storage.credentialsSecret, looked up
                           through the Kubernetes API (the S3_* keys are then only the fallback)
  --kubeconfig PATH        with --credentials-from-jobs (default: in-cluster, else KUBECONFIG)
  --namespace NS           with --credentials-from-jobs: jobs of one namespace only (default: all)
  --redis-url URL          Redis (default: $REDIS_URL or redis://127.0.0.1:6379)
  --queue NAME             training queue; the operator's --queue must match (default: edge-stl-training)
  --prefix NAME            BullMQ key prefix (default: bull)
  --work-dir DIR           dataset cache and scratch (default: $TMPDIR/edge-stl-trainer)
  --cache-max-mib N        keep the dataset cache under N MiB between rounds (default: 20480)
  --checkpoint-every N     checkpoint every N iterations (default: 50)
  --lock-duration MS       job lock; a dead worker's job moves on after this (default: 60000)
  --stalled-interval MS    stalled-job check period (default: 30000)
  --ops-port PORT          /healthz, /readyz, /metrics port (default: 9464)
  --no-ops                 no ops server
  --plugin MODULE          load an algorithm plugin into the ClassFactory (repeatable)
  --backend NAME           TF.js backend: auto|tensorflow|wasm|cpu (default: $EDGE_STL_BACKEND or auto)
  -h, --help               this text`;

/** `edge-stl trainer`: runs the training worker until SIGTERM or SIGINT. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags({
    args: argv,
    options: {
      help: { type: 'boolean', short: 'h' },
      'credentials-from-jobs': { type: 'boolean' },
      kubeconfig: { type: 'string' },
      namespace: { type: 'string' },
      'redis-url': { type: 'string' },
      queue: { type: 'string' },
      prefix: { type: 'string' },
      'work-dir': { type: 'string' },
      'cache-max-mib': { type: 'string' },
      'checkpoint-every': { type: 'string' },
      'lock-duration': { type: 'string' },
      'stalled-interval': { type: 'string' },
      'ops-port': { type: 'string' },
      'no-ops': { type: 'boolean' },
      plugin: { type: 'string', multiple: true },
      backend: { type: 'string' },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const backend = choiceFlag('backend', values.backend, BACKEND_CHOICES);
  // Flags before the environment: a bad value is a usage error whatever S3_* say.
  const cacheMaxMib = numberFlag('cache-max-mib', values['cache-max-mib'], { min: 1 });
  const checkpointEvery = numberFlag('checkpoint-every', values['checkpoint-every'], { min: 1 });
  const lockDurationMs = numberFlag('lock-duration', values['lock-duration'], { min: 1000 });
  const stalledIntervalMs = numberFlag('stalled-interval', values['stalled-interval'], { min: 1000 });
  const opsPort = numberFlag('ops-port', values['ops-port'], { min: 0, max: 65535 }) ?? 9464;
  if (!values['credentials-from-jobs'] && (values.kubeconfig || values.namespace))
    throw new UsageError('--kubeconfig and --namespace go with --credentials-from-jobs');
  const config: TrainerConfig = {
    redisUrl: values['redis-url'] ?? redisUrl(),
    s3: s3ConfigFromEnv(),
    queueName: trainingQueueName(values.queue),
    queuePrefix: values.prefix,
    workDir: values['work-dir'],
    cacheMaxBytes: cacheMaxMib === undefined ? undefined : cacheMaxMib * 1024 * 1024,
    checkpointEvery,
    lockDurationMs,
    stalledIntervalMs,
    opsPort: values['no-ops'] ? null : opsPort,
  };
  // The first initialisation holds for the process (default: $EDGE_STL_BACKEND or auto).
  if (backend) await initBackend(backend);
  await registerAlgorithms(values.plugin);
  const jobs = values['credentials-from-jobs']
    ? await watchJobs(config.s3!, values.kubeconfig, values.namespace)
    : null;
  const trainer = await startTrainer({ ...config, ...(jobs ? { storeFor: jobs.storeFor } : {}) });
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await trainer.close();
  await jobs?.stop();
  return 0;
}

/** The cluster's jobs through a watch cache (a read-only JobWatch). */
async function watchJobs(s3: S3Config, kubeconfig: string | undefined, namespace: string | undefined) {
  // Loaded only here, so a trainer outside Kubernetes never pays for the client.
  const kube = await import('../../lib/kube/job-watch.js');
  const store = await kube.watchJobsReadOnly({
    kubeconfig,
    namespace,
    log: createLogger('trainer-jobs'),
  });
  const storeFor = jobStoreResolver(store, objectStoresAt(s3));
  return { storeFor, stop: () => store.stop() };
}
