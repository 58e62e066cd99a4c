import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import type { FastifyInstance } from 'fastify';
import { EdgeStlError } from '../lib/errors/index.js';
import { sampleKey } from '../lib/storage/layout.js';
import type { ObjectStore } from '../lib/storage/object-store.js';
import { bearerAuth, secretMatches } from '../lib/http/bearer-auth.js';
import { errorResponses, installErrorReplies, sendError } from '../lib/http/error-replies.js';
import type { IndexLocation, LabeledIndex } from './labeled-index.js';
import type { LabelingMetrics } from './labeling-metrics.js';
import { readSample, readSampleImage, saveLabels } from './label-writer.js';
import { listSamples } from './sample-queue.js';
import {
  JobParams,
  JobsReply,
  LabelsBody,
  LabelsReply,
  LoginBody,
  LoginReply,
  SampleParams,
  SampleReply,
  SamplesQuery,
  SamplesReply,
} from './schemas.js';

/** A job the service labels for: its classes come from the job's `dataset.classes`. */
export interface LabelingJob {
  namespace: string;
  job: string;
  classes: string[];
  mode?: 'manual' | 'auto';
  /** The job's bucket and the store its credentials open; the service's own when absent. */
  storage?: IndexLocation;
}

/** Where a job's samples and labels live. */
export function storageOf(job: LabelingJob, fallback: IndexLocation): IndexLocation {
  return job.storage ?? fallback;
}

export interface LabelingAppOptions {
  store: ObjectStore;
  bucket: string;
  /** The token the page and the API require (`Authorization: Bearer <token>`). */
  token: string;
  /** The jobs to serve; called per request, so the set may change at run time. */
  jobs: () => LabelingJob[] | Promise<LabelingJob[]>;
  index: LabeledIndex;
  metrics: LabelingMetrics;
}

/**
 * Bodies are validated as written (no coercion, unknown properties rejected rather than silently
 * dropped, which fastify's default does); path and query strings are coerced to their types.
 */
function strictValidatorCompiler() {
  const strict = new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: true, strict: false });
  const coercing = new Ajv({ coerceTypes: true, useDefaults: true, strict: false });
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema);
}

const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));
const STATUS_BY_CODE: Record<string, number> = {
  INVALID_LABELS: 400,
  INVALID_NAME: 400,
  SAMPLE_NOT_FOUND: 404,
  JOB_NOT_FOUND: 404,
  INVALID_SAMPLE: 422,
  LOCK_TIMEOUT: 503,
  LOCK_LOST: 503,
};

/**
 * The labeling service as a fastify plugin: the page, and a token-protected API to list a job's
 * pending samples, fetch one with its edge prediction, and save labels (VOC + labeled index).
 */
export async function labelingApp(app: FastifyInstance, options: LabelingAppOptions): Promise<void> {
  const home: IndexLocation = { store: options.store, bucket: options.bucket };
  const findJob = async (namespace: string, job: string): Promise<LabelingJob & { at: IndexLocation }> => {
    const found = (await options.jobs()).find((j) => j.namespace === namespace && j.job === job);
    if (!found) throw new EdgeStlError('JOB_NOT_FOUND', `no labeling job ${namespace}/${job}`);
    return { ...found, at: storageOf(found, home) };
  };

  installErrorReplies(app, {
    statusByCode: STATUS_BY_CODE,
    onError: (status) => {
      if (status === 400) options.metrics.rejected.inc();
    },
  });
  app.setValidatorCompiler(strictValidatorCompiler());
  app.get('/', async (_req, reply) =>
    reply.type('text/html; charset=utf-8').send(await readFile(`${PUBLIC_DIR}index.html`)),
  );
  app.get('/labeling.js', async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').send(await readFile(`${PUBLIC_DIR}labeling.js`)),
  );

  app.post<{ Body: LoginBody }>(
    '/api/login',
    { schema: { body: LoginBody, response: { 200: LoginReply, ...errorResponses(401) } } },
    async (req, reply) => {
      if (!secretMatches(req.body.token, options.token))
        return sendError(reply, 401, 'UNAUTHORIZED', 'wrong token');
      return { ok: true };
    },
  );

  // Everything under /api except login needs the token.
  await app.register(async (api) => {
    await api.register(bearerAuth, {
      verify: (token) => secretMatches(token, options.token),
      unauthorizedMessage: 'a valid bearer token is required',
    });
    api.get('/api/jobs', { schema: { response: { 200: JobsReply } } }, async () => ({
      jobs: (await options.jobs()).map((j) => ({
        namespace: j.namespace,
        job: j.job,
        classes: j.classes,
        mode: j.mode ?? 'manual',
      })),
    }));

    api.get<{ Params: JobParams; Querystring: SamplesQuery }>(
      '/api/jobs/:ns/:job/samples',
      {
        schema: {
          params: JobParams,
          querystring: SamplesQuery,
          response: { 200: SamplesReply, ...errorResponses(404) },
        },
      },
      async (req) => {
        const job = await findJob(req.params.ns, req.params.job);
        const listing = await listSamples(job.at.store, job.at.bucket, job.namespace, job.job);
        const offset = req.query.offset ?? 0;
        const samples = listing.pending.slice(offset, offset + (req.query.limit ?? 100));
        return { classes: job.classes, counts: listing.counts, samples };
      },
    );

    api.get<{ Params: SampleParams }>(
      '/api/jobs/:ns/:job/samples/:node/:id',
      { schema: { params: SampleParams, response: { 200: SampleReply, ...errorResponses(404, 422) } } },
      async (req) => {
        const { ns, job, node, id } = req.params;
        const found = await findJob(ns, job);
        const ref = { namespace: ns, job, node, id };
        const [sample, image] = await Promise.all([
          readSample(found.at.store, found.at.bucket, ref),
          readSampleImage(found.at.store, found.at.bucket, ref),
        ]);
        return {
          node,
          id,
          image: { width: image.width, height: image.height },
          detections: sample.detections,
          classes: found.classes,
          modelVersion: sample.model.version,
          createdAt: sample.createdAt,
        };
      },
    );

    api.get<{ Params: SampleParams }>(
      '/api/jobs/:ns/:job/samples/:node/:id/image',
      { schema: { params: SampleParams } },
      async (req, reply) => {
        const { ns, job, node, id } = req.params;
        const { at } = await findJob(ns, job);
        const key = sampleKey(ns, job, node, id, 'jpeg');
        if (!(await at.store.stat(at.bucket, key)))
          throw new EdgeStlError('SAMPLE_NOT_FOUND', `no image for sample ${node}/${id}`);
        return reply.type('image/jpeg').send(await at.store.getBuffer(at.bucket, key));
      },
    );

    api.post<{ Params: SampleParams; Body: LabelsBody }>(
      '/api/jobs/:ns/:job/samples/:node/:id/labels',
      {
        schema: {
          params: SampleParams,
          body: LabelsBody,
          response: { 200: LabelsReply, ...errorResponses(400, 404) },
        },
      },
      async (req) => {
        const { ns, job, node, id } = req.params;
        const found = await findJob(ns, job);
        const result = await saveLabels(
          { store: found.at.store, bucket: found.at.bucket, index: options.index },
          { namespace: ns, job, node, id },
          { boxes: req.body.boxes, classes: found.classes, method: 'manual' },
        );
        options.metrics.saves.inc({ method: 'manual' });
        req.log.info({ job: `${ns}/${job}`, node, id, boxes: req.body.boxes.length }, 'Saved labels');
        return result;
      },
    );
  });
}
