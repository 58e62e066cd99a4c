import { mkdir, readFile } from 'node:fs/promises';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { BaseModelConstructor } from '../lib/algorithm-api/index.js';
import { UsageError } from '../lib/errors/index.js';
import { createLogger } from '../lib/log.js';
import { fetchTrusting } from '../lib/net/trusted-fetch.js';
import { createObjectStore } from '../lib/storage/minio-object-store.js';
import type { ObjectStore } from '../lib/storage/object-store.js';
import { EdgeAgent } from './agent.js';
import { edgeAgentPlugin } from './app.js';
import { resolveEdgeAgentConfig, type EdgeAgentConfig, type EdgeAgentOptions } from './config.js';

export interface StartEdgeAgentDeps {
  log?: Logger;
  /** Object store for samples; default: one built from `config.s3`. */
  store?: ObjectStore | null;
  resolveAlgorithm?: (alias: string) => Promise<BaseModelConstructor>;
}

/** A running agent. */
export interface RunningEdgeAgent {
  /** `http://<host>:<port>` reachable from this machine. */
  url: string;
  port: number;
  config: EdgeAgentConfig;
  agent: EdgeAgent;
  app: FastifyInstance;
  /** Graceful stop: new requests 503, in-flight ones finish, then samples, uploads and models settle. */
  close(): Promise<void>;
}

/**
 * Starts an edge agent in this process: opens its data directory, builds the fastify app and
 * listens. Used by `edge-stl edge-agent`, by local mode (`edge-stl up`) and by tests.
 */
export async function startEdgeAgent(
  options: EdgeAgentOptions,
  deps: StartEdgeAgentDeps = {},
): Promise<RunningEdgeAgent> {
  const config = await withTokenFromFile(resolveEdgeAgentConfig(options));
  const log = (deps.log ?? createLogger('edge-agent')).child({ node: config.node });
  await mkdir(config.dataDir, { recursive: true });
  const trustedFetch = config.caFile ? await fetchTrusting(config.caFile) : undefined;
  if (
    config.operatorUrl?.startsWith('http:') &&
    !/^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(config.operatorUrl)
  )
    log.warn(
      { operator: config.operatorUrl },
      'Operator URL is plain HTTP: replies can be forged on the path',
    );
  const ownStore =
    deps.store === undefined && config.s3
      ? createObjectStore(config.s3, { requestTimeoutMs: config.limits.s3TimeoutMs })
      : null;
  const store = deps.store !== undefined ? deps.store : ownStore;
  if (!store) log.warn({}, 'No S3 configured: kept samples stay in the outbox');
  const agent = await EdgeAgent.open(config, {
    log,
    store,
    resolveAlgorithm: deps.resolveAlgorithm,
    ...(trustedFetch ? { fetch: trustedFetch } : {}),
  });
  const app: FastifyInstance = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // One log line per inference would drown the useful ones; /metrics counts requests instead.
    logController: new LogController({ disableRequestLogging: true }),
    // Bounded so that a stuck client cannot hold a shutdown forever.
    requestTimeout: 60_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  await app.register(edgeAgentPlugin, { agent });
  // preClose runs before the server stops accepting: from here on /v1/infer answers our 503.
  let closeStarted = 0;
  // Fires shortly before the shutdown deadline, leaving time to flush state and dispose models.
  let workDeadline: AbortSignal | undefined;
  app.addHook('preClose', async () => {
    closeStarted = Date.now();
    log.info({}, 'Edge agent shutting down');
    agent.stopAccepting();
    workDeadline = AbortSignal.timeout(cutAfterMs(config.limits.shutdownTimeoutMs));
    // Requests this process started on its own store are cut then; a store passed in is the caller's.
    workDeadline.addEventListener('abort', () => ownStore?.abortInFlight?.(), { once: true });
  });
  app.addHook('onClose', async () => {
    await agent.close(workDeadline);
    log.info({ ms: Date.now() - closeStarted, samplesQueued: agent.outbox.size }, 'Edge agent stopped');
  });
  await app.listen({ host: config.host, port: config.port });
  // After listen, so /healthz and /readyz answer while the initial model loads.
  await agent.start();
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ url, dataDir: config.dataDir, operator: config.operatorUrl }, 'Edge agent listening');
  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    config,
    agent,
    app,
    close: () => (closing ??= closeWithDeadline(app, cutAfterMs(config.limits.shutdownTimeoutMs), log)),
  };
}

/** The node token from `operatorTokenFile` when none was given directly. */
async function withTokenFromFile(config: EdgeAgentConfig): Promise<EdgeAgentConfig> {
  if (config.operatorToken || !config.operatorTokenFile) return config;
  let token: string;
  try {
    token = (await readFile(config.operatorTokenFile, 'utf8')).trim();
  } catch (err) {
    throw new UsageError(`cannot read the node token file: ${(err as Error).message}`, { cause: err });
  }
  if (!token) throw new UsageError(`the node token file ${config.operatorTokenFile} is empty`);
  return { ...config, operatorToken: token };
}

/**
 * When a shutdown stops waiting: open connections and S3 requests still running are cut then,
 * leaving about a second of the deadline to flush state and dispose models.
 */
function cutAfterMs(deadlineMs: number): number {
  return Math.max(deadlineMs / 2, deadlineMs - 1000);
}

/** fastify's close waits for in-flight requests; past the deadline, open sockets are cut. */
async function closeWithDeadline(app: FastifyInstance, deadlineMs: number, log: Logger): Promise<void> {
  const timer = setTimeout(() => {
    log.warn({ deadlineMs }, 'Shutdown deadline passed: closing open connections');
    app.server.closeAllConnections();
  }, deadlineMs);
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
  }
}
