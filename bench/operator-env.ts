/**
 * What the operator benches share: a temp dir, Redis, embedded S3 and the fake kube-apiserver in
 * the bench process, and the operator as its own process (bench/operator-process.ts) talking to
 * them. `close()` ends all of it and may be called more than once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureRedis, type RedisHandle } from '../lib/infra/index.js';
import { startEmbeddedS3, type EmbeddedS3 } from '../lib/storage/embedded-s3.js';
import { FakeKubeApiServer, type FakeKubeApiServerOptions } from '../test/support/fake-kube-apiserver.js';
import { spawnBenchChild, type BenchChild } from './child-processes.js';

export interface BenchOperatorEnv {
  dir: string;
  api: FakeKubeApiServer;
  s3: EmbeddedS3;
  redis: RedisHandle;
  operator: BenchChild;
  /** The operator's coordination API (also /metrics). */
  url: string;
  close(): Promise<void>;
}

export interface BenchOperatorOptions {
  /** Temp dir and queue prefix. */
  name: string;
  /** The operator's node key (agents' tokens are minted from it). */
  agentKey: string;
  api?: FakeKubeApiServerOptions;
  /** Seeds the fake API server and S3 before the operator starts. */
  seed?: (api: FakeKubeApiServer, s3: EmbeddedS3) => Promise<void> | void;
}

export async function startBenchOperator(options: BenchOperatorOptions): Promise<BenchOperatorEnv> {
  const dir = await mkdtemp(join(tmpdir(), `edge-stl-bench-${options.name}-`));
  const stops: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })];
  let closed: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      for (const stop of stops.reverse())
        await stop().catch((err: unknown) => console.error('bench cleanup:', (err as Error).message));
    })());
  try {
    const redis = await ensureRedis({});
    stops.push(() => redis.stop());
    const s3 = await startEmbeddedS3({ dir: join(dir, 's3') });
    stops.push(() => s3.stop());
    const api = new FakeKubeApiServer(options.api);
    const kubeUrl = await api.start();
    stops.push(() => api.close());
    await options.seed?.(api, s3);
    const operator = spawnBenchChild('operator-process.ts', {
      KUBE_URL: kubeUrl,
      REDIS_URL: redis.url,
      S3_ENDPOINT: s3.endpoint,
      QUEUE_PREFIX: `bench-${options.name}-${Date.now()}`,
      EDGE_STL_AGENT_KEY: options.agentKey,
    });
    stops.push(() => operator.stop());
    const url = (JSON.parse(await operator.nextLine(60_000)) as { url: string }).url;
    return { dir, api, s3, redis, operator, url, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** A gauge or counter from the operator's /metrics (NaN when absent). */
export async function operatorMetric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}
