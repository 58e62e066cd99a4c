// The factory type is shared with the trainer and the labeling service (lib/storage/job-storage.ts).
export type { ObjectStoreFactory, StorageCredentials } from '../../lib/storage/job-storage.js';
