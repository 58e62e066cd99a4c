/**
 * Preloaded (`node --import`) into a child process that a crash test kills: it numbers every file
 * operation under CRASH_DIR (open, each 4 KiB chunk written, sync, close, rename) and SIGKILLs the
 * process just before operation CRASH_AT_STEP. Writes are split into chunks, so a kill can land in
 * the middle of one, as a real crash of a large write can. Product code stays unchanged: the hook
 * replaces node:fs/promises functions and FileHandle methods, and syncs the ESM bindings.
 * With CRASH_AT_STEP=0 nothing is killed and the number of operations is printed at exit
 * (`steps <n>` on stdout), so a test knows the range to pick kill points from.
 */
import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { resolve } from 'node:path';

const CHUNK = 4096;
const killAt = Number(process.env.CRASH_AT_STEP ?? 0);
const root = resolve(process.env.CRASH_DIR ?? '/nonexistent');
const watched = new WeakSet<object>();
let steps = 0;

const under = (path: unknown): boolean =>
  (typeof path === 'string' || path instanceof URL) && resolve(String(path)).startsWith(root);

function point(): void {
  steps += 1;
  if (killAt > 0 && steps === killAt) {
    process.kill(process.pid, 'SIGKILL');
    // SIGKILL is delivered on the way out of the kill syscall; never run past the crash point.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000);
  }
}

async function writeChunks(handle: FileHandle, data: string | Uint8Array): Promise<void> {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  for (let offset = 0; offset < bytes.length; offset += CHUNK) {
    point();
    await handle.write(bytes, offset, Math.min(CHUNK, bytes.length - offset));
  }
}

const promises = fs.promises;
const { open, rename, writeFile } = promises;

promises.open = (async (path: fs.PathLike, ...rest: unknown[]) => {
  if (under(path)) point();
  const handle = await (open as (...a: unknown[]) => Promise<FileHandle>)(path, ...rest);
  if (under(path)) watched.add(handle);
  return handle;
}) as typeof promises.open;

promises.rename = (async (from: fs.PathLike, to: fs.PathLike) => {
  if (under(to)) point();
  return rename(from, to);
}) as typeof promises.rename;

promises.writeFile = (async (path: unknown, data: unknown, options?: unknown) => {
  if (!under(path) || !(typeof data === 'string' || data instanceof Uint8Array))
    return (writeFile as (...a: unknown[]) => Promise<void>)(path, data, options);
  const handle = await promises.open(path as string, 'w');
  try {
    await writeChunks(handle, data);
  } finally {
    await handle.close();
  }
}) as typeof promises.writeFile;

/** FileHandle methods live on its prototype, reachable through any open handle. */
const probe = await open(process.execPath, 'r');
const proto = Object.getPrototypeOf(probe) as FileHandle;
await probe.close();
const { writeFile: handleWriteFile, sync, close } = proto;
proto.writeFile = async function (this: FileHandle, data: unknown, options?: unknown) {
  if (!watched.has(this) || !(typeof data === 'string' || data instanceof Uint8Array))
    return (handleWriteFile as (...a: unknown[]) => Promise<void>).call(this, data, options);
  await writeChunks(this, data);
} as FileHandle['writeFile'];
proto.sync = async function (this: FileHandle) {
  if (watched.has(this)) point();
  return sync.call(this);
};
proto.close = async function (this: FileHandle) {
  if (watched.has(this)) point();
  return close.call(this);
};
syncBuiltinESMExports();

if (killAt === 0) process.once('exit', () => process.stdout.write(`steps ${steps}\n`));
