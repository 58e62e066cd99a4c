import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { EdgeStlError } from '../errors/index.js';
import { ErrorBody } from '../protocol/error-body.js';
import { HttpError } from './http-error.js';

/** The shared error body (see {@link ErrorBody}). */
export function errorBody(code: string, message: string): ErrorBody {
  return { error: code, message };
}

/** Answers `status` with the shared error body. */
export function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).send(errorBody(code, message));
}

/** Route response schemas for error statuses: `{ 400: ErrorBody, 404: ErrorBody, ... }`. */
export function errorResponses(...statuses: number[]): Record<number, typeof ErrorBody> {
  return Object.fromEntries(statuses.map((status) => [status, ErrorBody]));
}

export interface ErrorRepliesOptions {
  /** HTTP status of typed errors ({@link EdgeStlError}) by code; an {@link HttpError} carries its own. */
  statusByCode?: Readonly<Record<string, number>>;
  /** Called with each error reply's status (a service counting rejected requests). */
  onError?: (status: number, err: Error) => void;
}

/** Codes of fastify's own client errors (bad JSON, body too large, schema validation, ...). */
const CLIENT_CODES: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
};

interface ErrorReply {
  status: number;
  body: ErrorBody;
  /** A typed error with a status: an answer the service meant to give, not a fault. */
  typed: boolean;
}

function errorReplyOf(err: Error, statusByCode: Readonly<Record<string, number>>): ErrorReply {
  if (err instanceof EdgeStlError) {
    const status = err instanceof HttpError ? err.statusCode : statusByCode[err.code];
    if (status !== undefined) return { status, body: errorBody(err.code, err.message), typed: true };
  }
  // fastify's own errors keep a 4xx status with a code by status; anything else is a fault whose
  // message may hold internals (paths, hosts), so it is not shown.
  const status = (err as FastifyError).statusCode;
  if (status !== undefined && status >= 400 && status < 500)
    return { status, body: errorBody(CLIENT_CODES[status] ?? 'BAD_REQUEST', err.message), typed: false };
  return { status: 500, body: errorBody('INTERNAL', 'internal error'), typed: false };
}

/**
 * Makes `app` (and the contexts below it) answer every error and unknown route with the shared
 * {@link ErrorBody}: typed errors with their code and message, fastify's client errors (schema
 * validation, malformed or oversized bodies) with a code by status, and anything else as 500
 * `INTERNAL` without its message (logged as an error).
 */
export function installErrorReplies(app: FastifyInstance, options: ErrorRepliesOptions = {}): void {
  const statusByCode = options.statusByCode ?? {};
  app.setErrorHandler((err: Error, req, reply) => {
    const { status, body, typed } = errorReplyOf(err, statusByCode);
    // A typed error (no model yet, queue full, bad input) is an answer, not a fault: at request
    // rates it would flood the log, so only faults are logged above debug.
    if (typed || status < 500) req.log.debug({ err, code: body.error, status }, 'Request refused');
    else req.log.error({ err, status }, 'Request failed');
    options.onError?.(status, err);
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((_req, reply) => sendError(reply, 404, 'NOT_FOUND', 'no such route'));
}
