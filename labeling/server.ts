import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { opsRoutes } from '../lib/http/ops-routes.js';
import { createLogger, type Logger } from '../lib/log.js';
import { createObjectStore } from '../lib/storage/minio-object-store.js';
import type { ObjectStore, S3Config } from '../lib/storage/object-store.js';
import { EdgeStlError } from '../lib/errors/index.js';
import { labelingApp, storageOf, type LabelingJob } from './app.js';
import { autoLabel, type AutoLabelReport } from './auto-labeler.js';
import { LABELING_DEFAULTS } from './defaults.js';
import { GroundTruthOracle } from './ground-truth-oracle.js';
import { LabeledIndex } from './labeled-index.js';
import { LabelingMetrics } from './labeling-metrics.js';
import { loadTeacher, newestModelKey, type Teacher } from './teacher-model.js';
import { redisConnection } from '../lib/infra/index.js';

export interface LabelingConfig {
  bucket: string;
  /** Token for the page and the API. */
  token: string;
  /** Jobs to serve: a fixed list or a function (the local mode passes its live jobs). */
  jobs: LabelingJob[] | (() => LabelingJob[] | Promise<LabelingJob[]>);
  s3?: S3Config;
  store?: ObjectStore;
  /** With Redis, index appends are serialised across replicas; without it, only within this process. */
  redisUrl?: string;
  /** Port to listen on (0 = any free port; default 8090). */
  port?: number;
  host?: string;
  /** Auto mode (jobs with `mode: auto`): how often to run, and what it may use. */
  auto?: {
    intervalMs?: number;
    /** s3:// Ianvs index URIs whose images are ground truth for the oracle. */
    groundTruthIndexes?: string[];
    teacherScoreThreshold?: number;
  };
  workDir?: string;
  logger?: Logger;
}

export interface LabelingService {
  /** `http://host:port` */
  url: string;
  app: FastifyInstance;
  index: LabeledIndex;
  metrics: LabelingMetrics;
  /** Runs one auto-labeling pass over the `auto` jobs now (also what the timer does). */
  runAuto(): Promise<Record<string, AutoLabelReport>>;
  /** Auto-labeling passes completed so far: a caller can tell the labeler has seen what came in. */
  autoPasses(): number;
  close(): Promise<void>;
}

/**
 * Starts the labeling service: the page and API, `/healthz`, `/readyz`, `/metrics`, and for jobs in
 * auto mode a periodic oracle/teacher pass.
 */
export async function startLabeling(config: LabelingConfig): Promise<LabelingService> {
  const logger = config.logger ?? createLogger('labeling');
  const store = config.store ?? createObjectStore(requireS3(config.s3));
  const redis = config.redisUrl
    ? new Redis(redisConnection(config.redisUrl, { maxRetriesPerRequest: 3 }))
    : undefined;
  const index = new LabeledIndex(store, config.bucket, redis);
  const metrics = new LabelingMetrics();
  const jobs = typeof config.jobs === 'function' ? config.jobs : () => config.jobs as LabelingJob[];
  const app = Fastify({
    loggerInstance: logger,
    requestTimeout: 30_000,
    bodyLimit: 1024 * 1024,
  }) as unknown as FastifyInstance;
  let closing = false;
  await app.register(opsRoutes, {
    readiness: () => ({ ready: !closing, body: { status: closing ? 'closing' : 'ready' } }),
    registry: metrics.registry,
  });
  await app.register(labelingApp, {
    store,
    bucket: config.bucket,
    token: config.token,
    jobs,
    index,
    metrics,
  });

  const auto = autoRunner({ config, store, index, metrics, logger, jobs });
  const url = await app.listen({
    port: config.port ?? LABELING_DEFAULTS.port,
    host: config.host ?? LABELING_DEFAULTS.host,
  });
  const timer = config.auto
    ? setInterval(
        () => void auto.run().catch((err) => logger.warn({ err }, 'Auto-labeling pass failed')),
        config.auto.intervalMs ?? LABELING_DEFAULTS.autoIntervalMs,
      )
    : null;
  timer?.unref();
  logger.info({ url }, 'Labeling service started');
  return {
    url,
    app,
    index,
    metrics,
    runAuto: () => auto.run(),
    autoPasses: () => auto.completed(),
    async close() {
      if (closing) return;
      closing = true;
      if (timer) clearInterval(timer);
      await auto.idle();
      await app.close();
      await auto.dispose();
      redis?.disconnect();
    },
  };
}

/** Auto mode: one pass at a time; oracle built once, teachers cached by model version. */
function autoRunner(deps: {
  config: LabelingConfig;
  store: ObjectStore;
  index: LabeledIndex;
  metrics: LabelingMetrics;
  logger: Logger;
  jobs: () => LabelingJob[] | Promise<LabelingJob[]>;
}) {
  const { config, store } = deps;
  let oracle: Promise<GroundTruthOracle | null> | null = null;
  const teachers = new Map<string, Teacher>();
  let running: Promise<Record<string, AutoLabelReport>> | null = null;
  let completed = 0;
  const workDir = config.workDir ?? join(tmpdir(), 'edge-stl-labeling');
  const threshold = config.auto?.teacherScoreThreshold ?? LABELING_DEFAULTS.teacherScoreThreshold;

  const home = { store, bucket: config.bucket };

  const teacherFor = async (job: LabelingJob): Promise<Teacher | null> => {
    const key = `${job.namespace}/${job.job}`;
    const at = storageOf(job, home);
    const current = teachers.get(key);
    const newest = await newestModelKey(at.store, at.bucket, job.namespace, job.job);
    if (!newest || newest.version === current?.version) return current ?? null;
    await current?.dispose();
    teachers.delete(key);
    const teacher = await loadTeacher(at.store, at.bucket, job.namespace, job.job, workDir, threshold);
    if (teacher) teachers.set(key, teacher);
    return teacher;
  };

  const pass = async (): Promise<Record<string, AutoLabelReport>> => {
    // Built once; a failed build (S3 briefly away) is retried on the next pass, not cached.
    oracle ??= (
      config.auto?.groundTruthIndexes?.length
        ? GroundTruthOracle.fromIndexes(store, config.auto.groundTruthIndexes)
        : Promise.resolve(null)
    ).catch((err: unknown) => {
      oracle = null;
      throw err;
    });
    const reports: Record<string, AutoLabelReport> = {};
    for (const job of (await deps.jobs()).filter((j) => j.mode === 'auto')) {
      const at = storageOf(job, home);
      reports[`${job.namespace}/${job.job}`] = await autoLabel({
        store: at.store,
        bucket: at.bucket,
        index: deps.index,
        job,
        oracle: await oracle,
        teacher: await teacherFor(job),
        teacherScoreThreshold: threshold,
        metrics: deps.metrics,
        logger: deps.logger,
      });
    }
    completed += 1;
    return reports;
  };

  return {
    completed: () => completed,
    run(): Promise<Record<string, AutoLabelReport>> {
      running ??= pass().finally(() => (running = null));
      return running;
    },
    async idle(): Promise<void> {
      await running?.catch(() => undefined);
    },
    async dispose(): Promise<void> {
      for (const teacher of teachers.values()) await teacher.dispose();
      teachers.clear();
    },
  };
}

function requireS3(s3: S3Config | undefined): S3Config {
  if (!s3)
    throw new EdgeStlError(
      'CONFIG',
      'labeling needs S3 settings (config.s3) or an object store (config.store)',
    );
  return s3;
}
