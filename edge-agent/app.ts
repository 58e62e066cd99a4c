import multipart from '@fastify/multipart';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { bearerAuth, secretMatches } from '../lib/http/bearer-auth.js';
import { errorResponses, installErrorReplies } from '../lib/http/error-replies.js';
import { opsRoutes } from '../lib/http/ops-routes.js';
import { Detection } from '../lib/protocol/detection.js';
import { AgentError } from './agent-error.js';
import type { EdgeAgent } from './agent.js';
import { IMAGE_TYPES, inspectImage } from './image-input.js';

/** `POST /v1/infer` reply (default format). */
export const InferReply = Type.Object({
  model: Type.Object({ job: Type.String(), version: Type.String() }),
  detections: Type.Array(Detection),
  latencyMs: Type.Number(),
});
export type InferReply = Static<typeof InferReply>;

/** `POST /v1/infer?format=ianvs` reply: the Ianvs `predict_dict`. */
export const PredictDictReply = Type.Record(
  Type.String(),
  Type.Array(Type.Object({ name: Type.String(), bbox: Type.Array(Type.Array(Type.Number())) })),
);

const InferQuery = Type.Object(
  {
    format: Type.Optional(Type.Union([Type.Literal('detections'), Type.Literal('ianvs')])),
    job: Type.Optional(Type.String({ pattern: '^[a-z0-9-]+/[a-z0-9.-]+$' })),
  },
  { additionalProperties: false },
);
type InferQuery = Static<typeof InferQuery>;

const errorReplies = errorResponses(400, 401, 404, 413, 415, 429, 499, 500, 503);

/** Content types a multipart file part may carry (clients often send octet-stream; the bytes decide). */
const MULTIPART_FILE_TYPES = new Set<string>([...IMAGE_TYPES, 'application/octet-stream']);

export interface EdgeAgentAppOptions {
  agent: EdgeAgent;
}

/**
 * The agent's HTTP face: `POST /v1/infer` (raw JPEG/PNG body or multipart), `/healthz`, `/readyz`
 * and `/metrics`. Errors are `{ error, message }` with a stable code. The bearer check, when an
 * API token is configured, covers `/v1/infer` only, so probes and scrapes need no secret.
 */
async function edgeAgentApp(app: FastifyInstance, { agent }: EdgeAgentAppOptions): Promise<void> {
  const { limits, apiToken } = agent.config;
  await app.register(multipart, { limits: { fileSize: limits.maxImageBytes, files: 1, fields: 8 } });
  app.addContentTypeParser(
    [...IMAGE_TYPES],
    { parseAs: 'buffer', bodyLimit: limits.maxImageBytes },
    (_req, body, done) => done(null, body),
  );

  installErrorReplies(app);
  // A reply that ends during a shutdown closes its connection, so a keep-alive socket does not
  // hold the close until the deadline (inference runs off the event loop: replies can end late).
  app.addHook('onSend', async (_req, reply) => {
    if (agent.closing) reply.header('connection', 'close');
  });

  const ReadyReply = Type.Object({
    status: Type.String(),
    reason: Type.Optional(Type.String()),
    jobs: Type.Array(
      Type.Object({
        job: Type.String(),
        version: Type.Union([Type.String(), Type.Null()]),
        state: Type.String(),
        reason: Type.Optional(Type.String()),
      }),
    ),
  });
  await app.register(opsRoutes, {
    readiness: () => {
      const reason = agent.notReadyReason();
      const jobs = agent.describeJobs();
      return reason
        ? { ready: false, body: { status: 'not-ready', reason, jobs } }
        : { ready: true, body: { status: 'ready', jobs } };
    },
    registry: agent.metrics.registry,
    readyReply: ReadyReply,
  });

  // /v1/infer in its own context, so the bearer check covers it alone. The counting hooks come
  // first: a refused request is counted in and out like any other (inflight never goes negative).
  await app.register(async (infer) => {
    infer.addHook('onRequest', async () => {
      agent.metrics.inflight.inc();
    });
    infer.addHook('onResponse', async (_req, reply) => {
      agent.metrics.inflight.dec();
      agent.metrics.requests.inc({ status: String(reply.statusCode) });
    });
    if (apiToken)
      await infer.register(bearerAuth, {
        verify: (token) => secretMatches(token, apiToken),
        unauthorizedMessage: 'missing or wrong bearer token',
      });
    infer.post<{ Querystring: InferQuery }>(
      '/v1/infer',
      {
        bodyLimit: limits.maxImageBytes,
        schema: {
          querystring: InferQuery,
          response: { 200: Type.Union([InferReply, PredictDictReply]), ...errorReplies },
        },
        onRequest: async () => {
          if (agent.closing) throw new AgentError(503, 'SHUTTING_DOWN', 'the agent is shutting down');
        },
      },
      async (req, reply) => {
        const { data, name } = await readImageBody(req);
        const image = await inspectImage(data, limits);
        const format = req.query.format ?? 'detections';
        const result = await agent.infer({
          image,
          format,
          signal: clientGone(reply),
          ...(req.query.job ? { job: req.query.job } : {}),
          ...(name ? { name } : {}),
        });
        if (format === 'ianvs') return result.predictDict;
        return { model: result.model, detections: result.detections, latencyMs: result.latencyMs };
      },
    );
  });
}

/** The image bytes of a raw or multipart request; anything else is 415. */
async function readImageBody(req: FastifyRequest): Promise<{ data: Buffer; name?: string }> {
  if (req.isMultipart()) return readMultipartImage(req).catch(asClientError);
  if (Buffer.isBuffer(req.body)) return { data: req.body };
  throw new AgentError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send image/jpeg, image/png or multipart/form-data');
}

async function readMultipartImage(req: FastifyRequest): Promise<{ data: Buffer; name?: string }> {
  const file = await req.file();
  if (!file) throw new AgentError(400, 'NO_FILE', 'the multipart body has no file part');
  if (!MULTIPART_FILE_TYPES.has(file.mimetype)) {
    file.file.resume();
    throw new AgentError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `the file must be image/jpeg or image/png, got ${file.mimetype}`,
    );
  }
  const data = await file.toBuffer();
  return { data, name: file.filename || undefined };
}

/**
 * The multipart parser throws plain errors for a body it cannot read (no boundary, a torn part):
 * that is the client's fault, a 400, not a 500. Errors that carry a 4xx status keep it (413).
 */
function asClientError(err: unknown): never {
  if (err instanceof AgentError) throw err;
  const status = (err as { statusCode?: number }).statusCode;
  if (status !== undefined && status >= 400 && status < 500) throw err;
  throw new AgentError(400, 'MALFORMED_MULTIPART', 'the multipart body is malformed', { cause: err });
}

/** Aborts when the connection closes before the reply was sent: nobody waits for the answer. */
function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const res = reply.raw;
  const onClose = () => {
    if (!res.writableFinished) controller.abort();
  };
  res.once('close', onClose);
  return controller.signal;
}

/** The edge agent routes as a fastify plugin (encapsulated: its parsers and handlers stay inside). */
export const edgeAgentPlugin = fp(edgeAgentApp, { name: 'edge-agent', fastify: '5.x', encapsulate: true });
