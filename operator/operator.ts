import type { Logger } from 'pino';
import { createLogger } from '../lib/log.js';
import { DEFAULT_HEARTBEAT_SECONDS } from '../lib/protocol/defaults.js';
import { parseTrainingJobId } from '../lib/queue/training-queue.js';
import { EdgeRegistry } from './coordination/edge-registry.js';
import { ModelUrls } from './coordination/desired-state.js';
import { NodeRateLimiter } from './coordination/node-rate-limiter.js';
import { SampleUrls } from './coordination/sample-urls.js';
import { TokenVerifier, type AgentAuthConfig } from './coordination/tokens.js';
import { buildHttpServer } from './http-server.js';
import { JobStorage } from './job-storage.js';
import { OperatorMetrics } from './metrics.js';
import { systemClock, type Clock } from './ports/clock.js';
import { jobKey, refOf, type JobStore } from './ports/job-store.js';
import { AlwaysLeader, type LeaderElector } from './ports/leader-election.js';
import type { ObjectStoreFactory } from './ports/object-stores.js';
import type { TrainingQueue } from './ports/training-queue.js';
import { agentEvictionRunner } from './runners/agent-eviction.js';
import { rateLimitSweepRunner } from './runners/rate-limit-sweep.js';
import { resyncRunner } from './runners/resync.js';
import { staleNodeLabelsRunner } from './runners/stale-node-labels.js';
import { termWorkQueue } from './term-work-queue.js';
import type { WorkQueue } from './work-queue.js';

/** Everything the operator runs on; the adapters are built by the caller (CLI, local mode, tests). */
export interface OperatorConfig {
  jobs: JobStore;
  queue: TrainingQueue;
  /** Object stores per job credentials (the S3 endpoint is fixed by the caller). */
  objectStores: ObjectStoreFactory;
  agentAuth: AgentAuthConfig;
  /** Leader election; a single process (local mode) is always the leader. */
  elector?: LeaderElector;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  heartbeatIntervalSeconds?: number;
  /** An agent silent this long is Stale (default 3 heartbeats). */
  staleAfterSeconds?: number;
  /** An agent silent this long is forgotten, gone from status (default 1 hour). */
  evictAfterSeconds?: number;
  /** Most one heartbeat may add to a node's counters (default 10,000). */
  maxCounterIncrement?: number;
  /** Heartbeats one node may send per interval, on average (default 4; burst twice that). */
  callsPerInterval?: number;
  /** Serve the coordination API over HTTPS with this PEM certificate chain and key. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  presignExpirySeconds?: number;
  concurrency?: number;
  /** Every job is reconciled at least this often. */
  resyncSeconds?: number;
  /** How often silent agents are evicted, idle rate-limit buckets dropped and stale nodes' labels refreshed (default 5). */
  sweepSeconds?: number;
  clock?: Clock;
  log?: Logger;
  metrics?: OperatorMetrics;
}

/** A running operator. */
export interface RunningOperator {
  /** Base URL of the coordination API (also serves /healthz, /readyz, /metrics). */
  coordinationUrl: string;
  metrics: OperatorMetrics;
  registry: EdgeRegistry;
  isLeader(): boolean;
  /** Reconciles a job soon (tests, local mode). */
  enqueue(namespace: string, name: string): void;
  /** Graceful stop; `releaseLease: false` leaves the Lease to expire (what a crash does). */
  close(options?: { releaseLease?: boolean }): Promise<void>;
}

/**
 * Starts the operator: HTTP server first (health answers at once), then leader election; while
 * leading, the job store is watched and keys flow through the work queue to the reconciler.
 */
