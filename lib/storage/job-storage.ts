import type { SingleTaskLearningJob } from '../api/v1alpha1/index.js';
import { CREDENTIALS_SECRET_KEYS } from '../api/v1alpha1/index.js';
import { createObjectStore } from './minio-object-store.js';
import type { ObjectStore, S3Config } from './object-store.js';

/** Credentials of one job (from its `storage.credentialsSecret`). */
export interface StorageCredentials {
  accessKey: string;
  secretKey: string;
}

/** Gives the object store for a job's credentials (the endpoint is the caller's). */
export type ObjectStoreFactory = (credentials: StorageCredentials) => ObjectStore;

/** Stores on one S3 endpoint, each with a job's credentials (the endpoint's own keys are not used). */
export function objectStoresAt(endpoint: Pick<S3Config, 'endpoint' | 'region'>): ObjectStoreFactory {
  return (c) =>
    createObjectStore({
      endpoint: endpoint.endpoint,
      ...(endpoint.region ? { region: endpoint.region } : {}),
      accessKey: c.accessKey,
      secretKey: c.secretKey,
    });
}

/** Reads a Secret's decoded data (null when it does not exist); the operator's JobStore is one. */
export interface SecretReader {
  getSecret(namespace: string, name: string): Promise<Record<string, string> | null>;
}

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
 * `secretKey`). Secrets are cached briefly so heartbeats do not hit the API server. The operator,
 * the trainer and the labeling service each read the Secrets of the jobs they work for.
 */
export class JobStorage {
  private readonly cache = new Map<string, { at: number; store: ObjectStore | StorageCredentialsError }>();

  constructor(
    private readonly secrets: SecretReader,
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
    const data = await this.secrets.getSecret(ns, secret);
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
