import type { SingleTaskLearningJob } from '../lib/api/v1alpha1/index.js';
import type { Logger } from '../lib/log.js';
import {
  JobStorage,
  StorageCredentialsError,
  type ObjectStoreFactory,
  type SecretReader,
} from '../lib/storage/job-storage.js';
import type { LabelingJob } from './app.js';

/** The jobs as a watch cache has them (the operator's KubeJobStore is one). */
export interface JobLister extends SecretReader {
  list(): readonly SingleTaskLearningJob[];
}

/**
 * The labeling jobs of a cluster, read from the SingleTaskLearningJobs themselves at each call: classes
 * from `spec.dataset.classes`, mode from `spec.labeling.mode`, bucket from `spec.storage.bucket`, and
 * the store from the job's own `storage.credentialsSecret`. A job applied, changed or deleted shows up
 * here without a restart. A job whose Secret is missing or incomplete is left out (the operator reports
 * it on the job's conditions) and logged once per reason.
 */
export function clusterLabelingJobs(
  jobs: JobLister,
  objectStores: ObjectStoreFactory,
  log: Logger,
): () => Promise<LabelingJob[]> {
  const storage = new JobStorage(jobs, objectStores);
  const reported = new Set<string>();
  return async () => {
    const out: LabelingJob[] = [];
    for (const job of jobs.list()) {
      if (job.metadata?.deletionTimestamp) continue;
      const namespace = job.metadata?.namespace ?? 'default';
      const name = job.metadata?.name ?? '';
      try {
        const store = await storage.forJob(job);
        reported.delete(`${namespace}/${name}`);
        out.push({
          namespace,
          job: name,
          classes: [...job.spec.dataset.classes],
          mode: job.spec.labeling?.mode === 'auto' ? 'auto' : 'manual',
          storage: { store, bucket: job.spec.storage.bucket },
        });
      } catch (err) {
        if (!(err instanceof StorageCredentialsError)) throw err;
        const key = `${namespace}/${name}`;
        if (!reported.has(key)) log.warn({ job: key, reason: err.reason }, err.message);
        reported.add(key);
      }
    }
    return out;
  };
}
