import { readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';

/** An undici dispatcher, opaque here (undici is not a dependency: Node bundles it). */
export interface Dispatcher {
  dispatch: unknown;
}

/** `fetch` options that trust one more CA (undici's `dispatcher`, which Node's RequestInit lacks). */
export type TrustedRequestInit = RequestInit & { dispatcher?: Dispatcher };

type AgentConstructor = new (options: { connect: { ca: string[] } }) => Dispatcher;

/**
 * Node's built-in fetch is undici, but Node 20 does not export undici's `Agent`. The global
 * dispatcher that fetch installs is one, so its constructor is the class we need.
 */
async function undiciAgentClass(): Promise<AgentConstructor> {
  const key = Symbol.for('undici.globalDispatcher.1');
  if (!(key in globalThis)) await fetch('data:,').then((r) => r.arrayBuffer());
  const global = (globalThis as Record<symbol, unknown>)[key] as { constructor: AgentConstructor } | undefined;
  if (!global) throw new Error('cannot find the fetch dispatcher of this Node.js');
  return global.constructor;
}

/**
 * A fetch dispatcher that trusts the PEM CA bundle in `caFile` besides the public roots (the
 * operator's CA from the chart or cert-manager; an HTTPS S3 endpoint may use a public one).
 */
export async function dispatcherTrusting(caFile: string): Promise<Dispatcher> {
  let pem: string;
  try {
    pem = await readFile(caFile, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the CA file ${caFile}: ${(err as Error).message}`, { cause: err });
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new Error(`the CA file ${caFile} holds no PEM certificate`);
  const Agent = await undiciAgentClass();
  return new Agent({ connect: { ca: [...rootCertificates, pem] } });
}
