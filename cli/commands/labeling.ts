import { readFile } from 'node:fs/promises';
import { PLUGIN_SETTING } from '../../lib/cli/plugin-setting.js';
import {
  booleanSetting,
  listSetting,
  numberSetting,
  parseSettings,
  settingsUsage,
  stringSetting,
} from '../../lib/cli/settings.js';
import { UsageError } from '../../lib/errors/index.js';
import { jobKeyFromText } from '../../lib/protocol/job-key.js';
import { createLogger } from '../../lib/log.js';
import { objectStoresAt } from '../../lib/storage/job-storage.js';
import type { S3Config } from '../../lib/storage/object-store.js';
import { s3ConfigFromEnv } from '../../lib/storage/s3-config.js';
import type { LabelingJob } from '../../labeling/app.js';
import { clusterLabelingJobs } from '../../labeling/cluster-jobs.js';
import { LABELING_DEFAULTS } from '../../labeling/defaults.js';
import { startLabeling } from '../../labeling/server.js';
import { configuredRedisUrl } from '../../lib/infra/index.js';

const SETTINGS = {
  bucket: stringSetting({
    arg: 'NAME',
    help: 'bucket of the installation (required; jobs from the cluster use their own)',
  }),
  'from-cluster': booleanSetting({
    help: 'jobs: every SingleTaskLearningJob in the cluster, as it is now (classes, mode, bucket, S3 keys)',
  }),
  job: listSetting({ arg: 'NS/JOB:CLASSES', help: 'jobs: one labeled by people (repeatable)' }),
  'auto-job': listSetting({
    arg: 'NS/JOB:CLASSES',
    help: 'jobs: one labeled automatically, oracle then teacher (repeatable)',
  }),
  kubeconfig: stringSetting({
    arg: 'PATH',
    defaultText: 'in-cluster, else KUBECONFIG',
    help: 'with --from-cluster',
  }),
  namespace: stringSetting({
    arg: 'NS',
    defaultText: 'all',
    help: "with --from-cluster: one namespace's jobs only",
  }),
  'ground-truth': listSetting({
    arg: 'S3_URI',
    help: 'Ianvs index whose images are ground truth for the oracle (repeatable)',
  }),
  'teacher-threshold': numberSetting({
    arg: 'X',
    min: 0,
    max: 1,
    integer: false,
    default: LABELING_DEFAULTS.teacherScoreThreshold,
    help: 'teacher score threshold',
  }),
  'auto-interval': numberSetting({
    arg: 'MS',
    min: 1,
    default: LABELING_DEFAULTS.autoIntervalMs,
    help: 'auto-labeling period',
  }),
  'token-file': stringSetting({ arg: 'FILE', help: 'file holding the access token (else LABELING_TOKEN)' }),
  'redis-url': stringSetting({
    arg: 'URL',
    env: null,
    defaultText: '$REDIS_URL, else none',
    help: 'Redis for the index lock across replicas',
  }),
  port: numberSetting({
    arg: 'PORT',
    min: 0,
    max: 65535,
    default: LABELING_DEFAULTS.port,
    help: 'listen port',
  }),
  host: stringSetting({ arg: 'HOST', default: LABELING_DEFAULTS.host, help: 'listen address' }),
  plugin: PLUGIN_SETTING,
};

export const usage = settingsUsage(SETTINGS, {
  head: `Usage: edge-stl labeling --bucket BUCKET (--from-cluster | --job NS/JOB:CLASS[,CLASS...]) [options]

Runs the labeling service: a web page and API to label the samples edge agents uploaded to
samples/<ns>/<job>/, writing Pascal VOC and labeled/<ns>/<job>/index.txt for the trainer.
Jobs come from --from-cluster, or from --job / --auto-job. A teacher model whose manifest names a
plugin's algorithm needs that --plugin.`,
  envOnlyTitle: 'From the environment only (secrets are never flags):',
  envOnly: [
    { name: 'LABELING_TOKEN', help: 'the access token (or --token-file), kept out of process listings' },
    { name: 'S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY', help: 'the object store' },
    { name: 'REDIS_URL', help: 'Redis when --redis-url is not given' },
  ],
});

