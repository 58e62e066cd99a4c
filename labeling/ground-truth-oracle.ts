import { createHash } from 'node:crypto';
import { parseIndexLines } from '../lib/dataset/index-file.js';
import { parseVoc } from '../lib/dataset/voc.js';
import type { VocAnnotation } from '../lib/dataset/types.js';
import { parseS3Uri, resolveS3Uri } from '../lib/storage/s3-uri.js';
import type { ObjectStore } from '../lib/storage/object-store.js';

/**
 * Ground truth by image content: the sha256 of every image of some Ianvs indexes, mapped to its VOC
 * annotation. When the edge agents are fed dataset images (the local demo, the benchmarks), a kept
 * sample's bytes equal a dataset image's, and its ground truth can be copied instead of guessed.
 */
export class GroundTruthOracle {
  private constructor(
    private readonly store: ObjectStore,
    private readonly byHash: Map<string, string>,
  ) {}

  /** Hashes every image listed by the given s3:// index URIs (lines without annotation are skipped). */
  static async fromIndexes(store: ObjectStore, indexUris: readonly string[]): Promise<GroundTruthOracle> {
    const byHash = new Map<string, string>();
    for (const uri of indexUris) {
      const { bucket, key } = parseS3Uri(uri);
      const lines = parseIndexLines((await store.getBuffer(bucket, key)).toString('utf8'), uri);
      for (const line of lines) {
        if (!line.annotation) continue;
        const image = parseS3Uri(resolveS3Uri(uri, line.image));
        const bytes = await store.getBuffer(image.bucket, image.key);
        byHash.set(sha256(bytes), resolveS3Uri(uri, line.annotation));
      }
    }
    return new GroundTruthOracle(store, byHash);
  }

  get size(): number {
    return this.byHash.size;
  }

  /** The ground truth of an image with these bytes, or null when none is known. */
  async lookup(imageBytes: Buffer): Promise<VocAnnotation | null> {
    const uri = this.byHash.get(sha256(imageBytes));
    if (!uri) return null;
    const { bucket, key } = parseS3Uri(uri);
    return parseVoc((await this.store.getBuffer(bucket, key)).toString('utf8'), uri);
  }
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
