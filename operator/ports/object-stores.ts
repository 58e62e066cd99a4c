import type { ObjectStore } from '../../lib/storage/object-store.js';

/** Credentials of one job (from its `storage.credentialsSecret`). */
export interface StorageCredentials {
  accessKey: string;
  secretKey: string;
}

/** Gives the object store for a job's credentials (the endpoint is the operator's). */
export type ObjectStoreFactory = (credentials: StorageCredentials) => ObjectStore;
