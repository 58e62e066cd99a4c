import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { checkEntryName } from './entry-name.js';
import type { ModelManifest } from './manifest.js';
import { ModelPackageError } from './model-package-error.js';
import { validateManifest } from './validate-manifest.js';
import { replaceFile } from '../fs/atomic-write.js';

/** Name of the manifest entry at the zip root. */
export const MANIFEST_ENTRY = 'manifest.json';

/**
 * Every entry gets this timestamp so that equal input gives equal bytes. Built from local-time
 * fields because zip (DOS) timestamps are local time: the stored fields are the same in every zone.
 */
const FIXED_MTIME = new Date(2000, 0, 1, 0, 0, 0);
const FILE_MODE = 0o100644;
/**
 * Weight files are stored, not deflated (as PyTorch's zip checkpoints do): float weights shrink by
 * only a few percent, while deflate makes packing ~4x and extraction on the edge ~3x slower.
 */
const STORED = /\.(bin|npy|npz|pt|pth|onnx|tflite|h5|safetensors)$/i;

export interface WriteModelPackageOptions {
  /** Checkpoint directory; every regular file in it goes into the zip (symlinks are refused). */
  dir: string;
  /** The manifest; its `files` is replaced by the files actually packed. */
  manifest: Omit<ModelManifest, 'files'> & { files?: string[] };
  /** Path of the `model.zip` to write (written beside, then renamed into place). */
  out: string;
}

export interface WrittenModelPackage {
  path: string;
  sha256: string;
  size: number;
  manifest: ModelManifest;
}

/**
 * Writes `model.zip`: `manifest.json` first, then every file of `dir` in sorted order, streamed
 * through yazl. Timestamps and modes are fixed, so the same input always gives the same bytes
 * (and the same sha256).
 */
export async function writeModelPackage(options: WriteModelPackageOptions): Promise<WrittenModelPackage> {
  const files = await listFiles(options.dir);
  if (files.includes(MANIFEST_ENTRY)) {
    throw new ModelPackageError(
      'INVALID_INPUT',
      `${options.dir} already holds a ${MANIFEST_ENTRY}; it is written from the manifest`,
    );
  }
  const manifest = validateManifest({ ...options.manifest, files });

  const zip = new yazl.ZipFile();
  const entryOptions = { mtime: FIXED_MTIME, mode: FILE_MODE, forceDosTimestamp: true };
  zip.addBuffer(Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), MANIFEST_ENTRY, entryOptions);
  for (const file of files) {
    zip.addFile(join(options.dir, ...file.split('/')), file, {
      ...entryOptions,
      compress: !STORED.test(file),
    });
  }
  zip.end();

  await mkdir(dirname(options.out), { recursive: true });
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  await replaceFile(options.out, (partial) => pipeline(zip.outputStream, tap, createWriteStream(partial)), {
    tempSuffix: 'part',
  });
  return { path: options.out, sha256: hash.digest('hex'), size, manifest };
}

/** Regular files under `dir`, as sorted zip paths (`a/b.bin`). */
async function listFiles(dir: string): Promise<string[]> {
  const info = await stat(dir).catch((err: unknown) => {
    throw new ModelPackageError('INVALID_INPUT', `Checkpoint directory ${dir} cannot be read`, {
      cause: err,
    });
  });
  if (!info.isDirectory()) throw new ModelPackageError('INVALID_INPUT', `${dir} is not a directory`);
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(join(dir, rel), { withFileTypes: true });
    for (const entry of entries) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isSymbolicLink()) {
        throw new ModelPackageError(
          'SYMLINK',
          `Refusing to pack symlink ${path}: copy the file into the checkpoint`,
        );
      } else if (entry.isDirectory()) {
        await walk(path);
      } else if (entry.isFile()) {
        out.push(checkEntryName(path));
      } else {
        throw new ModelPackageError('UNSUPPORTED_ENTRY', `Refusing to pack ${path}: not a regular file`);
      }
    }
  };
  await walk('');
  // Code-unit order, not locale order: the same on every machine.
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
