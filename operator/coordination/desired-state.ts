import type { SingleTaskLearningJob } from '../../lib/api/v1alpha1/index.js';
import type { DesiredJob, DesiredModel, SamplingSettings } from '../../lib/protocol/heartbeat.js';
import { parseS3Uri } from '../../lib/storage/s3-uri.js';
import { specOf } from '../defaulted.js';
import type { JobStorage } from '../job-storage.js';
import { refOf } from '../ports/job-store.js';
import { desiredVersionFor } from '../state-machine/rollout.js';

const NO_SAMPLING: SamplingSettings = { strategy: 'none', thresholdImg: 0, thresholdBox: 0, maxPerMinute: 0 };

/** Presigned model URLs, cached for half their lifetime (presigning is cheap but not free at 1,000 jobs). */
export class ModelUrls {
  private readonly cache = new Map<string, { until: number; model: DesiredModel }>();

  constructor(
    private readonly storage: JobStorage,
    private readonly expirySeconds: number,
  ) {}

  /** The desired model of a version of a job, or null when the version has no published record. */
  async resolve(job: SingleTaskLearningJob, version: string): Promise<DesiredModel | null> {
    const ref = refOf(job);
    const key = `${ref.namespace}/${ref.name}/${job.metadata?.uid ?? ''}/${version}`;
    const hit = this.cache.get(key);
    if (hit && hit.until > Date.now()) return hit.model;
    const status = job.status;
    const record =
      status?.currentModel?.version === version
        ? status.currentModel
        : status?.models?.find((m) => m.version === version);
    if (!record?.uri || !record.sha256) return null;
    const loc = parseS3Uri(record.uri);
    const store = await this.storage.forJob(job);
    const url = await store.presignedGetUrl(loc.bucket, loc.key, this.expirySeconds);
    const model = { version, url, sha256: record.sha256 };
    this.cache.set(key, { until: Date.now() + (this.expirySeconds * 1000) / 2, model });
    return model;
  }
}

/** What one agent should do for one job it is selected by. */
export async function desiredJob(
  job: SingleTaskLearningJob,
  node: string,
  urls: ModelUrls,
): Promise<DesiredJob> {
  const spec = specOf(job);
  const version = desiredVersionFor(job.status, node);
  const s = spec.edge.sampling;
  return {
    job: refOf(job),
    model: version ? await urls.resolve(job, version) : null,
    sampling: {
      strategy: s.strategy,
      thresholdImg: s.thresholdImg,
      thresholdBox: s.thresholdBox,
      maxPerMinute: s.maxPerMinute,
      randomRate: s.randomRate,
    },
    storage: { bucket: spec.storage.bucket },
    drop: false,
  };
}

/** Tells an agent to stop serving a job (deleted, or no longer selecting the node). */
export function dropJob(ref: { namespace: string; name: string }, bucket = ''): DesiredJob {
  return { job: ref, model: null, sampling: NO_SAMPLING, storage: { bucket }, drop: true };
}
