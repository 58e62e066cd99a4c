import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { ObjectStore } from '../storage/object-store.js';
import { formatS3Uri, isS3Uri, parseS3Uri } from '../storage/s3-uri.js';
import { DatasetError } from './dataset-error.js';
import { storeFor } from './default-store.js';
import { resolveIndexToken } from './s3-index-paths.js';
import type { DatasetSample } from './types.js';
import { writeFileAtomic } from '../fs/atomic-write.js';

/** One non-blank line of an `index.txt`, tokens as written (not resolved). */
export interface IndexLine {
  /** 1-based line number in the file. */
  line: number;
  image: string;
  annotation?: string;
}

/**
 * Splits an Ianvs `index.txt` into its lines: `image [annotation]`, separated by whitespace.
 * Blank lines, CRLF and trailing spaces are tolerated; a line with more than two fields is a
 * {@link DatasetError} `INVALID_INDEX` naming `source` and the line (paths cannot contain spaces,
 * because Ianvs splits on them too).
 */
export function parseIndexLines(text: string, source: string): IndexLine[] {
  const out: IndexLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const fields = raw.trim().split(/\s+/).filter(Boolean);
    if (fields.length === 0) return;
    if (fields.length > 2 || fields.some((f) => f.includes('\0'))) {
      throw new DatasetError(
        'INVALID_INDEX',
        `${source}:${i + 1}: expected "image [annotation]", found ${fields.length} fields ` +
          `(paths with spaces are not supported): "${raw.trim().slice(0, 200)}"`,
        { file: source, line: i + 1 },
      );
    }
    out.push(
      fields[1] === undefined
        ? { line: i + 1, image: fields[0]! }
        : { line: i + 1, image: fields[0]!, annotation: fields[1] },
    );
  });
  return out;
}

/**
 * Parses an Ianvs `index.txt` and resolves every path against `baseDir`, the index file's
 * directory, as Ianvs does (`os.path.abspath(os.path.join(root, word))`: absolute paths stay as
 * they are, relative ones are joined and normalised). `source` names the file in errors.
 *
 * One deliberate difference: Ianvs rewrites a file only when some line's image path is relative,
 * leaving a relative annotation path untouched when every image path is absolute; here each path
 * is resolved on its own, which agrees with Ianvs on every consistent index.
 */
export function parseIndex(
  text: string,
  baseDir: string,
  source = resolve(baseDir, 'index.txt'),
): DatasetSample[] {
  return parseIndexLines(text, source).map((l) => toSample(l, baseDir));
}

function toSample(l: IndexLine, baseDir: string): DatasetSample {
  const sample: DatasetSample = { imagePath: resolve(baseDir, l.image) };
  if (l.annotation !== undefined) sample.annotationPath = resolve(baseDir, l.annotation);
  return sample;
}

function relativeLine(path: string, baseDir: string, indexPath: string): string {
  if (/\s/.test(path)) {
    throw new DatasetError(
      'INVALID_INDEX',
      `Cannot write "${path}" into ${indexPath}: Ianvs index paths cannot contain whitespace`,
      {
        file: indexPath,
      },
    );
  }
  const rel = relative(resolve(baseDir), resolve(path));
  if (isAbsolute(rel)) return rel;
  const posix = rel.split(sep).join('/');
  return posix.startsWith('../') ? posix : `./${posix}`;
}

/**
 * Writes index lines (`./JPEGImages/x.jpeg ./Annotations/x.xml`) with paths relative to `baseDir`,
 * the directory the index file will live in. Ends with a newline; empty input gives `''`.
 */
export function formatIndex(entries: DatasetSample[], baseDir: string): string {
  const indexPath = resolve(baseDir, 'index.txt');
  return entries
    .map((e) => {
      const image = relativeLine(e.imagePath, baseDir, indexPath);
      return e.annotationPath === undefined
        ? image
        : `${image} ${relativeLine(e.annotationPath, baseDir, indexPath)}`;
    })
    .map((line) => `${line}\n`)
    .join('');
}

/** Reads a local index file (errors name the file) and returns its raw lines. */
export async function readIndexLines(path: string): Promise<IndexLine[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new DatasetError(
      missing ? 'DATASET_FILE_MISSING' : 'DATASET_UNREADABLE',
      missing ? `Index file not found: ${path}` : `Cannot read index file ${path}`,
      { file: path, cause: err },
    );
  }
  return parseIndexLines(text, path);
}

/**
 * Reads an `index.txt` without downloading anything. A local path gives absolute local paths,
 * resolved against the file's directory; an `s3://bucket/key/index.txt` URI gives s3:// URIs,
 * resolved against the index's key directory (use {@link loadDataset} for local copies).
 */
export async function readIndexFile(
  pathOrUri: string,
  options: { store?: ObjectStore } = {},
): Promise<DatasetSample[]> {
  if (isS3Uri(pathOrUri)) {
    const index = parseS3Uri(pathOrUri);
    let text: string;
    try {
      text = (await storeFor(pathOrUri, options.store).getBuffer(index.bucket, index.key)).toString('utf8');
    } catch (err) {
      if (err instanceof DatasetError) throw err;
      throw new DatasetError('DATASET_FILE_MISSING', `Cannot read index ${pathOrUri}`, {
        file: pathOrUri,
        cause: err,
      });
    }
    const uri = (token: string, line: number): string => {
      const loc = resolveIndexToken(token, index, pathOrUri, line);
      return formatS3Uri(loc.bucket, loc.key);
    };
    return parseIndexLines(text, pathOrUri).map((l) =>
      l.annotation === undefined
        ? { imagePath: uri(l.image, l.line) }
        : { imagePath: uri(l.image, l.line), annotationPath: uri(l.annotation, l.line) },
    );
  }
  const baseDir = dirname(resolve(pathOrUri));
  return (await readIndexLines(pathOrUri)).map((l) => toSample(l, baseDir));
}

/** Writes a local `index.txt` atomically (temp file + rename), paths relative to its directory. */
export async function writeIndexFile(path: string, entries: DatasetSample[]): Promise<void> {
  const text = formatIndex(entries, dirname(resolve(path)));
  await writeFileAtomic(path, text);
}
