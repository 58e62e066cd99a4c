import type { BaseModel } from '../lib/algorithm-api/index.js';
import type { ModelManifest } from '../lib/model-package/manifest.js';

/** A loaded model and what identifies it. */
export interface LoadedModel {
  version: string;
  sha256: string;
  manifest: ModelManifest;
  model: BaseModel;
  /** Directory holding this version on disk (its `model.zip` and unpacked files). */
  dir: string;
}

/** A borrowed reference: use `model`, then call `release()` exactly once. */
export interface ModelLease {
  readonly loaded: LoadedModel;
  release(): void;
}

interface Entry {
  loaded: LoadedModel;
  leases: number;
  retired: boolean;
  disposing: boolean;
  drained: Promise<void>;
  resolveDrained: () => void;
}

/**
 * The active model of one job, swapped atomically. A request leases the model serving at its
 * start and keeps it until it ends, so in-flight requests finish on the old model while new ones
 * get the new one; the old model is disposed once its last lease is released.
 */
export class ModelSlot {
  private current: Entry | null = null;

  constructor(private readonly onDisposeError: (err: unknown, loaded: LoadedModel) => void = () => {}) {}

  /** The model serving now, or null. */
  get active(): LoadedModel | null {
    return this.current?.loaded ?? null;
  }

  /** Leases the active model, or returns null when none is loaded. */
  acquire(): ModelLease | null {
    const entry = this.current;
    if (!entry) return null;
    entry.leases += 1;
    let released = false;
    return {
      loaded: entry.loaded,
      release: () => {
        if (released) return;
        released = true;
        entry.leases -= 1;
        this.maybeDispose(entry);
      },
    };
  }

  /**
   * Makes `next` the active model. Resolves with the previous model's drain: it settles when the
   * previous model has no lease left and has been disposed.
   */
  swap(next: LoadedModel | null): Promise<void> {
    const previous = this.current;
    this.current = next ? newEntry(next) : null;
    if (!previous) return Promise.resolve();
    previous.retired = true;
    this.maybeDispose(previous);
    return previous.drained;
  }

  /** Retires the active model (shutdown); resolves once it is drained and disposed. */
  clear(): Promise<void> {
    return this.swap(null);
  }

  private maybeDispose(entry: Entry): void {
    if (!entry.retired || entry.leases > 0 || entry.disposing) return;
    entry.disposing = true;
    entry.loaded.model
      .dispose()
      .catch((err: unknown) => this.onDisposeError(err, entry.loaded))
      .finally(entry.resolveDrained);
  }
}

function newEntry(loaded: LoadedModel): Entry {
  let resolveDrained!: () => void;
  const drained = new Promise<void>((r) => (resolveDrained = r));
  return { loaded, leases: 0, retired: false, disposing: false, drained, resolveDrained };
}
