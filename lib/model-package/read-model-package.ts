import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { checkEntryName, decodeEntryName } from './entry-name.js';
import type { ModelManifest } from './manifest.js';
import { ModelPackageError } from './model-package-error.js';
import { validateManifest } from './validate-manifest.js';
import { MANIFEST_ENTRY } from './write-model-package.js';

/** Size and count limits applied before and during extraction. */
export interface ModelPackageLimits {
  /** Sum of all uncompressed entry sizes. */
  maxTotalBytes: number;
  /** Uncompressed size of one entry. */
  maxEntryBytes: number;
  maxEntries: number;
  /** Uncompressed size of manifest.json. */
  maxManifestBytes: number;
}

export const DEFAULT_MODEL_PACKAGE_LIMITS: Readonly<ModelPackageLimits> = Object.freeze({
  maxTotalBytes: 512 * 1024 * 1024,
  maxEntryBytes: 256 * 1024 * 1024,
  maxEntries: 10_000,
  maxManifestBytes: 1024 * 1024,
});

export interface ExtractedModelPackage {
  /** The extraction directory (`destDir`). */
  dir: string;
  manifest: ModelManifest;
  /** Extracted files (zip paths), manifest.json included. */
  files: string[];
  totalBytes: number;
}

interface CheckedEntry {
  entry: yauzl.Entry;
  name: string;
  isDirectory: boolean;
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/**
 * Reads and checks `manifest.json` of a model package without extracting anything. Every entry is
 * checked as {@link readModelPackage} would, so a package this accepts is safe to extract.
 */
export async function readManifest(
  zipPath: string,
  limits: Partial<ModelPackageLimits> = {},
): Promise<ModelManifest> {
  const all = { ...DEFAULT_MODEL_PACKAGE_LIMITS, ...limits };
  const zip = await openZip(zipPath);
  try {
    const entries = await scanEntries(zip, all);
    return await loadManifest(zip, entries, all);
  } finally {
    zip.close();
  }
}

/**
 * Extracts a model package into `destDir` (which must not exist or be empty) and returns its
 * manifest. Every entry is checked before anything is written: no path traversal, absolute paths,
 * backslashes, symlinks or other special files, duplicate names, or sizes over `limits`; actual
 * sizes are checked against the declared ones while streaming. Files land in a temporary sibling
 * directory that is renamed into place at the end, so a refused package leaves nothing behind.
 */
export async function readModelPackage(
  zipPath: string,
  destDir: string,
  limits: Partial<ModelPackageLimits> = {},
): Promise<ExtractedModelPackage> {
  let manifest: ModelManifest | undefined;
  const extracted = await extractCheckedZip(zipPath, destDir, limits, async (zip, entries, all) => {
    manifest = await loadManifest(zip, entries, all);
  });
  return { ...extracted, manifest: manifest! };
}

/** What {@link extractZip} wrote. */
export type ExtractedZip = Omit<ExtractedModelPackage, 'manifest'>;

/**
 * Extracts any zip (a dataset archive, say) under the model package's safety rules, without
 * asking for a manifest: the same entry checks, limits, size guards and atomic rename.
 */
export function extractZip(
  zipPath: string,
  destDir: string,
  limits: Partial<ModelPackageLimits> = {},
): Promise<ExtractedZip> {
  return extractCheckedZip(zipPath, destDir, limits);
}

async function extractCheckedZip(
  zipPath: string,
  destDir: string,
  limits: Partial<ModelPackageLimits>,
  beforeWrite?: (zip: yauzl.ZipFile, entries: CheckedEntry[], limits: ModelPackageLimits) => Promise<void>,
): Promise<ExtractedZip> {
  const all = { ...DEFAULT_MODEL_PACKAGE_LIMITS, ...limits };
  const destEmpty = await assertUsableDestination(destDir);
  const zip = await openZip(zipPath);
  let tmp: string | undefined;
  try {
    const entries = await scanEntries(zip, all);
    await beforeWrite?.(zip, entries, all);
    await mkdir(dirname(destDir), { recursive: true });
    tmp = await mkdtemp(join(dirname(destDir), `.${basename(destDir)}.extract-`));
    let totalBytes = 0;
    const files: string[] = [];
    for (const { entry, name, isDirectory } of entries) {
      const target = join(tmp, ...name.split('/'));
      // checkEntryName already guarantees this; a second, independent guard costs nothing.
      if (!resolve(target).startsWith(resolve(tmp) + sep)) {
        throw new ModelPackageError(
          'UNSAFE_PATH',
          `Entry ${JSON.stringify(name)} resolves outside the destination`,
        );
      }
      if (isDirectory) {
        await mkdir(target, { recursive: true });
        continue;
      }
      await mkdir(dirname(target), { recursive: true });
      totalBytes += await extractEntry(zip, entry, name, target, all.maxTotalBytes - totalBytes);
      files.push(name);
    }
    if (destEmpty) await rmdir(destDir);
    await rename(tmp, destDir);
    tmp = undefined;
    return { dir: destDir, files, totalBytes };
  } finally {
    zip.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }
}

/** True when `destDir` exists and is empty (to be replaced), false when absent; throws otherwise. */
async function assertUsableDestination(destDir: string): Promise<boolean> {
  let names: string[];
  try {
    names = await readdir(destDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new ModelPackageError(
      'DEST_EXISTS',
      `Cannot extract into ${destDir}: it is not a readable directory`,
      { cause: err },
    );
  }
  if (names.length > 0) {
    throw new ModelPackageError('DEST_EXISTS', `Cannot extract into ${destDir}: it is not empty`);
  }
  return true;
}

async function openZip(zipPath: string): Promise<yauzl.ZipFile> {
  try {
    // decodeStrings: false hands us the raw name bytes, so name decoding and every path rule are
    // ours; sizes are checked by sizeGuard() so that a lying size gets one clear error code.
    return await yauzl.openPromise(zipPath, {
      lazyEntries: true,
      autoClose: false,
      decodeStrings: false,
      validateEntrySizes: false,
    });
  } catch (err) {
    throw new ModelPackageError('NOT_A_ZIP', `${basename(zipPath)} is not a readable zip file`, {
      cause: err,
    });
  }
}

/** Reads the central directory and applies every name, type, count and declared-size rule. */
async function scanEntries(zip: yauzl.ZipFile, limits: ModelPackageLimits): Promise<CheckedEntry[]> {
  if (zip.entryCount > limits.maxEntries) {
    throw new ModelPackageError(
      'TOO_MANY_ENTRIES',
      `Package has ${zip.entryCount} entries; the limit is ${limits.maxEntries}`,
    );
  }
  const raw = await new Promise<yauzl.Entry[]>((done, fail) => {
    const list: yauzl.Entry[] = [];
    zip.on('entry', (entry: yauzl.Entry) => {
      list.push(entry);
      zip.readEntry();
    });
    zip.once('end', () => done(list));
    zip.once('error', (err: Error) =>
      fail(
        new ModelPackageError('NOT_A_ZIP', `Corrupt zip central directory: ${err.message}`, { cause: err }),
      ),
    );
    zip.readEntry();
  });

  const checked: CheckedEntry[] = [];
  const files = new Set<string>();
  const dirs = new Set<string>();
  let total = 0;
  for (const entry of raw) {
    const rawName = decodeEntryName(entry.fileNameRaw, entry.generalPurposeBitFlag);
    const name = checkEntryName(rawName);
    const type = (entry.externalFileAttributes >>> 16) & S_IFMT;
    if (type === S_IFLNK)
      throw new ModelPackageError('SYMLINK', `Entry ${JSON.stringify(name)} is a symlink`);
    if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) {
      throw new ModelPackageError(
        'UNSUPPORTED_ENTRY',
        `Entry ${JSON.stringify(name)} is not a regular file or directory`,
      );
    }
    if (entry.isEncrypted() || !entry.canDecodeFileData()) {
      throw new ModelPackageError(
        'UNSUPPORTED_ENTRY',
        `Entry ${JSON.stringify(name)} is encrypted or uses an unsupported compression`,
      );
    }
    const isDirectory = rawName.endsWith('/') || type === S_IFDIR;
    if (files.has(name) || dirs.has(name)) {
      throw new ModelPackageError('DUPLICATE_ENTRY', `Entry ${JSON.stringify(name)} appears more than once`);
    }
    const ancestors = name
      .split('/')
      .slice(0, -1)
      .map((_, i, parts) => parts.slice(0, i + 1).join('/'));
    const clash = ancestors.find((a) => files.has(a));
    if (clash !== undefined) {
      throw new ModelPackageError(
        'DUPLICATE_ENTRY',
        `Entry ${JSON.stringify(name)} needs ${JSON.stringify(clash)} as a directory, but it is a file`,
      );
    }
    ancestors.forEach((a) => dirs.add(a));
    if (isDirectory) {
      dirs.add(name);
    } else {
      if (entry.uncompressedSize > limits.maxEntryBytes) {
        throw new ModelPackageError(
          'ENTRY_TOO_LARGE',
          `Entry ${JSON.stringify(name)} is ${entry.uncompressedSize} bytes; the limit is ${limits.maxEntryBytes}`,
        );
      }
      total += entry.uncompressedSize;
      if (total > limits.maxTotalBytes) {
        throw new ModelPackageError(
          'TOTAL_TOO_LARGE',
          `Package content exceeds ${limits.maxTotalBytes} bytes`,
        );
      }
      files.add(name);
    }
    checked.push({ entry, name, isDirectory });
  }
  return checked;
}

/** Reads, parses and validates manifest.json, and checks that its `files` match the zip. */
async function loadManifest(
  zip: yauzl.ZipFile,
  entries: CheckedEntry[],
  limits: ModelPackageLimits,
): Promise<ModelManifest> {
  const found = entries.find((e) => e.name === MANIFEST_ENTRY && !e.isDirectory);
  if (!found) throw new ModelPackageError('MISSING_MANIFEST', `Package has no ${MANIFEST_ENTRY} at its root`);
  if (found.entry.uncompressedSize > limits.maxManifestBytes) {
    throw new ModelPackageError(
      'INVALID_MANIFEST',
      `${MANIFEST_ENTRY} is larger than ${limits.maxManifestBytes} bytes`,
    );
  }
  const chunks: Buffer[] = [];
  await pipeline(
    await openEntry(zip, found.entry),
    sizeGuard(MANIFEST_ENTRY, found.entry.uncompressedSize, limits.maxManifestBytes),
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        done();
      },
    }),
  );
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw new ModelPackageError('INVALID_MANIFEST', `${MANIFEST_ENTRY} is not valid JSON`, { cause: err });
  }
  const manifest = validateManifest(parsed);
  const inZip = new Set(
    entries.filter((e) => !e.isDirectory && e.name !== MANIFEST_ENTRY).map((e) => e.name),
  );
  const listed = new Set(manifest.files);
  const missing = [...listed].filter((f) => !inZip.has(f));
  const unlisted = [...inZip].filter((f) => !listed.has(f));
  if (missing.length > 0 || unlisted.length > 0) {
    const show = (list: string[]): string => list.slice(0, 5).join(', ') + (list.length > 5 ? ', ...' : '');
    throw new ModelPackageError(
      'INVALID_MANIFEST',
      `${MANIFEST_ENTRY} files do not match the zip` +
        (missing.length ? `; listed but absent: ${show(missing)}` : '') +
        (unlisted.length ? `; present but unlisted: ${show(unlisted)}` : ''),
    );
  }
  return manifest;
}

