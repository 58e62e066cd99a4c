import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { HeartbeatReply, HeartbeatRequest, type DesiredJob } from '../../lib/protocol/heartbeat.js';
import { specOf } from '../defaulted.js';
import type { JobStore } from '../ports/job-store.js';
import { jobKey, refOf } from '../ports/job-store.js';
import type { Clock } from '../ports/clock.js';
import type { OperatorMetrics } from '../metrics.js';
import { dropJob, desiredJob, type ModelUrls } from './desired-state.js';
import { matchesSelector, type EdgeRegistry } from './edge-registry.js';
import type { TokenVerifier } from './tokens.js';

/** What the coordination routes need from the operator. */
export interface CoordinationDeps {
  jobs: JobStore;
  registry: EdgeRegistry;
  tokens: TokenVerifier;
  urls: ModelUrls;
  clock: Clock;
  metrics: OperatorMetrics;
  heartbeatIntervalSeconds: number;
  /** Only the leader answers; a standby says 503 so agents retry (and readiness sends them elsewhere). */
  isLeader: () => boolean;
  /** A job's edge view changed: reconcile it soon. */
  onJobChanged: (key: string) => void;
  log: { warn: (obj: object, msg: string) => void };
}

const ErrorReply = Type.Object({ error: Type.String() }, { additionalProperties: false });
const Params = Type.Object({ node: Type.String({ minLength: 1, maxLength: 253 }) });

/**
 * `POST /v1/agents/:node/heartbeat`: records the agent's report and replies, for each job whose
 * `edge.nodeSelector` matches the node's labels, the model to run, the sampling settings and the
 * bucket; jobs the agent still reports but which are gone (or no longer select it) get `drop`.
 */
export async function coordinationRoutes(app: FastifyInstance, deps: CoordinationDeps): Promise<void> {
  app.post<{ Params: { node: string }; Body: HeartbeatRequest }>(
    '/v1/agents/:node/heartbeat',
    {
      schema: {
        params: Params,
        body: HeartbeatRequest,
        response: { 200: HeartbeatReply, 400: ErrorReply, 401: ErrorReply, 503: ErrorReply },
      },
    },
    async (req, reply) => {
      const started = performance.now();
      if (!deps.isLeader()) return reply.code(503).send({ error: 'not the leader' });
      const node = req.params.node;
      const auth = req.headers.authorization;
      const token = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
      if (!(await deps.tokens.verify(node, token)))
        return reply.code(401).send({ error: 'invalid token for this node' });
      if (req.body.node !== node) return reply.code(400).send({ error: 'body.node differs from the URL' });
      const labels = await labelsFor(deps, node, req.body.labels);
      const changed = deps.registry.record(
        req.body,
        labels.labels,
        labels.fromAgent,
        deps.clock.now().getTime(),
      );
      const jobs = await desiredJobs(
        deps,
        node,
        labels.labels,
        new Set(req.body.jobs.map((j) => jobKey(j.job))),
      );
      for (const key of changed) deps.onJobChanged(key);
      deps.metrics.heartbeatSeconds.observe((performance.now() - started) / 1000);
      return { jobs, heartbeatIntervalSeconds: deps.heartbeatIntervalSeconds };
    },
  );
}

async function labelsFor(
  deps: CoordinationDeps,
  node: string,
  fromBody: Record<string, string> | undefined,
): Promise<{ labels: Record<string, string>; fromAgent: boolean }> {
  if (fromBody) return { labels: fromBody, fromAgent: true };
  const known = deps.registry.labelsOf(node);
  if (known) return { labels: known, fromAgent: false };
  return { labels: (await deps.jobs.getNodeLabels(node)) ?? {}, fromAgent: false };
}

async function desiredJobs(
  deps: CoordinationDeps,
  node: string,
  labels: Record<string, string>,
  reported: Set<string>,
): Promise<DesiredJob[]> {
  const out: DesiredJob[] = [];
  const served = new Set<string>();
  for (const job of deps.jobs.list()) {
    const key = jobKey(refOf(job));
    if (job.metadata?.deletionTimestamp) continue;
    let selector: Record<string, string>;
    try {
      selector = specOf(job).edge.nodeSelector;
    } catch {
      continue; // a spec too broken to default is reported by the reconciler as InvalidSpec
    }
    if (!matchesSelector(labels, selector)) continue;
    try {
      out.push(await desiredJob(job, node, deps.urls));
      served.add(key);
    } catch (err) {
      // Storage credentials missing: the agent keeps what it has; the reconciler reports the cause.
      deps.log.warn({ job: key, node, err: (err as Error).message }, 'Cannot resolve desired model');
      if (reported.has(key)) served.add(key);
    }
  }
  for (const key of reported) {
    if (served.has(key)) continue;
    const [namespace, ...rest] = key.split('/');
    out.push(dropJob({ namespace, name: rest.join('/') }));
  }
  return out;
}
