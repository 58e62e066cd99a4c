import type { SingleTaskLearningJob } from '../../lib/api/v1alpha1/index.js';
import type { SampleUrlsReply } from '../../lib/protocol/heartbeat.js';
import { sampleKey } from '../../lib/storage/layout.js';
import { specOf } from '../defaulted.js';
import type { JobStorage } from '../job-storage.js';
import { refOf } from '../ports/job-store.js';

/**
 * Presigned PUT URLs for kept samples. Edge nodes hold no object-store keys: each URL lets its
 * holder write one key under `samples/<ns>/<job>/<node>/`, for a few minutes. The node is the
 * authenticated caller, so a node can only ever get URLs for its own prefix.
 */
export class SampleUrls {
  constructor(
    private readonly storage: JobStorage,
    private readonly expirySeconds = 600,
  ) {}

  /** URLs for the image and the record of sample `id` of `job`, kept by `node`. */
  async forSample(job: SingleTaskLearningJob, node: string, id: string): Promise<SampleUrlsReply> {
    const { namespace, name } = refOf(job);
    const bucket = specOf(job).storage.bucket;
    const store = await this.storage.forJob(job);
    const [image, record] = await Promise.all(
      (['jpeg', 'json'] as const).map((ext) =>
        store.presignedPutUrl(bucket, sampleKey(namespace, name, node, id, ext), this.expirySeconds),
      ),
    );
    return { image, record };
  }
}