/** Streams one entry into `target` (created exclusively); returns the bytes written. */
async function extractEntry(
  zip: yauzl.ZipFile,
  entry: yauzl.Entry,
  name: string,
  target: string,
  budget: number,
): Promise<number> {
  const guard = sizeGuard(name, entry.uncompressedSize, budget);
  try {
    await pipeline(await openEntry(zip, entry), guard, createWriteStream(target, { flags: 'wx' }));
  } catch (err) {
    if (String((err as NodeJS.ErrnoException).code ?? '').startsWith('Z_')) {
      throw new ModelPackageError(
        'NOT_A_ZIP',
        `Entry ${JSON.stringify(name)} holds corrupt compressed data`,
        { cause: err },
      );
    }
    throw err;
  }
  return guard.bytes;
}

function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((done, fail) =>
    zip.openReadStream(entry, (err, stream) =>
      err
        ? fail(new ModelPackageError('NOT_A_ZIP', `Cannot read entry: ${err.message}`, { cause: err }))
        : done(stream),
    ),
  );
}

/**
 * Passes bytes through while counting them: more than `declared` (or than `budget`) fails at once,
 * fewer than `declared` fails at the end. Does not trust the header the bytes came with.
 */
function sizeGuard(name: string, declared: number, budget: number): Transform & { bytes: number } {
  const guard = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      guard.bytes += chunk.length;
      if (guard.bytes > declared) {
        done(
          new ModelPackageError(
            'SIZE_MISMATCH',
            `Entry ${JSON.stringify(name)} holds more than its declared ${declared} bytes`,
          ),
        );
      } else if (guard.bytes > budget) {
        done(
          new ModelPackageError(
            'TOTAL_TOO_LARGE',
            `Package content exceeds the size limit while extracting ${JSON.stringify(name)}`,
          ),
        );
      } else {
        done(null, chunk);
      }
    },
    flush(done) {
      done(
        guard.bytes === declared
          ? null
          : new ModelPackageError(
              'SIZE_MISMATCH',
              `Entry ${JSON.stringify(name)} holds ${guard.bytes} bytes, declared ${declared}`,
            ),
      );
    },
  }) as Transform & { bytes: number };
  guard.bytes = 0;
  return guard;
}
