import { AgentError } from './agent-error.js';

/** Per-task bounds of {@link InferenceQueue.run}. */
export interface RunOptions {
  /** Aborted when the client went away: a waiting task is dropped before it runs. */
  signal?: AbortSignal;
  /** Epoch ms by which the task must have answered, queue wait included. */
  deadline?: number;
}

/** Why a task left the queue without an answer, as counted in `/metrics`. */
export type DropReason = 'client-gone' | 'deadline';

interface Waiter {
  start: () => void;
}

/**
 * Bounded concurrency for inference: at most `concurrency` tasks run, at most `limit` wait, and
 * one more is refused at once with 429 so a burst degrades into fast refusals, not timeouts.
 * A waiting task whose client went away is dropped before it runs; a task past its deadline
 * answers 503 (a running one keeps its slot until it really ends, so the engine is never
 * oversubscribed).
 */
export class InferenceQueue {
  private running = 0;
  private readonly waiting: Waiter[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly limit: number,
    private readonly onDrop: (reason: DropReason) => void = () => {},
  ) {}

  /** Tasks running plus waiting. */
  get size(): number {
    return this.running + this.waiting.length;
  }

  /** Runs `task` when a slot frees; throws AgentError 429 `QUEUE_FULL` when the queue is full. */
  async run<T>(task: () => Promise<T>, options: RunOptions = {}): Promise<T> {
    const { signal, deadline } = options;
    if (signal?.aborted) throw this.drop('client-gone');
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.limit) {
        throw new AgentError(
          429,
          'QUEUE_FULL',
          `inference queue is full (${this.limit} waiting); retry later`,
        );
      }
      await this.wait(signal, deadline);
    } else {
      this.running += 1;
    }
    const work = task().finally(() => this.release());
    if (deadline === undefined) return work;
    // The slot is released when `work` settles, not when the caller gives up on it.
    work.catch(() => {});
    return withDeadline(work, deadline, () => this.drop('deadline'));
  }

  /** Waits for a slot; leaves the line when the client goes or the deadline passes. */
  private wait(signal: AbortSignal | undefined, deadline: number | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const leave = (err: Error) => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        cleanup();
        reject(err);
      };
      const onAbort = () => leave(this.drop('client-gone'));
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const waiter: Waiter = {
        start: () => {
          cleanup();
          resolve();
        },
      };
      this.waiting.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (deadline !== undefined)
        timer = setTimeout(() => leave(this.drop('deadline')), Math.max(0, deadline - Date.now()));
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    // The slot passes straight to the next waiter, so `running` stays counted.
    if (next) next.start();
    else this.running -= 1;
  }

  private drop(reason: DropReason): AgentError {
    this.onDrop(reason);
    return reason === 'deadline'
      ? new AgentError(503, 'DEADLINE_EXCEEDED', 'the inference did not finish within its deadline')
      : new AgentError(499, 'CLIENT_GONE', 'the client disconnected before the inference ran');
  }
}

/** `work`, or the error of `onLate()` once `deadline` (epoch ms) passes first. */
function withDeadline<T>(work: Promise<T>, deadline: number, onLate: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onLate()), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
