// JobStorage lives in lib/ (the trainer and the labeling service read job Secrets too).
export { JobStorage, StorageCredentialsError } from '../lib/storage/job-storage.js';
