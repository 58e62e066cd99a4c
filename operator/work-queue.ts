import { exponentialDelay } from '../lib/net/backoff.js';

/** What a handler returns: nothing (done), or a time after which the key should be looked at again. */
export interface HandlerResult {
  requeueAfterMs?: number;
}

export interface WorkQueueOptions {
  /** Keys handled at the same time (each key is still handled by one worker at a time). */
  concurrency?: number;
  /** First retry delay after an error; doubles per consecutive failure of the key. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Overall token bucket on error retries (as controller-runtime's default rate limiter). */
  qps?: number;
  burst?: number;
  onError?: (key: string, err: unknown, attempt: number) => void;
  onHandled?: (key: string, ms: number, ok: boolean) => void;
  /** When it aborts, the queue stops at once as shutdown() does (handlers in flight get it from their owner). */
  signal?: AbortSignal;
}

/**
 * A controller-runtime style work queue: keys are deduplicated while waiting, a key being handled is
 * never handled concurrently (a new add marks it dirty and it runs again afterwards), errors requeue
 * with per-key exponential backoff behind a global token bucket, and `addAfter` implements
 * `requeueAfter` with one timer per key (the earliest wins).
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly idleWaiters: Array<() => void> = [];
  private active = 0;
  private running = false;
  private tokens: number;
  private lastRefill = Date.now();
  private readonly signal: AbortSignal | undefined;
  private readonly opts: Required<Omit<WorkQueueOptions, 'onError' | 'onHandled' | 'signal'>> &
    Pick<WorkQueueOptions, 'onError' | 'onHandled'>;

  constructor(
    private readonly handler: (key: string) => Promise<HandlerResult | void>,
    options: WorkQueueOptions = {},
  ) {
    const { signal, ...rest } = options;
    this.opts = { concurrency: 4, baseDelayMs: 5, maxDelayMs: 300_000, qps: 10, burst: 100, ...rest };
    this.tokens = this.opts.burst;
    this.signal = signal;
    signal?.addEventListener('abort', () => this.stop(), { once: true });
  }

  /** Starts handing keys to the handler (not after its signal has aborted). */
  start(): void {
    if (this.signal?.aborted) return;
    this.running = true;
    this.pump();
  }

  /** Stops taking new keys, cancels timers and waits for handlers in flight. */
  async shutdown(): Promise<void> {
    this.stop();
    if (this.active > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  private stop(): void {
    this.running = false;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    this.queue.length = 0;
    this.queued.clear();
  }

  /** Adds a key now (no-op when it is already waiting, or once the queue's signal has aborted). */
  add(key: string): void {
    if (this.signal?.aborted) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.pump();
  }

  /** Adds a key after a delay; an earlier pending timer for the key is kept. */
  addAfter(key: string, ms: number): void {
    if (this.signal?.aborted) return;
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref?.();
    this.timers.set(key, { at, timer });
  }

  /** Adds a key after its backoff delay (errors). */
  addRateLimited(key: string): number {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    const perKey = exponentialDelay(this.opts.baseDelayMs, this.opts.maxDelayMs, n - 1);
    const delay = Math.max(perKey, this.bucketDelay());
    this.addAfter(key, delay);
    return delay;
  }

  /** Clears the failure count of a key (after a success). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Keys waiting plus keys being handled. */
  size(): number {
    return this.queue.length + this.active;
  }

  private bucketDelay(): number {
    const now = Date.now();
    this.tokens = Math.min(this.opts.burst, this.tokens + ((now - this.lastRefill) / 1000) * this.opts.qps);
    this.lastRefill = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.opts.qps) * 1000);
  }

  private pump(): void {
    while (this.running && this.active < this.opts.concurrency && this.queue.length > 0) {
      const key = this.queue.shift()!;
      this.queued.delete(key);
      this.processing.add(key);
      this.active++;
      void this.work(key);
    }
  }

  private async work(key: string): Promise<void> {
    const started = performance.now();
    let ok = true;
    try {
      const result = await this.handler(key);
      this.forget(key);
      if (result?.requeueAfterMs !== undefined && this.running) this.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      ok = false;
      if (this.running) {
        this.addRateLimited(key);
        this.opts.onError?.(key, err, this.failures.get(key) ?? 1);
      }
    } finally {
      this.opts.onHandled?.(key, performance.now() - started, ok);
      this.processing.delete(key);
      this.active--;
      if (this.dirty.delete(key) && this.running) this.add(key);
      if (this.active === 0) for (const w of this.idleWaiters.splice(0)) w();
      this.pump();
    }
  }
}
