/** Leader election port: only the leader reconciles and serves the coordination API. */
export interface LeaderElector {
  /** Starts campaigning; the callbacks fire on every gain and loss of leadership. */
  run(callbacks: { onStartedLeading: () => void; onStoppedLeading: () => void }): Promise<void>;
  isLeader(): boolean;
  /** Stops campaigning and releases the lease if held (unless `release` is false: a simulated crash). */
  stop(options?: { release?: boolean }): Promise<void>;
}

/** For a single process (local mode): always the leader. */
export class AlwaysLeader implements LeaderElector {
  private leading = false;
  private stopped: (() => void) | null = null;

  async run(callbacks: { onStartedLeading: () => void; onStoppedLeading: () => void }): Promise<void> {
    this.leading = true;
    this.stopped = callbacks.onStoppedLeading;
    callbacks.onStartedLeading();
  }

  isLeader(): boolean {
    return this.leading;
  }

  async stop(): Promise<void> {
    if (this.leading) {
      this.leading = false;
      this.stopped?.();
    }
  }
}
