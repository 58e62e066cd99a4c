import type { FastifyInstance, FastifyRequest } from 'fastify';
import { bearerAuth } from '../../lib/http/bearer-auth.js';
import { errorBody, errorResponses, sendError } from '../../lib/http/error-replies.js';
import { Type } from '@sinclair/typebox';
import type { SingleTaskLearningJob } from '../../lib/api/v1alpha1/index.js';
import {
  HeartbeatReply,
  HeartbeatRequest,
  SampleUrlsReply,
  SampleUrlsRequest,
  type DesiredJob,
} from '../../lib/protocol/heartbeat.js';
import { specOf } from '../defaulted.js';
import type { JobStore } from '../ports/job-store.js';
import { jobKey, parseJobKey } from '../ports/job-store.js';
import type { Clock } from '../ports/clock.js';
import type { OperatorMetrics } from '../metrics.js';
import { DesiredState, dropJob, heartbeatReplyJson, type ModelUrls } from './desired-state.js';
import { matchesSelector, type EdgeRegistry } from './edge-registry.js';
import type { NodeRateLimiter } from './node-rate-limiter.js';
import type { SampleUrls } from './sample-urls.js';
import type { TokenVerifier } from './tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The leadership term the request began in (null without leader election). */
    leadership: AbortSignal | null;
    /** Labels of the calling node's Node object (set once it is found). */
    nodeLabels: Record<string, string> | null;
  }
}

/** What the coordination routes need from the operator. */
export interface CoordinationDeps {
  jobs: JobStore;
  registry: EdgeRegistry;
  tokens: TokenVerifier;
  urls: ModelUrls;
  samples: SampleUrls;
  clock: Clock;
  metrics: OperatorMetrics;
  heartbeatIntervalSeconds: number;
  /** Calls one node may make: a burst, refilled at a steady rate (429 beyond). */
  rateLimiter: NodeRateLimiter;
  /** Only the leader answers; a standby says 503 so agents retry (and readiness sends them elsewhere). */
  isLeader: () => boolean;
  /**
   * The current term of leadership: a reply begun in a term that has ended since is answered 503
   * instead, so an agent never takes a former leader's word.
   */
  leadership?: () => AbortSignal | null;
  /** A job's edge view changed: reconcile it soon. */
  onJobChanged: (key: string) => void;
  log: { warn: (obj: object, msg: string) => void };
}

const Params = Type.Object({ node: Type.String({ minLength: 1, maxLength: 253 }) });
const ERRORS = errorResponses(400, 401, 403, 404, 429, 503);
const NOT_LEADER = errorBody('NOT_LEADER', 'not the leader');
/** A heartbeat is a few KB; anything near this is not an agent talking. */
const BODY_LIMIT = 64 * 1024;

/**
 * The coordination API. Every call is made by one node about itself: its bearer token must be that
 * node's own (see {@link TokenVerifier}), the node must exist as a Node object (whose labels, not
 * the agent's word, select jobs), and each node is rate-limited.
 *
 * `POST /v1/agents/:node/heartbeat`: records the agent's report and replies, for each job whose
 * `edge.nodeSelector` matches the node's labels, the model to run, the sampling settings and the
 * bucket; jobs the agent still reports but which are gone (or no longer select it) get `drop`.
 * Until the job cache holds a complete list the API answers 503, and while a relist waits for its
 * list no job gets `drop` (the agent keeps what it serves; the next heartbeat decides).
 *
 * `POST /v1/agents/:node/sample-urls`: presigned PUT URLs for one sample under the node's own prefix.
 */
