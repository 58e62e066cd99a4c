import type { FastifyInstance } from 'fastify';

export interface HttpReply {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  rawPayload: Buffer;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  payload?: unknown;
}

/**
 * Listens on a free loopback port and returns an inject-like client over real HTTP. (fastify's
 * `inject()` cannot load under jest's ESM VM on Node 20: light-my-request `require`s the ESM-only
 * `cookie` 2.x.)
 */
export async function listenClient(app: FastifyInstance): Promise<(req: HttpRequest) => Promise<HttpReply>> {
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  return async (req) => {
    const headers: Record<string, string> = { ...(req.headers ?? {}) };
    let body: string | undefined;
    if (req.payload !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.payload);
    }
    const res = await fetch(base + req.url, { method: req.method, headers, body });
    const rawPayload = Buffer.from(await res.arrayBuffer());
    const text = rawPayload.toString('utf8');
    return {
      statusCode: res.status,
      headers: Object.fromEntries(res.headers.entries()),
      body: text,
      rawPayload,
      json: () => JSON.parse(text),
    };
  };
}
