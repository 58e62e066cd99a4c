import { mkdir, readdir } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { scratchPrefix } from '../lib/storage/layout.js';
import { formatS3Uri, parseS3Uri } from '../lib/storage/s3-uri.js';
import type { ObjectStore } from '../lib/storage/object-store.js';

/** Where a round's checkpoints live and which one is the latest. */
export interface CheckpointRef {
  /** s3:// URI of the checkpoint prefix (ends in `/`). */
  uri: string;
  iteration: number;
}

export interface RoundScope {
  bucket: string;
  namespace: string;
  job: string;
  round: number;
  /** Queue job id training the round: its scratch and its model are told from another run's. */
  trainingId: string;
}

/** Scratch of one run of a round: a cancelled run clears its own, never a restarted run's. */
export function runScratchPrefix(scope: RoundScope): string {
  return `${scratchPrefix(scope.namespace, scope.job, scope.round)}${scope.trainingId}/`;
}

/**
 * Persists training checkpoints of one run of a round under
 * `scratch/<ns>/<job>/r<round>/<trainingId>/it-<iteration>/`, so
 * that a worker that picks up a stalled job resumes where the dead one stopped.
 */
export class CheckpointStore {
  constructor(private readonly store: ObjectStore) {}

  /** Uploads every file of `dir` as the checkpoint of `iteration`. */
  async save(scope: RoundScope, dir: string, iteration: number): Promise<CheckpointRef> {
    const prefix = `${runScratchPrefix(scope)}it-${String(iteration).padStart(8, '0')}/`;
    for (const file of await listFiles(dir)) {
      const rel = relative(dir, file).split(sep).join('/');
      await this.store.putFile(scope.bucket, prefix + rel, file);
    }
    return { uri: formatS3Uri(scope.bucket, prefix), iteration };
  }

  /** Downloads a checkpoint into `dir`; returns false when it no longer exists. */
  async restore(ref: CheckpointRef, dir: string): Promise<boolean> {
    const { bucket, prefix } = splitUri(ref.uri);
    const objects = await this.store.list(bucket, prefix, { recursive: true });
    if (objects.length === 0) return false;
    for (const object of objects) {
      const target = join(dir, ...object.key.slice(prefix.length).split('/'));
      await mkdir(dirname(target), { recursive: true });
      await this.store.getFile(bucket, object.key, target);
    }
    return true;
  }

  /** Removes a checkpoint's objects. */
  async remove(ref: CheckpointRef): Promise<void> {
    const { bucket, prefix } = splitUri(ref.uri);
    const objects = await this.store.list(bucket, prefix, { recursive: true });
    if (objects.length > 0)
      await this.store.removeObjects(
        bucket,
        objects.map((o) => o.key),
      );
  }

  /** Removes every checkpoint of the run, once its model is published or the run is cancelled. */
  async clearRound(scope: RoundScope): Promise<void> {
    const prefix = runScratchPrefix(scope);
    const objects = await this.store.list(scope.bucket, prefix, { recursive: true });
    if (objects.length > 0)
      await this.store.removeObjects(
        scope.bucket,
        objects.map((o) => o.key),
      );
  }
}

function splitUri(uri: string): { bucket: string; prefix: string } {
  const { bucket, key } = parseS3Uri(uri);
  return { bucket, prefix: key.endsWith('/') ? key : `${key}/` };
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out.sort();
}
