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
}

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
  let lastError: unknown;
  for (let request = 1; request <= attempts; request++) {
    const offset = (await stat(part).catch(() => null))?.size ?? 0;
    try {
      const done = await fetchPart(url, part, offset, maxBytes, what, options);
      if (done) {
        await rename(part, dest);
        return { bytes: (await stat(dest)).size, requests: request };
      }
    } catch (err) {
      if (err instanceof DownloadError) throw err;
      lastError = err;
      options.log?.warn({ err, offset, request, what }, 'Download interrupted');
    }
    if (options.signal?.aborted) break;
    await sleep(backoff.next(), options.signal);
  }
  throw new DownloadError(`${what} download failed after ${attempts} attempts`, { cause: lastError });
}

/** One request; true when the file is complete. Throws DownloadError for what a retry cannot fix. */
async function fetchPart(
  url: string,
  part: string,
  offset: number,
  maxBytes: number,
  what: string,
  { signal, onProgress, fetch: fetchFn = fetch }: Pick<DownloadOptions, 'signal' | 'onProgress' | 'fetch'>,
): Promise<boolean> {
  const headers: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
  const res = await fetchFn(url, { headers, signal });
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