export async function startOperator(config: OperatorConfig): Promise<RunningOperator> {
  const log = config.log ?? createLogger('operator');
  const clock = config.clock ?? systemClock;
  const metrics = config.metrics ?? new OperatorMetrics();
  const interval = config.heartbeatIntervalSeconds ?? DEFAULT_HEARTBEAT_SECONDS;
  const registry = new EdgeRegistry({
    staleAfterMs: (config.staleAfterSeconds ?? interval * 3) * 1000,
    ...(config.evictAfterSeconds !== undefined ? { evictAfterMs: config.evictAfterSeconds * 1000 } : {}),
    ...(config.maxCounterIncrement !== undefined ? { maxCounterIncrement: config.maxCounterIncrement } : {}),
  });
  // Heartbeats, pokes after installs and sample-url calls share the budget; samples are rate-limited
  // by the job's maxPerMinute on the agent already, so a few calls a second is plenty.
  const callsPerInterval = config.callsPerInterval ?? 4;
  const rateLimiter = new NodeRateLimiter(
    Math.max(callsPerInterval / interval, 5),
    Math.max(callsPerInterval * 2, 20),
  );
  const storage = new JobStorage(config.jobs, config.objectStores);
  const elector = config.elector ?? new AlwaysLeader();
  /** The current term of leadership (aborted when it ends); null while standing by. */
  let term: AbortSignal | null = null;
  let queue: WorkQueue | null = null;
  const enqueue = (key: string): void => queue?.add(key);
  config.queue.onSettled((jobId) => {
    const round = parseTrainingJobId(jobId);
    if (round) enqueue(jobKey({ namespace: round.namespace, name: round.job }));
  });

  const app = await buildHttpServer({
    ...(config.tls ? { tls: config.tls } : {}),
    metrics,
    ready: () => elector.isLeader() && config.jobs.synced(),
    coordination: {
      jobs: config.jobs,
      registry,
      tokens: new TokenVerifier(config.agentAuth, config.jobs),
      urls: new ModelUrls(storage, config.presignExpirySeconds ?? 3600),
      samples: new SampleUrls(storage),
      rateLimiter,
      clock,
      metrics,
      heartbeatIntervalSeconds: interval,
      isLeader: () => elector.isLeader(),
      leadership: () => term,
      onJobChanged: enqueue,
      log,
    },
  });
  const address = await app.listen({ host: config.host ?? '127.0.0.1', port: config.port ?? 0 });
  const coordinationUrl = address.replace('[::1]', '127.0.0.1');
  if (!config.tls && !/^https?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(coordinationUrl))
    log.warn({ url: coordinationUrl }, 'Coordination API without TLS on a non-loopback address');

  let leading: Promise<void> = Promise.resolve();
  const startLeading = async (leadership: AbortSignal): Promise<void> => {
    if (leadership.aborted) return; // lost again before the previous stop finished
    metrics.leader.set(1);
    queue = termWorkQueue(
      { ...config, registry, clock, log, metrics, dropTimeoutMs: interval * 3000 },
      leadership,
    );
    queue.start();
    await config.jobs.watchKeys((ref) => enqueue(jobKey(ref)));
    for (const job of config.jobs.list()) enqueue(jobKey(refOf(job)));
  };
  const stopLeading = async (): Promise<void> => {
    metrics.leader.set(0);
    const q = queue;
    queue = null;
    await q?.shutdown();
    await config.jobs.stop();
  };
  await elector.run({
    onStartedLeading: (leadership) => {
      term = leadership;
      leading = leading
        .then(() => startLeading(leadership))
        .catch((err: unknown) => log.error({ err: (err as Error).message }, 'Cannot start leading'));
    },
    onStoppedLeading: () => {
      term = null;
      leading = leading
        .then(stopLeading)
        .catch((err: unknown) => log.error({ err: (err as Error).message }, 'Cannot stop leading'));
    },
  });

  metrics.readGaugesFrom({
    jobPhases: () => config.jobs.list().map((job) => job.status?.phase ?? 'Pending'),
    agentsByState: () => registry.countByState(clock.now().getTime()),
  });
  const sweepSeconds = config.sweepSeconds ?? 5;
  const runners = [
    resyncRunner({ jobs: config.jobs, enqueue, intervalSeconds: config.resyncSeconds ?? 300 }),
    agentEvictionRunner({ registry, clock, enqueue, intervalSeconds: sweepSeconds }),
    rateLimitSweepRunner({ rateLimiter, clock, intervalSeconds: sweepSeconds }),
    staleNodeLabelsRunner({ registry, jobs: config.jobs, clock, intervalSeconds: sweepSeconds }),
  ];
  for (const runner of runners) runner.start();
  log.info({ url: coordinationUrl }, 'Operator started');

  return {
    coordinationUrl,
    metrics,
    registry,
    isLeader: () => elector.isLeader(),
    enqueue: (namespace, name) => enqueue(jobKey({ namespace, name })),
    close: async (options = {}) => {
      for (const runner of runners) runner.stop();
      await app.close();
      await elector.stop({ release: options.releaseLease ?? true });
      await leading;
      await stopLeading();
      // The operator owns the adapters it was given.
      await config.queue.close();
      log.info({}, 'Operator stopped');
    },
  };
}
