import type { SingleTaskLearningJob } from '../lib/api/v1alpha1/index.js';
import type { TrainingJobData } from '../lib/queue/training-queue.js';
import { JobStorage, type ObjectStoreFactory, type SecretReader } from '../lib/storage/job-storage.js';
import type { ObjectStore } from '../lib/storage/object-store.js';
import { TrainingInputError } from './training-input-error.js';

/** Jobs by name, as a watch cache has them (the operator's KubeJobStore is one). */
export interface JobReader extends SecretReader {
  get(ref: { namespace: string; name: string }): Promise<SingleTaskLearningJob | null>;
}

/**
 * The store of a round's job, opened with the credentials of the job's own `storage.credentialsSecret`
 * (the job is looked up by the round's namespace and name, so a round can only use the Secret its job
 * names). A job not seen yet or a missing Secret fails the attempt, which is retried; a round whose
 * bucket is not its job's is refused for good.
 */
export function jobStoreResolver(
  jobs: JobReader,
  objectStores: ObjectStoreFactory,
): (data: TrainingJobData) => Promise<ObjectStore> {
  const storage = new JobStorage(jobs, objectStores);
  return async (data) => {
    const job = await jobs.get({ namespace: data.namespace, name: data.job });
    if (!job) throw new Error(`job ${data.namespace}/${data.job} not found (deleted, or not seen yet)`);
    if (job.spec.storage.bucket !== data.bucket)
      throw new TrainingInputError(
        `round names bucket "${data.bucket}" but job ${data.namespace}/${data.job} uses "${job.spec.storage.bucket}"`,
      );
    return storage.forJob(job);
  };
}
