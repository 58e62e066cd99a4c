import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openModel } from '../lib/algorithm-api/index.js';
import type { Detection } from '../lib/algorithm-api/types.js';
import { EdgeStlError } from '../lib/errors/index.js';
import { SHA256_METADATA_KEY } from '../lib/storage/layout.js';
import type { ObjectStore } from '../lib/storage/object-store.js';
import { sha256 } from './ground-truth-oracle.js';

/** A published cloud model used to pre-label samples. */
export interface Teacher {
  version: string;
  detect(image: Buffer, name: string): Promise<Detection[]>;
  dispose(): Promise<void>;
}

/** The newest `models/<ns>/<job>/v<round>/model.zip` key and its version, or null when none is published. */
export async function newestModelKey(
  store: ObjectStore,
  bucket: string,
  namespace: string,
  job: string,
): Promise<{ key: string; version: string } | null> {
  const prefix = `models/${namespace}/${job}/`;
  let best: { key: string; version: string; round: number } | null = null;
  for (const object of await store.list(bucket, prefix, { recursive: true })) {
    const match = /^v(\d+)\/model\.zip$/.exec(object.key.slice(prefix.length));
    if (match && (!best || Number(match[1]) > best.round))
      best = { key: object.key, version: `v${match[1]}`, round: Number(match[1]) };
  }
  return best && { key: best.key, version: best.version };
}

/**
 * Loads the newest published model of a job as a teacher: downloaded, checked against the sha256 in
 * its object metadata, built through the ClassFactory alias in its manifest. Returns null when the
 * job has no published model. `scoreThreshold` overrides the model's own, to keep weaker boxes.
 */
export async function loadTeacher(
  store: ObjectStore,
  bucket: string,
  namespace: string,
  job: string,
  workDir: string,
  scoreThreshold?: number,
): Promise<Teacher | null> {
  const newest = await newestModelKey(store, bucket, namespace, job);
  if (!newest) return null;
  const info = await store.stat(bucket, newest.key);
  const bytes = await store.getBuffer(bucket, newest.key);
  const expected = info?.metadata[SHA256_METADATA_KEY];
  if (expected && expected !== sha256(bytes)) {
    throw new EdgeStlError(
      'MODEL_CHECKSUM_MISMATCH',
      `teacher ${newest.key} does not match its sha256 metadata`,
    );
  }
  await mkdir(workDir, { recursive: true });
  const zip = join(workDir, `teacher-${namespace}-${job}-${newest.version}.zip`);
  await writeFile(zip, bytes);
  // The teacher runs below the edge's threshold: `score_threshold` is the algorithms' convention.
  const overrides = scoreThreshold === undefined ? {} : { score_threshold: scoreThreshold };
  const model = await openModel(zip, { overrides });
  return {
    version: newest.version,
    detect: (image, name) => model.detect({ name, data: image }),
    dispose: () => model.dispose(),
  };
}
