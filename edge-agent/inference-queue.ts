import { AgentError } from './agent-error.js';

/**
 * Bounded concurrency for inference: at most `concurrency` tasks run, at most `limit` wait, and
 * one more is refused at once with 429 so a burst degrades into fast refusals, not timeouts.
 */
export class InferenceQueue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly concurrency: number,
    private readonly limit: number,
  ) {}

  /** Tasks running plus waiting. */
  get size(): number {
    return this.running + this.waiting.length;
  }

  /** Runs `task` when a slot frees; throws AgentError 429 `QUEUE_FULL` when the queue is full. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.limit) {
        throw new AgentError(
          429,
          'QUEUE_FULL',
          `inference queue is full (${this.limit} waiting); retry later`,
        );
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `running` stays counted.
      if (next) next();
      else this.running -= 1;
    }
  }
}
