/**
 * Jest global setup: brings up what the tests need and publishes it through process.env
 * (REDIS_URL, S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, and EDGE_STL_TEST_DATA_DIR: the run's temp
 * dir, where what the test files share is made once per run: generated datasets, the detecting
 * model). Teardown stops what this started and removes that dir.
 *
 * Jest loads this file through a CommonJS require hook where `moduleNameMapper` does not apply,
 * so relative `.js` imports of our TypeScript would not resolve; the lib modules are loaded with
 * tsx's scoped require instead (same process, so the servers live as long as jest).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { require as tsxRequire } from 'tsx/cjs/api';

/** Handles shared with global-teardown.ts (both run in jest's main process). */
const SERVICES = Symbol.for('edge-stl.test-services');

export interface TestServices {
  dataDir: string;
  stopRedis(): Promise<void>;
  stopS3(): Promise<void>;
}

export default async function globalSetup(
  _globalConfig: unknown,
  projectConfig: { rootDir: string },
): Promise<void> {
  const root = projectConfig.rootDir;
  const load = (file: string): unknown => tsxRequire(join(root, file), join(root, 'jest.config.js'));
  const { ensureRedis } = load('lib/infra/redis.ts') as typeof import('../../lib/infra/redis.js');
  const { startEmbeddedS3 } = load(
    'lib/storage/embedded-s3.ts',
  ) as typeof import('../../lib/storage/embedded-s3.js');

  const dataDir = await mkdtemp(join(tmpdir(), 'edge-stl-test-'));
  const redis = await ensureRedis({});
  const s3 = await startEmbeddedS3({ dir: join(dataDir, 's3') });
  process.env.EDGE_STL_TEST_DATA_DIR = dataDir;
  process.env.REDIS_URL = redis.url;
  process.env.S3_ENDPOINT = s3.endpoint;
  process.env.S3_ACCESS_KEY = s3.accessKey;
  process.env.S3_SECRET_KEY = s3.secretKey;
  const services: TestServices = { dataDir, stopRedis: () => redis.stop(), stopS3: () => s3.stop() };
  (globalThis as Record<symbol, unknown>)[SERVICES] = services;
}
