import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** What {@link replaceFile} and {@link writeFileAtomic} guarantee beyond "whole file or none". */
export interface AtomicWriteOptions {
  /**
   * fsync the new file and then its directory, so a power cut keeps the new content (not only a
   * process crash). For state an agent must find after a reboot; costs milliseconds per write.
   */
  durable?: boolean;
  /** Ending of the temp file (default `tmp`); leftovers of a crash are found by it. */
  tempSuffix?: string;
}

/** A unique temp path in the same directory as `path` (so the rename over it is atomic). */
export function tempPathBeside(path: string, suffix = 'tmp'): string {
  return `${path}.${randomBytes(4).toString('hex')}.${suffix}`;
}

/**
 * Replaces `path` so that a reader (or a crash) sees the old file or the complete new one, never
 * a half-written one: `fill` writes a temp file beside it, which is then renamed over `path`.
 * The temp file is removed when `fill` or the rename fails.
 */
export async function replaceFile(
  path: string,
  fill: (tempPath: string) => Promise<void>,
  options: AtomicWriteOptions = {},
): Promise<void> {
  // Reopening to fsync works on Linux and macOS: fsync flushes the file, not the descriptor.
  await replace(path, options, async (temp) => {
    await fill(temp);
    if (options.durable) await fsyncPath(temp);
  });
}

/** {@link replaceFile} with `data` as the new content. */
export async function writeFileAtomic(
  path: string,
  data: Buffer | string,
  options: AtomicWriteOptions = {},
): Promise<void> {
  await replace(path, options, async (temp) => {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(data);
      if (options.durable) await handle.sync();
    } finally {
      await handle.close();
    }
  });
}

async function replace(
  path: string,
  options: AtomicWriteOptions,
  write: (tempPath: string) => Promise<void>,
): Promise<void> {
  const temp = tempPathBeside(path, options.tempSuffix);
  try {
    await write(temp);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  if (options.durable) await fsyncDir(dirname(path));
}

/** fsync of a directory makes renames and unlinks in it durable. */
export async function fsyncDir(dir: string): Promise<void> {
  await fsyncPath(dir);
}

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** True for the leftovers of an interrupted {@link writeFileAtomic} with the default suffix. */
export function isTempFile(name: string): boolean {
  return name.endsWith('.tmp');
}
