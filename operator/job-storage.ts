import type { SingleTaskLearningJob } from '../lib/api/v1alpha1/index.js';
import { CREDENTIALS_SECRET_KEYS } from '../lib/api/v1alpha1/index.js';
import type { ObjectStore } from '../lib/storage/object-store.js';
import type { JobStore } from './ports/job-store.js';
import type { ObjectStoreFactory } from './ports/object-stores.js';

/** Why a job's storage cannot be used. */
export class StorageCredentialsError extends Error {
  constructor(
    readonly reason: 'SecretNotFound' | 'SecretIncomplete',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Object stores per job, built from the job's `storage.credentialsSecret` (keys `accessKey` and
 * `secretKey`). Secrets are cached briefly so heartbeats do not hit the API server.
 */
export class JobStorage {
  private readonly cache = new Map<string, { at: number; store: ObjectStore | StorageCredentialsError }>();

  constructor(
    private readonly jobs: JobStore,
    private readonly factory: ObjectStoreFactory,
    private readonly ttlMs = 30_000,
  ) {}

  /** The object store of a job; throws StorageCredentialsError when its Secret is missing or incomplete. */
  async forJob(job: SingleTaskLearningJob): Promise<ObjectStore> {
    const ns = job.metadata?.namespace ?? 'default';
    const secret = job.spec.storage.credentialsSecret;
    const key = `${ns}/${secret}`;
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < this.ttlMs) {
      if (hit.store instanceof StorageCredentialsError) throw hit.store;
      return hit.store;
    }
    const data = await this.jobs.getSecret(ns, secret);
    let store: ObjectStore | StorageCredentialsError;
    if (!data) store = new StorageCredentialsError('SecretNotFound', `Secret ${ns}/${secret} not found`);
    else if (!data[CREDENTIALS_SECRET_KEYS.accessKey] || !data[CREDENTIALS_SECRET_KEYS.secretKey])
      store = new StorageCredentialsError(
        'SecretIncomplete',
        `Secret ${ns}/${secret} lacks ${CREDENTIALS_SECRET_KEYS.accessKey} or ${CREDENTIALS_SECRET_KEYS.secretKey}`,
      );
    else
      store = this.factory({
        accessKey: data[CREDENTIALS_SECRET_KEYS.accessKey],
        secretKey: data[CREDENTIALS_SECRET_KEYS.secretKey],
      });
    this.cache.set(key, { at: Date.now(), store });
    if (store instanceof StorageCredentialsError) throw store;
    return store;
  }

  /** Forgets a cached Secret (after a reconcile found it missing, so the next try reads it again). */
  invalidate(job: SingleTaskLearningJob): void {
    this.cache.delete(`${job.metadata?.namespace ?? 'default'}/${job.spec.storage.credentialsSecret}`);
  }
}
