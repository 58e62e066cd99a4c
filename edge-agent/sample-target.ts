import { readFile } from 'node:fs/promises';
import { EdgeStlError } from '../lib/errors/index.js';
import { SampleUrlsReply, sampleUrlsPath } from '../lib/protocol/index.js';
import type { Fetch } from '../lib/net/trusted-fetch.js';
import { sampleKey } from '../lib/storage/layout.js';
import type { ObjectStore } from '../lib/storage/object-store.js';
import type { OperatorClient } from './operator-client.js';
import type { ClaimedSample } from './outbox.js';

/** Where the uploader writes one kept sample: the image first, the JSON record last. */
export interface SampleTarget {
  put(sample: ClaimedSample, signal: AbortSignal): Promise<void>;
}

/**
 * The edge's way: the node holds no object-store keys. For each sample it asks the operator for
 * presigned PUT URLs, which the operator signs for this node's own prefix only, and PUTs to them.
 */
export class PresignedSampleTarget implements SampleTarget {
  constructor(
    private readonly client: OperatorClient,
    private readonly node: string,
    private readonly options: { fetch?: Fetch; requestTimeoutMs?: number } = {},
  ) {}

  async put(sample: ClaimedSample, signal: AbortSignal): Promise<void> {
    const { record } = sample;
    const urls = await this.client.post(
      sampleUrlsPath(this.node),
      { job: record.job, id: record.id },
      SampleUrlsReply,
      signal,
    );
    await this.putFile(urls.image, sample.imagePath, 'image/jpeg', signal);
    await this.putFile(urls.record, sample.recordPath, 'application/json', signal);
  }

  private async putFile(url: string, path: string, contentType: string, signal: AbortSignal): Promise<void> {
    const res = await (this.options.fetch ?? fetch)(url, {
      method: 'PUT',
      headers: { 'content-type': contentType },
      body: await readFile(path),
      signal: AbortSignal.any([signal, AbortSignal.timeout(this.options.requestTimeoutMs ?? 60_000)]),
    });
    const text = await res.text();
    if (!res.ok)
      throw new EdgeStlError(
        'UPLOAD_REFUSED',
        `object store answered HTTP ${res.status}: ${text.slice(0, 200)}`,
      );
  }
}

/**
 * A standalone agent (no operator) with its own S3 credentials, for development only: in a
 * cluster the DaemonSet mounts no S3 Secret and agents use {@link PresignedSampleTarget}.
 */
export class StoreSampleTarget implements SampleTarget {
  private readonly ensuredBuckets = new Set<string>();

  constructor(
    private readonly store: ObjectStore,
    private readonly onBucketCheckFailed: (err: unknown, bucket: string) => void,
  ) {}

  async put(sample: ClaimedSample): Promise<void> {
    const { record } = sample;
    const { namespace, name } = record.job;
    if (!this.ensuredBuckets.has(record.bucket)) {
      // Credentials are often allowed to put objects but not to create buckets: a refused create is
      // not fatal, the put below tells whether the bucket is usable.
      await this.store.ensureBucket(record.bucket).then(
        () => this.ensuredBuckets.add(record.bucket),
        (err: unknown) => this.onBucketCheckFailed(err, record.bucket),
      );
    }
    const key = (ext: 'jpeg' | 'json'): string => sampleKey(namespace, name, record.node, record.id, ext);
    await this.store.putFile(record.bucket, key('jpeg'), sample.imagePath, { contentType: 'image/jpeg' });
    await this.store.putFile(record.bucket, key('json'), sample.recordPath, {
      contentType: 'application/json',
    });
  }
}
