import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Writes `data` to `path` so that a crash leaves either the old file or the complete new one:
 * write a temp file beside it, fsync it, rename it over `path`, then fsync the directory so the
 * rename itself survives a power cut. Temp files end in `.tmp` so a scan can remove leftovers.
 */
export async function writeFileAtomic(path: string, data: Buffer | string): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  await rename(tmp, path);
  await fsyncDir(dirname(path));
}

/** fsync of a directory makes renames and unlinks in it durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** True for the leftovers of an interrupted {@link writeFileAtomic}. */
export function isTempFile(name: string): boolean {
  return name.endsWith('.tmp');
}
