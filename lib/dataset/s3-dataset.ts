import { mkdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import { posix } from 'node:path';
import { eachLimit } from '../each-limit.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { createLogger } from '../log.js';
import type { ObjectStore } from '../storage/object-store.js';
import { formatS3Uri, parseS3Uri, type S3Location } from '../storage/s3-uri.js';
import { DatasetCache } from './dataset-cache.js';
import { DatasetError } from './dataset-error.js';
import { parseIndexLines, readIndexLines, type IndexLine } from './index-file.js';
import { resolveIndexToken } from './s3-index-paths.js';
import type { Dataset, DatasetSample } from './types.js';

const log = createLogger('dataset');
const DEFAULT_CONCURRENCY = 8;

/** The content-addressed object store inside a cache directory (bucket names cannot start with a dot). */
const OBJECTS_DIR = '.objects';

/** Where an object lands in the cache: `<cacheDir>/<bucket>/<key>`. */
function cachePath(cacheDir: string, loc: S3Location): string {
  return join(cacheDir, loc.bucket, ...loc.key.split('/'));
}

/** Options of {@link downloadDataset}. */
export interface DownloadDatasetOptions {
  cacheDir: string;
  concurrency?: number;
}

/**
 * Downloads an Ianvs dataset from S3 (`s3://bucket/key/index.txt` plus every image and annotation
 * it names) and returns it with local paths `<cacheDir>/<bucket>/<key>`. Objects go through the
 * {@link DatasetCache} in `<cacheDir>/.objects` (the trainer's cache: keyed by ETag and size, so
 * unchanged objects are not fetched again) and are hard-linked to those paths. The index copy is
 * written last, so the cache directory is itself a valid Ianvs dataset.
 */
export async function downloadDataset(
  uri: string,
  store: ObjectStore,
  options: DownloadDatasetOptions,
): Promise<Dataset> {
  const index = parseS3Uri(uri);
  let text: string;
  try {
    text = (await store.getBuffer(index.bucket, index.key)).toString('utf8');
  } catch (err) {
    throw new DatasetError('DATASET_FILE_MISSING', `Cannot read index ${uri}`, { file: uri, cause: err });
  }
  const lines = parseIndexLines(text, uri);
  const objects = new Map<string, { loc: S3Location; line: number }>();
  const samples: DatasetSample[] = lines.map((l) => {
    const local = (token: string): string => {
      const loc = resolveIndexToken(token, index, uri, l.line);
      const id = formatS3Uri(loc.bucket, loc.key);
      if (!objects.has(id)) objects.set(id, { loc, line: l.line });
      return cachePath(options.cacheDir, loc);
    };
    const sample: DatasetSample = { imagePath: local(l.image) };
    if (l.annotation !== undefined) sample.annotationPath = local(l.annotation);
    return sample;
  });

  // One listing of the index directory answers most size/ETag questions; stat the rest.
  const dirPrefix = index.key.includes('/') ? index.key.slice(0, index.key.lastIndexOf('/') + 1) : '';
  const listed = new Map(
    (await store.list(index.bucket, dirPrefix, { recursive: true })).map((o) => [o.key, o]),
  );
  const cache = new DatasetCache(store, join(options.cacheDir, OBJECTS_DIR));
  await eachLimit(
    [...objects.values()],
    options.concurrency ?? DEFAULT_CONCURRENCY,
    async ({ loc, line }) => {
      const known = loc.bucket === index.bucket ? listed.get(loc.key) : undefined;
      const cached = await cache.fetch(loc.bucket, loc.key, known);
      if (!cached) {
        throw new DatasetError(
          'DATASET_FILE_MISSING',
          `${uri}:${line}: ${formatS3Uri(loc.bucket, loc.key)} does not exist`,
          {
            file: uri,
            line,
          },
        );
      }
      await cache.materialize(cached, cachePath(options.cacheDir, loc));
    },
  );
  const indexCopy = cachePath(options.cacheDir, index);
  await mkdir(dirname(indexCopy), { recursive: true });
  await writeFileAtomic(indexCopy, text);
  log.info(
    { source: uri, files: objects.size, downloaded: cache.getStats().misses, cacheDir: options.cacheDir },
    'Dataset downloaded',
  );
  return { source: uri, samples };
}

const CONTENT_TYPES: Record<string, string> = {
  '.jpeg': 'image/jpeg',
  '.jpg': 'image/jpeg',
  '.png': 'image/png',
  '.xml': 'application/xml',
  '.txt': 'text/plain; charset=utf-8',
};

/** What {@link uploadDataset} wrote. */
export interface UploadedDataset {
  /** `s3://bucket/prefix/<index file name>` */
  indexUri: string;
  /** Number of images and annotations uploaded (the index not counted). */
  files: number;
}

/**
 * Uploads a local Ianvs dataset (its `index.txt` and every file it names) under
 * `s3://bucket/prefix/` (the index keeps its file name), keeping each file's path relative to the
 * index, and ensures the bucket.
 * The index goes up last, so a reader never sees it before the files it names. Files outside the
 * index's directory cannot keep a relative key and are refused.
 */
export async function uploadDataset(
  localIndexPath: string,
  store: ObjectStore,
  bucket: string,
  prefix: string,
  options: { concurrency?: number } = {},
): Promise<UploadedDataset> {
  const baseDir = dirname(resolve(localIndexPath));
  const lines: IndexLine[] = await readIndexLines(localIndexPath);
  const root = prefix.replace(/^\/+|\/+$/g, '');
  const keyOf = (token: string, line: number): { path: string; key: string } => {
    const path = resolve(baseDir, token);
    const rel = relative(baseDir, path).split(sep).join('/');
    if (rel.startsWith('../') || rel === '..' || rel.startsWith('/')) {
      throw new DatasetError(
        'INVALID_INDEX',
        `${localIndexPath}:${line}: ${token} is outside the index directory; cannot upload it`,
        {
          file: localIndexPath,
          line,
        },
      );
    }
    return { path, key: root ? `${root}/${rel}` : rel };
  };
  const files = new Map<string, { path: string; line: number }>();
  const indexText = lines
    .map((l) => {
      const tokens = l.annotation === undefined ? [l.image] : [l.image, l.annotation];
      return `${tokens
        .map((t) => {
          const { path, key } = keyOf(t, l.line);
          files.set(key, { path, line: l.line });
          return `./${posix.relative(root, key)}`;
        })
        .join(' ')}\n`;
    })
    .join('');

  await store.ensureBucket(bucket);
  await eachLimit([...files], options.concurrency ?? DEFAULT_CONCURRENCY, async ([key, { path, line }]) => {
    const exists = await stat(path).catch(() => null);
    if (!exists?.isFile()) {
      throw new DatasetError('DATASET_FILE_MISSING', `${localIndexPath}:${line}: ${path} does not exist`, {
        file: localIndexPath,
        line,
      });
    }
    await store.putFile(bucket, key, path, {
      contentType: CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
    });
  });
  const indexKey = root ? `${root}/${basename(localIndexPath)}` : basename(localIndexPath);
  await store.putObject(bucket, indexKey, indexText, { contentType: CONTENT_TYPES['.txt'] });
  log.info({ bucket, indexKey, files: files.size }, 'Dataset uploaded');
  return { indexUri: formatS3Uri(bucket, indexKey), files: files.size };
}
