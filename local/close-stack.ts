import type { Logger } from '../lib/log.js';

/** What a run has started, closed in reverse order; one close failing does not stop the others. */
export class CloseStack {
  private readonly closers: Array<() => Promise<void>> = [];

  constructor(private readonly log: Logger) {}

  push(close: () => Promise<void>): void {
    this.closers.push(close);
  }

  async closeAll(): Promise<void> {
    for (let close = this.closers.pop(); close; close = this.closers.pop())
      await close().catch((err: unknown) => this.log.warn({ err: String(err) }, 'Close failed'));
  }
}
