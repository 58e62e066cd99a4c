import { assertName } from '../protocol/names.js';

/**
 * The object-store layout (one bucket per installation, prefixes per job). Every part builds keys
 * through these functions so that writers and readers never disagree.
 */

/** A kept edge sample: `samples/<ns>/<job>/<node>/<id>.<ext>` (`.jpeg` image, `.json` prediction). */
export function sampleKey(
  namespace: string,
  job: string,
  node: string,
  id: string,
  ext: 'jpeg' | 'json',
): string {
  return `${samplesPrefix(namespace, job)}${assertName('node name', node)}/${assertName('sample id', id)}.${ext}`;
}

/** Prefix of all samples of a job. */
export function samplesPrefix(namespace: string, job: string): string {
  return `samples/${jobSegment(namespace, job)}/`;
}

/** Prefix of a job's labeled samples, in the Ianvs layout. */
export function labeledPrefix(namespace: string, job: string): string {
  return `labeled/${jobSegment(namespace, job)}/`;
}

/** The append-only labeled index of a job. */
export function labeledIndexKey(namespace: string, job: string): string {
  return `${labeledPrefix(namespace, job)}index.txt`;
}

/** Resumable checkpoints of one training round. */
export function scratchPrefix(namespace: string, job: string, round: number): string {
  return `scratch/${jobSegment(namespace, job)}/r${round}/`;
}

/** The immutable published model of a round. */
export function modelKey(namespace: string, job: string, round: number): string {
  return `models/${jobSegment(namespace, job)}/v${round}/model.zip`;
}

/** Prefix of every artifact a job owns (used by `cleanupPolicy: Delete`). */
export function jobArtifactPrefixes(namespace: string, job: string): string[] {
  return [
    samplesPrefix(namespace, job),
    labeledPrefix(namespace, job),
    `scratch/${jobSegment(namespace, job)}/`,
    `models/${jobSegment(namespace, job)}/`,
  ];
}

/**
 * `<ns>/<job>`, after checking both names: a key built from an unchecked name could reach another
 * job's prefix (`a/../b`) or, where keys become file names, outside a directory.
 */
function jobSegment(namespace: string, job: string): string {
  return `${assertName('namespace', namespace)}/${assertName('job name', job)}`;
}

/** Object metadata key holding a published model's sha256 (minio adds the `x-amz-meta-` prefix). */
export const SHA256_METADATA_KEY = 'sha256';
