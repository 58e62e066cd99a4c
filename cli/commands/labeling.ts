import { readFile } from 'node:fs/promises';
import { numberFlag, parseFlags } from '../../lib/cli/args.js';
import { UsageError } from '../../lib/errors/index.js';
import { createLogger } from '../../lib/log.js';
import { objectStoresAt } from '../../lib/storage/job-storage.js';
import type { S3Config } from '../../lib/storage/object-store.js';
import { s3ConfigFromEnv } from '../../lib/storage/s3-config.js';
import type { LabelingJob } from '../../labeling/app.js';
import { clusterLabelingJobs } from '../../labeling/cluster-jobs.js';
import { startLabeling } from '../../labeling/server.js';
import { configuredRedisUrl } from '../../lib/infra/index.js';

export const usage = `Usage: edge-stl labeling --bucket BUCKET (--from-cluster | --job NS/JOB:CLASS[,CLASS...]) [options]

Runs the labeling service: a web page and API to label the samples edge agents uploaded to
samples/<ns>/<job>/, writing Pascal VOC and labeled/<ns>/<job>/index.txt for the trainer.
S3 comes from S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY. The access token comes from
LABELING_TOKEN or --token-file (never from a flag, so it stays out of process listings).

Jobs (one of):
  --from-cluster             every SingleTaskLearningJob in the cluster, as it is now: classes, labeling
                             mode and bucket from its spec, S3 keys from its credentialsSecret
  --job NS/JOB:CLASSES       a job labeled by people (repeatable)
  --auto-job NS/JOB:CLASSES  a job labeled automatically: oracle, then teacher (repeatable)

Options:
  --bucket NAME              bucket of the installation (required; jobs from the cluster use their own)
  --kubeconfig PATH          with --from-cluster: Kubernetes API (default: in-cluster, else KUBECONFIG)
  --namespace NS             with --from-cluster: one namespace's jobs only (default: all)
  --ground-truth S3_URI      Ianvs index whose images are ground truth for the oracle (repeatable)
  --teacher-threshold X      teacher score threshold (default: 0.3)
  --auto-interval MS         auto-labeling period (default: 30000)
  --token-file FILE          file holding the access token
  --redis-url URL            Redis for the index lock across replicas (default: $REDIS_URL)
  --port PORT                listen port (default: 8090)
  --host HOST                listen address (default: 0.0.0.0)
  -h, --help                 this text`;

/** `edge-stl labeling`: runs the labeling service until SIGTERM or SIGINT. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags({
    args: argv,
    options: {
      help: { type: 'boolean', short: 'h' },
      bucket: { type: 'string' },
      'from-cluster': { type: 'boolean' },
      kubeconfig: { type: 'string' },
      namespace: { type: 'string' },
      job: { type: 'string', multiple: true },
      'auto-job': { type: 'string', multiple: true },
      'ground-truth': { type: 'string', multiple: true },
      'teacher-threshold': { type: 'string' },
      'auto-interval': { type: 'string' },
      'token-file': { type: 'string' },
      'redis-url': { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (!values.bucket) throw new UsageError('--bucket is required');
  const fixed = [
    ...(values.job ?? []).map((s) => parseJob(s, 'manual')),
    ...(values['auto-job'] ?? []).map((s) => parseJob(s, 'auto')),
  ];
  const fromCluster = values['from-cluster'] === true;
  if (fromCluster && fixed.length > 0)
    throw new UsageError('--from-cluster cannot be combined with --job or --auto-job');
  if (!fromCluster && fixed.length === 0)
    throw new UsageError('give --from-cluster, or at least one --job or --auto-job');
  if (!fromCluster && (values.kubeconfig || values.namespace))
    throw new UsageError('--kubeconfig and --namespace go with --from-cluster');
  const threshold = numberFlag('teacher-threshold', values['teacher-threshold'], {
    min: 0,
    max: 1,
    integer: false,
  });
  const intervalMs = numberFlag('auto-interval', values['auto-interval'], { min: 1 });
  const port = numberFlag('port', values.port, { min: 0, max: 65535 });
  const token = values['token-file']
    ? (await readFile(values['token-file'], 'utf8')).trim()
    : process.env.LABELING_TOKEN;
  if (!token) throw new UsageError('set LABELING_TOKEN or --token-file');
  const s3 = s3ConfigFromEnv();
  const cluster = fromCluster ? await watchClusterJobs(s3, values.kubeconfig, values.namespace) : null;
  const jobs = cluster?.jobs ?? fixed;
  // A cluster job may switch to auto at any time: the auto machinery is always ready there.
  const hasAuto = fromCluster || fixed.some((j) => j.mode === 'auto');
  if (hasAuto) {
    const { registerBuiltins } = await import('../../lib/builtin-algorithms/register.js');
    await registerBuiltins();
  }
  const service = await startLabeling({
    bucket: values.bucket,
    token,
    jobs,
    s3,
    redisUrl: values['redis-url'] ?? configuredRedisUrl(),
    port,
    host: values.host,
    ...(hasAuto
      ? {
          auto: {
            intervalMs,
            groundTruthIndexes: values['ground-truth'] ?? [],
            teacherScoreThreshold: threshold,
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
  const match = /^([a-z0-9][-a-z0-9.]*)\/([a-z0-9][-a-z0-9.]*):(.+)$/.exec(spec);
  if (!match) throw new UsageError(`--job expects NS/JOB:CLASS[,CLASS...], got "${spec}"`);
  const classes = match[3]
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  if (classes.length === 0) throw new UsageError(`--job "${spec}" names no classes`);
  return { namespace: match[1], job: match[2], classes, mode };
}
