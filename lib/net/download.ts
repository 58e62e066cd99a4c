import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Logger } from 'pino';
import { EdgeStlError } from '../errors/index.js';
import { sleep } from '../sleep.js';
import type { Fetch } from './trusted-fetch.js';
import { Backoff } from './backoff.js';

export interface DownloadOptions {
  /** Attempts before giving up (each resumes where the last one broke). */
  attempts?: number;
  /** Refuse bodies larger than this, bytes. */
  maxBytes?: number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  signal?: AbortSignal;
  log?: Logger;
  /** What is downloaded, for messages ("model", "dataset"). */
  what?: string;
  /** Called as bytes arrive: bytes on disk so far (resumed ones included) and the total, when known. */
  onProgress?: (bytes: number, total: number | null) => void;
  /** A fetch trusting the operator's CA (an HTTPS S3 endpoint with a private CA). */
  fetch?: Fetch;
  /** A request that receives nothing for this long is cut and resumed (default 30 s). */
  idleTimeoutMs?: number;
  /** The whole download, every attempt and wait included, fails after this long (default 15 min). */
  timeoutMs?: number;
}

export const DEFAULT_DOWNLOAD_IDLE_TIMEOUT_MS = 30_000;
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 15 * 60_000;

export interface DownloadResult {
  bytes: number;
  /** Requests made; more than one means the transfer was resumed. */
  requests: number;
}

/** A download that failed for good (bad URL, refused, too large, out of attempts). */
export class DownloadError extends EdgeStlError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DOWNLOAD_FAILED', message, options);
  }
}

/**
 * Downloads `url` to `dest` through `dest.part`. A broken transfer resumes with an HTTP `Range`
 * request from the bytes already on disk (also across agent restarts, as the part file stays),
 * so a flaky uplink never restarts a large model from zero. A server that ignores `Range` (200)
 * restarts the file.
 */
export async function downloadWithResume(
  url: string,
  dest: string,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const part = `${dest}.part`;
  const attempts = options.attempts ?? 5;
  const what = options.what ?? 'model';
  const maxBytes = options.maxBytes ?? 2 * 1024 ** 3;
  const backoff = new Backoff({
    baseMs: options.baseBackoffMs ?? 200,
    maxMs: options.maxBackoffMs ?? 10_000,
  });
  const timeoutMs = options.timeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS;
  const total = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, total]) : total;
  const idleMs = options.idleTimeoutMs ?? DEFAULT_DOWNLOAD_IDLE_TIMEOUT_MS;
  let lastError: unknown;
  for (let request = 1; request <= attempts; request++) {
    const offset = (await stat(part).catch(() => null))?.size ?? 0;
    try {
      const done = await fetchPart(url, part, offset, maxBytes, what, {
        signal,
        idleMs,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      });
      if (done) {
        await rename(part, dest);
        return { bytes: (await stat(dest)).size, requests: request };
      }
    } catch (err) {
      if (err instanceof DownloadError) throw err;
      lastError = err;
      options.log?.warn({ err, offset, request, what }, 'Download interrupted');
    }
    if (signal.aborted) break;
    await sleep(backoff.next(), signal);
  }
  if (total.aborted)
    throw new DownloadError(`${what} download took longer than ${timeoutMs} ms`, { cause: lastError });
  if (options.signal?.aborted) throw new DownloadError(`${what} download aborted`, { cause: lastError });
  throw new DownloadError(`${what} download failed after ${attempts} attempts: ${describe(lastError)}`, {
    cause: lastError,
  });
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The server sent nothing for the idle deadline: the request is cut (a retry resumes it). */
class IdleTimeoutError extends Error {
  constructor(idleMs: number, what: string) {
    super(`no data from the ${what} server for ${idleMs} ms`);
    this.name = 'IdleTimeoutError';
  }
}

/**
 * An abort signal that fires when {@link IdleWatch.touch} has not been called for `idleMs`, joined
 * with `outer`. A trickle of one byte every few seconds is progress to TCP but not to us: the
 * deadline is reset only by data, never by time passing.
 */