export async function coordinationRoutes(app: FastifyInstance, deps: CoordinationDeps): Promise<void> {
  const desired = new DesiredState(() => deps.jobs.list(), deps.urls);
  app.decorateRequest('nodeLabels', null);
  app.decorateRequest('leadership', null);
  // onRequest hooks run in the order added: a standby or an unsynced cache answers 503 before any
  // token is looked at (agents retry elsewhere), then a caller that is not the node it names is
  // turned away (401) before its body is read, then the per-node rate limit and Node lookup.
  app.addHook('onRequest', async (req, reply) => {
    if (!deps.isLeader()) return reply.code(503).send(NOT_LEADER);
    if (!deps.jobs.synced()) return sendError(reply, 503, 'NOT_SYNCED', 'job cache not synced yet');
    req.leadership = deps.leadership?.() ?? null;
  });
  // The token is per node (a lookup, not one shared secret): verify gets the node from the URL.
  await app.register(bearerAuth, {
    verify: (token, req) => deps.tokens.verify((req.params as { node: string }).node, token),
    unauthorizedMessage: 'invalid token for this node',
  });
  app.addHook<{ Params: { node: string } }>('onRequest', async (req, reply) => {
    const node = req.params.node;
    if (!deps.rateLimiter.take(node, deps.clock.now().getTime())) {
      reply.header('retry-after', '1');
      return sendError(reply, 429, 'RATE_LIMITED', 'too many calls from this node');
    }
    const labels = await nodeLabels(deps, node);
    if (!labels) return sendError(reply, 403, 'UNKNOWN_NODE', 'no Node object of this name');
    req.nodeLabels = labels;
  });
  app.addHook('onSend', async (req, reply, payload) => {
    if (!req.leadership?.aborted || reply.statusCode >= 300) return payload;
    reply.code(503);
    return JSON.stringify(NOT_LEADER);
  });
  const labelsOf = (req: FastifyRequest): Record<string, string> => {
    // The onRequest hook above has answered 403 already when the node has no Node object.
    if (!req.nodeLabels) throw new Error('node labels missing: the onRequest hook did not run');
    return req.nodeLabels;
  };

  app.post<{ Params: { node: string }; Body: HeartbeatRequest }>(
    '/v1/agents/:node/heartbeat',
    {
      bodyLimit: BODY_LIMIT,
      schema: { params: Params, body: HeartbeatRequest, response: { 200: HeartbeatReply, ...ERRORS } },
    },
    async (req, reply) => {
      const started = performance.now();
      const node = req.params.node;
      if (req.body.node !== node)
        return sendError(reply, 400, 'NODE_MISMATCH', 'body.node differs from the URL');
      const labels = labelsOf(req);
      const changed = deps.registry.record(req.body, labels, deps.clock.now().getTime());
      const reported = new Set(req.body.jobs.map((j) => jobKey(j.job)));
      const jobs = await desiredJobs(deps, desired, node, labels, reported);
      for (const key of changed) deps.onJobChanged(key);
      deps.metrics.heartbeatSeconds.observe((performance.now() - started) / 1000);
      // Serialized from cached parts (the 200 schema documents it; fastify sends a JSON string as is).
      return reply.type('application/json').send(heartbeatReplyJson(jobs, deps.heartbeatIntervalSeconds));
    },
  );

  app.post<{ Params: { node: string }; Body: SampleUrlsRequest }>(
    '/v1/agents/:node/sample-urls',
    {
      bodyLimit: 4096,
      schema: { params: Params, body: SampleUrlsRequest, response: { 200: SampleUrlsReply, ...ERRORS } },
    },
    async (req, reply) => {
      const job = await deps.jobs.get(req.body.job);
      if (!job || job.metadata?.deletionTimestamp || !selects(job, labelsOf(req)))
        return sendError(reply, 404, 'JOB_NOT_FOUND', 'no job of that name selects this node');
      return deps.samples.forSample(job, req.params.node, req.body.id);
    },
  );
}

/**
 * The labels of a node's Node object. A node already known from its heartbeats gets the labels it
 * had last time while they are looked up again behind its back (a cache miss is a call to the API
 * server, which at 500 heartbeats a second must not sit in their latency); a node the lookup no
 * longer finds is forgotten, so its next call waits for the answer (403).
 */
function nodeLabels(
  deps: CoordinationDeps,
  node: string,
): Record<string, string> | Promise<Record<string, string> | null> {
  const known = deps.registry.labelsOf(node);
  const lookup = deps.jobs.getNodeLabels(node);
  if (!known) return lookup;
  lookup.then(
    (labels) => {
      if (labels) deps.registry.setNodeLabels(node, labels);
      else for (const key of deps.registry.forget(node)) deps.onJobChanged(key);
    },
    (err: unknown) => deps.log.warn({ node, err: (err as Error).message }, 'Cannot read the Node object'),
  );
  return known;
}

function selects(job: SingleTaskLearningJob, labels: Record<string, string>): boolean {
  try {
    return matchesSelector(labels, specOf(job).edge.nodeSelector);
  } catch {
    return false; // a spec too broken to default selects nothing
  }
}

async function desiredJobs(
  deps: CoordinationDeps,
  desired: DesiredState,
  node: string,
  labels: Record<string, string>,
  reported: Set<string>,
): Promise<DesiredJob[]> {
  const out: DesiredJob[] = [];
  const served = new Set<string>();
  for (const entry of desired.jobsFor(node, labels)) {
    const key = entry.key;
    try {
      out.push(await desired.desiredJob(entry, node));
      served.add(key);
    } catch (err) {
      // Storage credentials missing: the agent keeps what it has; the reconciler reports the cause.
      deps.log.warn({ job: key, node, err: (err as Error).message }, 'Cannot resolve desired model');
      if (reported.has(key)) served.add(key);
    }
  }
  // A job missing from a cache that is not a complete, current list may only be unlisted yet.
  if (!deps.jobs.synced() || deps.jobs.relisting()) return out;
  for (const key of reported) {
    if (served.has(key)) continue;
    out.push(dropJob(parseJobKey(key)));
  }
  return out;
}
