import { readFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';

/** The subset of `fetch` the agent uses; a trusted variant is swapped in when a CA file is set. */
export type Fetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

/** Statuses whose Response must have no body. */
const NO_BODY = new Set([101, 204, 205, 304]);

function toResponse(res: IncomingMessage): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  const status = res.statusCode ?? 500;
  if (NO_BODY.has(status)) res.resume();
  const body = NO_BODY.has(status) ? null : (Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>);
  return new Response(body, { status, statusText: res.statusMessage ?? '', headers });
}

/**
 * A `fetch` that trusts the PEM CA bundle in `caFile` besides the public roots (the operator's CA
 * from the chart or cert-manager; an HTTPS S3 endpoint may share it). Built on node:https, because
 * Node 20's fetch takes a CA only through undici's Agent, which Node does not export. Bodies are
 * buffers or strings (heartbeats, samples), replies stream (model downloads).
 */
export async function fetchTrusting(caFile: string): Promise<Fetch> {
  let pem: string;
  try {
    pem = await readFile(caFile, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the CA file ${caFile}: ${(err as Error).message}`, { cause: err });
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new Error(`the CA file ${caFile} holds no PEM certificate`);
  const ca = [...rootCertificates, pem];
  return (url, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const target = new URL(url);
      const headers = Object.fromEntries(new Headers(init.headers).entries());
      const options = { method: init.method ?? 'GET', headers, signal: init.signal ?? undefined };
      const req =
        target.protocol === 'https:'
          ? httpsRequest(target, { ...options, ca }, (res) => resolve(toResponse(res)))
          : httpRequest(target, options, (res) => resolve(toResponse(res)));
      req.on('error', reject);
      const body = init.body;
      if (body === undefined || body === null) req.end();
      else if (typeof body === 'string' || body instanceof Uint8Array) req.end(body);
      else reject(new TypeError('fetchTrusting sends string or byte bodies only'));
    });
}
