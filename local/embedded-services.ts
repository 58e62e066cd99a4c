import { join } from 'node:path';
import { EdgeStlError } from '../lib/errors/index.js';
import { configuredRedisUrl, ensureRedis, type RedisHandle } from '../lib/infra/index.js';
import type { Logger } from '../lib/log.js';
import {
  createObjectStore,
  s3ConfigFromEnv,
  type EmbeddedS3,
  type ObjectStore,
  type S3Config,
} from '../lib/storage/index.js';

/** The infrastructure a local run talks to: a Redis and an S3 endpoint, reused or embedded. */
export interface EmbeddedServices {
  redisUrl: string;
  s3: S3Config;
  store: ObjectStore;
  /** What was reused and what was started, for the start-up banner. */
  describe: string[];
  stop(): Promise<void>;
}

/**
 * Redis: `REDIS_URL` when set, else a `redis-server` spawned on a free port with persistence in the
 * state dir (so a rerun resumes the queue). S3: `S3_ENDPOINT` when set, else s3rver on loopback
 * backed by the state dir.
 */
export async function startEmbeddedServices(stateDir: string, log: Logger): Promise<EmbeddedServices> {
  const describe: string[] = [];
  let redis: RedisHandle;
  const configured = configuredRedisUrl();
  if (configured) {
    redis = await ensureRedis({ url: configured, log });
  } else {
    redis = await ensureRedis({ reuse: false, dir: join(stateDir, 'redis'), log });
  }
  describe.push(`redis ${redis.url}${redis.spawned ? ' (spawned, data in state dir)' : ' (reused)'}`);

  let embedded: EmbeddedS3 | null = null;
  let s3: S3Config;
  if (process.env.S3_ENDPOINT) {
    s3 = s3ConfigFromEnv(process.env);
    describe.push(`s3 ${s3.endpoint} (reused)`);
  } else {
    const { startEmbeddedS3 } = await loadEmbeddedS3();
    embedded = await startEmbeddedS3({ dir: join(stateDir, 's3') });
    s3 = { endpoint: embedded.endpoint, accessKey: embedded.accessKey, secretKey: embedded.secretKey };
    describe.push(`s3 ${s3.endpoint} (embedded s3rver, data in state dir)`);
  }
  return {
    redisUrl: redis.url,
    s3,
    store: createObjectStore(s3),
    describe,
    async stop() {
      await embedded?.stop();
      await redis.stop();
    },
  };
}

/**
 * The embedded S3 (s3rver) is a devDependency: a clone with `npm ci` has it, a production install
 * (`--omit=dev`, the images) does not, and then a local run needs an S3 of its own.
 */
async function loadEmbeddedS3(): Promise<typeof import('../lib/storage/embedded-s3.js')> {
  try {
    return await import('../lib/storage/embedded-s3.js');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && /s3rver/.test(String(err)))
      throw new EdgeStlError(
        'EMBEDDED_S3_MISSING',
        'the embedded S3 needs the s3rver package, a devDependency that this install left out ' +
          '(npm ci without --omit=dev installs it); or point S3_ENDPOINT, S3_ACCESS_KEY and ' +
          'S3_SECRET_KEY at an S3 of your own',
        { cause: err },
      );
    throw err;
  }
}
