import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { load as loadYaml, dump as dumpYaml } from 'js-yaml';
import type { SingleTaskLearningJob } from '../lib/api/v1alpha1/index.js';
import { EdgeStlError } from '../lib/errors/index.js';
import type { Logger } from '../lib/log.js';
import { formatS3Uri, type ObjectStore } from '../lib/storage/index.js';
import { assertValidJob } from '../lib/validation/index.js';
import { applyProfile, type Profile } from './profiles.js';
import type { RunData } from './run-data.js';
import { seedDataset } from './seed-dataset.js';

/** The job a local run drives, as its YAML, the profile and the label mode make it. */
export interface LocalJob {
  job: SingleTaskLearningJob;
  ref: { namespace: string; name: string };
  /** The stream's index in the bucket, read by the labeling oracle only; null without stream data. */
  streamUri: string | null;
}

/**
 * Reads the user's job, applies the profile and label mode, and puts the run's data into the
 * bucket at the job's URIs (once: a rerun finds it there).
 */
export async function prepareLocalJob(input: {
  jobFile: string;
  profile: Profile;
  labelMode: 'auto' | 'manual';
  stateDir: string;
  data: RunData;
  store: ObjectStore;
  log: Logger;
}): Promise<LocalJob> {
  const job = applyProfile(await readJob(input.jobFile), input.profile);
  job.metadata = { ...job.metadata, namespace: job.metadata?.namespace ?? 'default' };
  job.spec.labeling = { ...job.spec.labeling, mode: input.labelMode };
  const ref = { namespace: job.metadata.namespace!, name: job.metadata.name! };
  const bucket = job.spec.storage.bucket;

  await input.store.ensureBucket(bucket);
  await assertSameData(input.stateDir, input.data);
  // Only the labeling oracle reads the stream's annotations: they stand for a person's answers.
  const streamUri = input.data.streamIndex
    ? formatS3Uri(bucket, `datasets/${ref.namespace}/${ref.name}/stream_data/index.txt`)
    : null;
  await seedDataset(
    input.store,
    [
      { uri: job.spec.dataset.trainIndex, localIndex: input.data.trainIndex },
      { uri: job.spec.dataset.testIndex, localIndex: input.data.testIndex },
      ...(streamUri && input.data.streamIndex
        ? [{ uri: streamUri, localIndex: input.data.streamIndex }]
        : []),
    ],
    input.log,
  );
  return { job, ref, streamUri };
}

async function readJob(file: string): Promise<SingleTaskLearningJob> {
  const doc = loadYaml(await readFile(file, 'utf8')) as SingleTaskLearningJob;
  assertValidJob(doc);
  return doc;
}

/** Writes the job into the local store's directory; an unchanged spec is left alone (no new generation). */
export async function applyJob(jobsDir: string, job: SingleTaskLearningJob): Promise<void> {
  await mkdir(jobsDir, { recursive: true });
  const file = join(jobsDir, `${job.metadata!.name}.yaml`);
  const text = dumpYaml(job);
  if (existsSync(file) && (await readFile(file, 'utf8')) === text) return;
  await writeFile(file, text);
}

/** A secret kept in the state dir, so a rerun resumes with the same one. */
export async function persistentSecret(stateDir: string, name: string): Promise<string> {
  const file = join(stateDir, `${name}.token`);
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const token = randomBytes(24).toString('hex');
  await writeFile(file, token, { mode: 0o600 });
  return token;
}

/**
 * A state dir holds the bucket seeded from one choice of data; resuming it with other data would
 * mix the two silently, so that is an error.
 */
async function assertSameData(stateDir: string, data: RunData): Promise<void> {
  const file = join(stateDir, 'run-data.json');
  const chosen = JSON.stringify({
    trainIndex: data.trainIndex,
    testIndex: data.testIndex,
    referenceTestIndex: data.referenceTestIndex,
    streamIndex: data.streamIndex,
  });
  if (!existsSync(file)) {
    await writeFile(file, chosen);
    return;
  }
  const before = await readFile(file, 'utf8');
  if (before !== chosen)
    throw new EdgeStlError(
      'STATE_MISMATCH',
      `${stateDir} was started with other data (${before}); pass another --state-dir or remove it`,
    );
}
