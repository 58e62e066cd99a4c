/** What an elector calls back with; `leadership` aborts the moment this term of leadership ends. */
export interface LeadershipCallbacks {
  onStartedLeading: (leadership: AbortSignal) => void;
  onStoppedLeading: () => void;
}

/** Leader election port: only the leader reconciles and serves the coordination API. */
export interface LeaderElector {
  /**
   * Starts campaigning; the callbacks fire on every gain and loss of leadership. Each gain hands
   * out a fresh signal that is aborted when that leadership ends (lost, or stop()), before
   * onStoppedLeading runs: work started as leader passes it on so none of it outlives the term.
   */
  run(callbacks: LeadershipCallbacks): Promise<void>;
  isLeader(): boolean;
  /** Stops campaigning and releases the lease if held (unless `release` is false: a simulated crash). */
  stop(options?: { release?: boolean }): Promise<void>;
}

/** Why a leadership signal was aborted. */
export class LeadershipEndedError extends Error {
  override readonly name = 'LeadershipEndedError';
}

/** For a single process (local mode): always the leader. */
export class AlwaysLeader implements LeaderElector {
  private term: AbortController | null = null;
  private stopped: (() => void) | null = null;

  async run(callbacks: LeadershipCallbacks): Promise<void> {
    this.term = new AbortController();
    this.stopped = callbacks.onStoppedLeading;
    callbacks.onStartedLeading(this.term.signal);
  }

  isLeader(): boolean {
    return this.term !== null;
  }

  async stop(): Promise<void> {
    const term = this.term;
    if (!term) return;
    this.term = null;
    term.abort(new LeadershipEndedError('stopping'));
    this.stopped?.();
  }
}