class IdleWatch {
  private readonly idle = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  readonly signal: AbortSignal;

  constructor(
    private readonly idleMs: number,
    outer: AbortSignal,
    private readonly what: string,
  ) {
    this.signal = AbortSignal.any([outer, this.idle.signal]);
    this.touch();
  }

  touch(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.idle.abort(new IdleTimeoutError(this.idleMs, this.what)), this.idleMs);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}

/** One request; true when the file is complete. Throws DownloadError for what a retry cannot fix. */
async function fetchPart(
  url: string,
  part: string,
  offset: number,
  maxBytes: number,
  what: string,
  transfer: Transfer,
): Promise<boolean> {
  const watch = new IdleWatch(transfer.idleMs, transfer.signal, what);
  try {
    return await fetchPartWatched(url, part, offset, maxBytes, what, watch, transfer);
  } catch (err) {
    // fetch reports an abort as an AbortError; name the deadline that fired instead.
    if (watch.signal.aborted && watch.signal.reason instanceof Error) throw watch.signal.reason;
    throw err;
  } finally {
    watch.stop();
  }
}

/** How one request is made: the download's signal, its idle deadline, progress and fetch. */
interface Transfer {
  signal: AbortSignal;
  idleMs: number;
  onProgress?: (bytes: number, total: number | null) => void;
  fetch?: Fetch;
}

async function fetchPartWatched(
  url: string,
  part: string,
  offset: number,
  maxBytes: number,
  what: string,
  watch: IdleWatch,
  { onProgress, fetch: fetchFn = fetch }: Transfer,
): Promise<boolean> {
  const headers: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
  const res = await fetchFn(url, { headers, signal: watch.signal });
  watch.touch();
  if (res.status === 416 && offset > 0) {
    // Nothing left to send from `offset`: complete if the server's size is ours, else start over.
    await res.body?.cancel();
    const total = /\/(\d+)$/.exec(res.headers.get('content-range') ?? '')?.[1];
    if (total !== undefined && Number(total) === offset) return true;
    await rm(part, { force: true });
    return false;
  }
  if (res.status !== 200 && res.status !== 206) {
    await res.body?.cancel();
    const message = `${what} download refused: HTTP ${res.status}`;
    if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429)
      throw new DownloadError(message);
    throw new Error(message);
  }
  const append = res.status === 206;
  let expected: number | null;
  if (append) {
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
    if (!m || Number(m[1]) !== offset) {
      await res.body?.cancel();
      await rm(part, { force: true });
      throw new Error('server answered a different range than asked; restarting the download');
    }
    expected = m[3] === '*' ? null : Number(m[3]);
  } else {
    const length = res.headers.get('content-length');
    expected = length === null ? null : Number(length);
  }
  if (expected !== null && expected > maxBytes) {
    await res.body?.cancel();
    throw new DownloadError(`${what} is ${expected} bytes, over the ${maxBytes}-byte limit`);
  }
  if (!res.body) throw new Error('empty response body');
  let written = append ? offset : 0;
  const file = createWriteStream(part, { flags: append ? 'a' : 'w' });
  // Not stream.pipeline: on a broken transfer it would destroy the file stream and lose the bytes
  // already received but not yet written, which the resume would then fetch again.
  try {
    for await (const chunk of Readable.fromWeb(res.body as WebReadableStream<Uint8Array>)) {
      watch.touch();
      written += chunk.length;
      if (written > maxBytes) throw new DownloadError(`${what} is over the ${maxBytes}-byte limit`);
      if (!file.write(chunk)) await once(file, 'drain');
      onProgress?.(written, expected);
    }
  } finally {
    await new Promise<void>((resolve, reject) =>
      file.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
  }
  if (expected !== null && written !== expected)
    throw new Error(`short body: ${written} of ${expected} bytes`);
  return true;
}