/** `edge-stl labeling`: runs the labeling service until SIGTERM or SIGINT. */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseSettings(SETTINGS, argv, process.env);
  if (parsed.help) {
    console.log(usage);
    return 0;
  }
  const values = parsed.values;
  if (!values.bucket) throw new UsageError('--bucket is required');
  const fixed = [
    ...values.job.map((s) => parseJob(s, 'manual')),
    ...values['auto-job'].map((s) => parseJob(s, 'auto')),
  ];
  const fromCluster = values['from-cluster'];
  if (fromCluster && fixed.length > 0)
    throw new UsageError('--from-cluster cannot be combined with --job or --auto-job');
  if (!fromCluster && fixed.length === 0)
    throw new UsageError('give --from-cluster, or at least one --job or --auto-job');
  if (!fromCluster && (values.kubeconfig || values.namespace))
    throw new UsageError('--kubeconfig and --namespace go with --from-cluster');
  const token = values['token-file']
    ? (await readFile(values['token-file'], 'utf8')).trim()
    : process.env.LABELING_TOKEN;
  if (!token) throw new UsageError('set LABELING_TOKEN or --token-file');
  const s3 = s3ConfigFromEnv();
  const cluster = fromCluster ? await watchClusterJobs(s3, values.kubeconfig, values.namespace) : null;
  const jobs = cluster?.jobs ?? fixed;
  // A cluster job may switch to auto at any time: the auto machinery is always ready there.
  const hasAuto = fromCluster || fixed.some((j) => j.mode === 'auto');
  // The teacher is the job's deployed model: it may name a plugin's algorithm.
  if (hasAuto) {
    const { registerAlgorithms } = await import('../../lib/builtin-algorithms/register.js');
    await registerAlgorithms(values.plugin);
  }
  const service = await startLabeling({
    bucket: values.bucket,
    token,
    jobs,
    s3,
    redisUrl: values['redis-url'] ?? configuredRedisUrl(),
    port: values.port,
    host: values.host,
    ...(hasAuto
      ? {
          auto: {
            intervalMs: values['auto-interval'],
            groundTruthIndexes: values['ground-truth'],
            teacherScoreThreshold: values['teacher-threshold'],
          },
        }
      : {}),
  });
  console.error(`labeling service on ${service.url}`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await service.close();
  await cluster?.stop();
  return 0;
}

/** The cluster's jobs through a watch cache (a read-only JobWatch). */
async function watchClusterJobs(
  s3: S3Config,
  kubeconfig: string | undefined,
  namespace: string | undefined,
): Promise<{ jobs: () => Promise<LabelingJob[]>; stop: () => Promise<void> }> {
  // Loaded only here, so the fixed-list mode never pays for the Kubernetes client.
  const kube = await import('../../lib/kube/job-watch.js');
  const log = createLogger('labeling-jobs');
  const store = await kube.watchJobsReadOnly({ kubeconfig, namespace, log });
  return { jobs: clusterLabelingJobs(store, objectStoresAt(s3), log), stop: () => store.stop() };
}

/** `ns/job:class1,class2` → a labeling job. */
export function parseJob(spec: string, mode: 'manual' | 'auto'): LabelingJob {
  const colon = spec.indexOf(':');
  const job = colon > 0 ? jobKeyFromText(spec.slice(0, colon)) : null;
  if (!job) throw new UsageError(`--job expects NS/JOB:CLASS[,CLASS...], got "${spec}"`);
  const classes = spec
    .slice(colon + 1)
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  if (classes.length === 0) throw new UsageError(`--job "${spec}" names no classes`);
  return { namespace: job.namespace, job: job.name, classes, mode };
}
