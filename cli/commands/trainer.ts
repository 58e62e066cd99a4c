import { BACKEND_SETTING } from '../../lib/cli/backend-setting.js';
import { PLUGIN_SETTING } from '../../lib/cli/plugin-setting.js';
import {
  booleanSetting,
  numberSetting,
  parseSettings,
  settingsUsage,
  stringSetting,
} from '../../lib/cli/settings.js';
import { TRAINING_QUEUE, trainingQueueName } from '../../lib/queue/training-queue.js';
import { initBackend } from '../../lib/tf/backend.js';
import { createLogger } from '../../lib/log.js';
import { objectStoresAt } from '../../lib/storage/job-storage.js';
import type { S3Config } from '../../lib/storage/object-store.js';
import { UsageError } from '../../lib/errors/index.js';
import { s3ConfigFromEnv } from '../../lib/storage/s3-config.js';
import { jobStoreResolver } from '../../cloud-trainer/job-stores.js';
import { registerAlgorithms } from '../../lib/builtin-algorithms/register.js';
import { TRAINER_DEFAULTS, type TrainerConfig } from '../../cloud-trainer/config.js';
import { startTrainer } from '../../cloud-trainer/trainer-worker.js';
import { DEFAULT_REDIS_URL, redisUrl } from '../../lib/infra/index.js';

const MIB = 1024 * 1024;

const SETTINGS = {
  'credentials-from-jobs': booleanSetting({
    help: "each round reads S3 with its job's storage.credentialsSecret, through the Kubernetes API (S3_* keys: fallback)",
  }),
  kubeconfig: stringSetting({
    arg: 'PATH',
    defaultText: 'in-cluster, else KUBECONFIG',
    help: 'with --credentials-from-jobs',
  }),
  namespace: stringSetting({
    arg: 'NS',
    defaultText: 'all',
    help: 'with --credentials-from-jobs: jobs of one namespace only',
  }),
  'redis-url': stringSetting({
    arg: 'URL',
    env: null,
    defaultText: `$REDIS_URL, else ${DEFAULT_REDIS_URL}`,
    help: 'Redis',
  }),
  queue: stringSetting({
    arg: 'NAME',
    default: TRAINING_QUEUE,
    help: "training queue; the operator's --queue must match",
  }),
  prefix: stringSetting({ arg: 'NAME', default: TRAINER_DEFAULTS.queuePrefix, help: 'BullMQ key prefix' }),
  'work-dir': stringSetting({
    arg: 'DIR',
    defaultText: '$TMPDIR/edge-stl-trainer',
    help: 'dataset cache and scratch',
  }),
  'cache-max-mib': numberSetting({
    arg: 'N',
    min: 1,
    default: TRAINER_DEFAULTS.cacheMaxBytes / MIB,
    help: 'keep the dataset cache under N MiB between rounds',
  }),
  'checkpoint-every': numberSetting({
    arg: 'N',
    min: 1,
    default: TRAINER_DEFAULTS.checkpointEvery,
    help: 'checkpoint every N iterations',
  }),
  'lock-duration': numberSetting({
    arg: 'MS',
    min: 1000,
    default: TRAINER_DEFAULTS.lockDurationMs,
    help: "job lock; a dead worker's job moves on after this",
  }),
  'stalled-interval': numberSetting({
    arg: 'MS',
    min: 1000,
    default: TRAINER_DEFAULTS.stalledIntervalMs,
    help: 'stalled-job check period',
  }),
  'ops-port': numberSetting({
    arg: 'PORT',
    min: 0,
    max: 65535,
    default: TRAINER_DEFAULTS.opsPort,
    help: '/healthz, /readyz, /metrics port',
  }),
  'no-ops': booleanSetting({ help: 'no ops server' }),
  plugin: PLUGIN_SETTING,
  backend: BACKEND_SETTING,
};

export const usage = settingsUsage(SETTINGS, {
  head: `Usage: edge-stl trainer [options]

Runs a cloud training worker: takes training rounds from the BullMQ queue one at a time, trains,
evaluates against the deployed model and publishes models/<ns>/<job>/v<round>/model.zip.
SIGTERM checkpoints the running job and hands it back to the queue.`,
  envOnlyTitle: 'From the environment only (secrets are never flags):',
  envOnly: [
    { name: 'S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY', help: 'the object store' },
    { name: 'REDIS_URL', help: 'Redis when --redis-url is not given' },
  ],
});

/** `edge-stl trainer`: runs the training worker until SIGTERM or SIGINT. */
export async function run(argv: string[]): Promise<number> {
  // Settings before the other variables: a bad value is a usage error whatever S3_* say.
  const parsed = parseSettings(SETTINGS, argv, process.env);
  if (parsed.help) {
    console.log(usage);
    return 0;
  }
  const values = parsed.values;
  const backend = values.backend;
  if (!values['credentials-from-jobs'] && (values.kubeconfig || values.namespace))
    throw new UsageError('--kubeconfig and --namespace go with --credentials-from-jobs');
  const config: TrainerConfig = {
    redisUrl: values['redis-url'] ?? redisUrl(),
    s3: s3ConfigFromEnv(),
    queueName: trainingQueueName(values.queue),
    queuePrefix: values.prefix,
    workDir: values['work-dir'],
    cacheMaxBytes: values['cache-max-mib'] * MIB,
    checkpointEvery: values['checkpoint-every'],
    lockDurationMs: values['lock-duration'],
    stalledIntervalMs: values['stalled-interval'],
    opsPort: values['no-ops'] ? null : values['ops-port'],
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
