import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join, resolve, sep } from 'node:path';
import { EdgeStlError } from '../errors/index.js';
import { extractZip, ModelPackageError, type ModelPackageLimits } from '../model-package/index.js';
import { downloadWithResume, type DownloadOptions } from '../net/download.js';
import { DatasetError } from './dataset-error.js';
import { readIndexLines } from './index-file.js';

/** Public datasets `edge-stl dataset pull` knows, by name. */
export const PUBLIC_DATASETS = {
  /** PCB-AoI as the Ianvs quick start downloads it (Ianvs layout: train_data/, test_data/). */
  'pcb-aoi': {
    url: 'https://kubeedge.obs.cn-north-1.myhuaweicloud.com:443/ianvs/pcb-aoi/dataset.zip',
    splits: ['train_data', 'test_data'],
  },
} as const satisfies Record<string, { url: string; splits: readonly string[] }>;
export type PublicDatasetName = keyof typeof PUBLIC_DATASETS;

/** Limits for a dataset archive: larger than a model's, still bounded (zip bombs). */
export const DATASET_ARCHIVE_LIMITS: Readonly<Partial<ModelPackageLimits>> = Object.freeze({
  maxTotalBytes: 8 * 1024 ** 3,
  maxEntryBytes: 256 * 1024 ** 2,
  maxEntries: 200_000,
});

/** `$XDG_CACHE_HOME/edge-stl/datasets`, else `~/.cache/edge-stl/datasets`. */
export function defaultDatasetsDir(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : null;
  return join(cache ?? join(homedir(), '.cache'), 'edge-stl', 'datasets');
}

/** Download settings pass straight through (attempts, backoff, progress, signal, log). */
export interface PullDatasetOptions extends Pick<
  DownloadOptions,
  'onProgress' | 'signal' | 'log' | 'attempts' | 'baseBackoffMs'
> {
  /** Where datasets live; the dataset lands in `<dir>/<name>`. */
  dir: string;
  /** The archive's URL (a mirror); default the dataset's public URL. */
  url?: string;
}

export interface PulledDataset {
  /** The dataset root: `<dir>/<name>`, holding one directory per split. */
  root: string;
  /** `index.txt` per split. */
  indexes: Record<string, string>;
  /** False when the dataset was already there and nothing was fetched. */
  fetched: boolean;
  /** Requests the download took (more than one: it resumed). */
  requests: number;
}

/** An archive that is not a safe zip of an Ianvs dataset; nothing of it is kept. */
export class DatasetArchiveError extends EdgeStlError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BAD_DATASET_ARCHIVE', message, options);
  }
}

/**
 * Fetches a public dataset archive into `<dir>/<name>`: downloads through `<name>.zip.part`
 * (resumed with HTTP Range after a cut, also across runs), unzips under the model package's
 * safety rules into a staging directory, checks the Ianvs layout there, and only then renames it
 * into place. A refused archive is deleted together with everything unpacked from it.
 */
export async function pullDataset(
  name: PublicDatasetName,
  options: PullDatasetOptions,
): Promise<PulledDataset> {
  const spec = PUBLIC_DATASETS[name];
  const dir = resolve(options.dir);
  const root = join(dir, name);
  const ready = await checkIanvsLayout(root, spec.splits).catch(() => null);
  if (ready) return { root, indexes: ready, fetched: false, requests: 0 };
  if (await exists(root)) {
    throw new EdgeStlError(
      'DATASET_EXISTS',
      `${root} exists but is not a complete ${name} dataset; remove it and pull again`,
    );
  }
  await mkdir(dir, { recursive: true });
  await removeStaleStaging(dir, name);
  const archive = join(dir, `${name}.zip`);
  const { onProgress, signal, log, attempts, baseBackoffMs } = options;
  const { requests } = await downloadWithResume(options.url ?? spec.url, archive, {
    what: 'dataset',
    maxBytes: DATASET_ARCHIVE_LIMITS.maxTotalBytes,
    onProgress,
    signal,
    log,
    attempts,
    baseBackoffMs,
  });
  const staging = await mkdtemp(join(dir, `.${name}.unpack-`));
  try {
    const content = join(staging, 'content');
    await extractZip(archive, content, DATASET_ARCHIVE_LIMITS).catch((err: unknown) => {
      if (err instanceof ModelPackageError)
        throw new DatasetArchiveError(`${basename(archive)} refused: ${err.message}`, { cause: err });
      throw err;
    });
    const top = await datasetTop(content, spec.splits);
    await checkIanvsLayout(top, spec.splits).catch((err: unknown) => {
      const why = err instanceof Error ? err.message : String(err);
      throw new DatasetArchiveError(`${basename(archive)} is not an Ianvs ${name} dataset: ${why}`, {
        cause: err,
      });
    });
    await rename(top, root);
  } catch (err) {
    // A bad archive is not resumed next time: it would only be refused again.
    if (err instanceof DatasetArchiveError) await rm(archive, { force: true });
    throw err;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  await rm(archive, { force: true });
  const indexes = await checkIanvsLayout(root, spec.splits);
  return { root, indexes, fetched: true, requests };
}

/** Staging directories a killed run left behind (the `.part` file is kept: it resumes). */
async function removeStaleStaging(dir: string, name: string): Promise<void> {
  for (const entry of await readdir(dir)) {
    if (entry.startsWith(`.${name}.unpack-`)) await rm(join(dir, entry), { recursive: true, force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null)) !== null;
}

/** The directory holding the splits: the archive's top, or its one top-level folder. */
async function datasetTop(content: string, splits: readonly string[]): Promise<string> {
  if (await exists(join(content, splits[0]!, 'index.txt'))) return content;
  const names = (await readdir(content, { withFileTypes: true })).filter(
    (e) => !e.name.startsWith('__MACOSX'),
  );
  if (names.length === 1 && names[0]!.isDirectory()) return join(content, names[0]!.name);
  return content;
}

/**
 * Checks the Ianvs layout under `root`: every split has an `index.txt`, and every file it names
 * exists inside that split's directory. Returns the index path per split; throws a DatasetError
 * naming the first fault.
 */
export async function checkIanvsLayout(
  root: string,
  splits: readonly string[],
): Promise<Record<string, string>> {
  const indexes: Record<string, string> = {};
  for (const split of splits) {
    const splitDir = join(root, split);
    const index = join(splitDir, 'index.txt');
    const lines = await readIndexLines(index);
    if (lines.length === 0)
      throw new DatasetError('INVALID_INDEX', `${index} lists no images`, { file: index });
    for (const line of lines) {
      for (const token of [line.image, line.annotation]) {
        if (token === undefined) continue;
        const path = resolve(splitDir, token);
        if (!path.startsWith(splitDir + sep)) {
          throw new DatasetError('INVALID_INDEX', `${index}:${line.line}: ${token} lies outside ${split}/`, {
            file: index,
            line: line.line,
          });
        }
        if (!(await stat(path).catch(() => null))?.isFile()) {
          throw new DatasetError('DATASET_FILE_MISSING', `${index}:${line.line}: ${token} is missing`, {
            file: index,
            line: line.line,
          });
        }
      }
    }
    indexes[split] = index;
  }
  return indexes;
}
