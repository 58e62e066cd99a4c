import type { Logger } from 'pino';
import { sleep } from '../lib/sleep.js';
import { Backoff } from '../lib/net/backoff.js';
import type { AgentMetrics } from './metrics.js';
import type { SampleRecord } from '../lib/protocol/index.js';
import type { Outbox } from './outbox.js';
import type { SampleTarget } from './sample-target.js';

export interface UploaderOptions {
  outbox: Outbox;
  /** Presigned URLs from the operator (edge), or an object store (standalone development). */
  target: SampleTarget;
  metrics: AgentMetrics;
  log: Logger;
  concurrency: number;
  /** Called after each sample is uploaded and removed from the outbox. */
  onUploaded?: (record: SampleRecord) => void;
  /** First retry delay, ms. */
  baseBackoffMs?: number;
  maxBackoffMs: number;
}

/**
 * Drains the outbox to `samples/<ns>/<job>/<node>/<id>.jpeg` + `.json` through its target. The image goes first and
 * the JSON last, so a reader that lists `.json` keys only sees complete samples. Keys are
 * deterministic, so a retry after a lost reply overwrites the same objects instead of duplicating
 * them. Failures back off exponentially with jitter; the sample stays in the outbox meanwhile.
 */
export class Uploader {
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[] = [];
  private readonly backoff: Backoff;
  private uploadedCount = 0;

  constructor(private readonly options: UploaderOptions) {
    this.backoff = new Backoff({ baseMs: options.baseBackoffMs ?? 200, maxMs: options.maxBackoffMs });
  }

  /** Samples uploaded since start. */
  get uploaded(): number {
    return this.uploadedCount;
  }

  start(): void {
    for (let i = 0; i < this.options.concurrency; i++) this.loops.push(this.loop());
  }

  /**
   * Stops after the uploads in progress end, or when `deadline` aborts, whichever is first: a
   * sample whose upload is abandoned stays in the outbox on disk and goes up after a restart.
   */
  async stop(deadline?: AbortSignal): Promise<void> {
    this.abort.abort();
    const loops = Promise.all(this.loops);
    if (!deadline) return void (await loops);
    const passed = new Promise<void>((resolve) => {
      if (deadline.aborted) resolve();
      deadline.addEventListener('abort', () => resolve(), { once: true });
    });
    await Promise.race([loops, passed]);
  }

  private async loop(): Promise<void> {
    const { outbox, log } = this.options;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      const sample = outbox.claim();
      if (!sample) {
        await outbox.waitForWork(signal);
        continue;
      }
      try {
        await this.options.target.put(sample, signal);
        await outbox.done(sample);
        this.uploadedCount += 1;
        this.options.metrics.samplesUploaded.inc();
        this.options.onUploaded?.(sample.record);
        this.backoff.reset();
      } catch (err) {
        outbox.release(sample);
        this.options.metrics.uploadFailures.inc();
        const delayMs = this.backoff.next();
        log.warn(
          { err, id: sample.record.id, delayMs, attempts: this.backoff.attempts },
          'Sample upload failed',
        );
        await sleep(delayMs, signal);
      } finally {
        this.options.metrics.samplesQueued.set(outbox.size);
      }
    }
  }
}
