import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { sendError } from './error-replies.js';

/**
 * True when `presented` equals the secret `expected`, compared in constant time: both are hashed
 * first, so the lengths match and neither the content nor the length leaks through timing.
 */
export function secretMatches(presented: string | undefined, expected: string): boolean {
  if (!presented) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), if any. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return match?.[1];
}

export interface BearerAuthOptions {
  /**
   * Whether `token` may make `request`. Compare secrets with {@link secretMatches}; a lookup (one
   * token per caller) may use the request, e.g. its route params.
   */
  verify: (token: string, request: FastifyRequest) => boolean | Promise<boolean>;
  /** The message of the 401 `UNAUTHORIZED` a refused caller gets. */
  unauthorizedMessage: string;
}

/**
 * An `onRequest` bearer check on the context it is registered in (and its children): a request
 * without a valid `Authorization: Bearer <token>` is answered 401 before its body is read.
 * Hooks run in the order they are added, so a service that must answer something else first
 * (e.g. 503 while not leading) adds that hook before awaiting this plugin's registration.
 */
async function bearerAuthPlugin(app: FastifyInstance, options: BearerAuthOptions): Promise<void> {
  app.addHook('onRequest', async (request, reply) => {
    const token = bearerToken(request.headers.authorization);
    if (token === undefined || !(await options.verify(token, request)))
      return sendError(reply, 401, 'UNAUTHORIZED', options.unauthorizedMessage);
  });
}

export const bearerAuth = fp(bearerAuthPlugin, { name: 'edge-stl-bearer-auth', fastify: '5.x' });
