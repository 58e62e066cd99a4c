import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DesiredJob } from '../lib/protocol/index.js';
import { writeFileAtomic } from '../lib/fs/atomic-write.js';

/** A model version installed on disk (verified, unpacked, smoke-tested). */
export interface InstalledModel {
  version: string;
  sha256: string;
  /** Directory holding `model.zip` and the unpacked files. */
  dir: string;
}

/** What the agent remembers of a job across restarts. */
export interface PersistedJob {
  /** Last desired state the operator sent (null: none yet, e.g. standalone). */
  desired: DesiredJob | null;
  active: InstalledModel | null;
  /** The version before `active`, kept on disk for rollback. */
  previous: InstalledModel | null;
}

/** The agent's durable state: `<dataDir>/state.json`. */
export interface PersistedState {
  formatVersion: 1;
  heartbeatIntervalSeconds: number | null;
  /** Keyed by `<namespace>/<name>`. */
  jobs: Record<string, PersistedJob>;
}

const EMPTY: PersistedState = { formatVersion: 1, heartbeatIntervalSeconds: null, jobs: {} };

/**
 * Keeps the last desired state and the installed models on disk, written atomically, so that a
 * restart while the operator is unreachable serves and samples exactly as before.
 */
export class StateStore {
  private state: PersistedState = structuredClone(EMPTY);
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly path: string) {}

  static forDataDir(dataDir: string): StateStore {
    return new StateStore(join(dataDir, 'state.json'));
  }

  /** Reads the state file; a missing file is an empty state. A corrupt one throws. */
  async load(): Promise<PersistedState> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return this.state;
      throw err;
    }
    const parsed = JSON.parse(text) as PersistedState;
    if (parsed.formatVersion !== 1 || typeof parsed.jobs !== 'object') {
      throw new Error(`unknown state format in ${this.path}`);
    }
    this.state = parsed;
    return this.state;
  }

  get current(): PersistedState {
    return this.state;
  }

  /** Applies `change` and writes the result; writes are serialized in call order. */
  update(change: (state: PersistedState) => void): Promise<void> {
    change(this.state);
    const snapshot = JSON.stringify(this.state, null, 2);
    this.writing = this.writing
      .catch(() => {})
      .then(() => writeFileAtomic(this.path, snapshot, { durable: true }));
    return this.writing;
  }

  /** The job's entry, created empty when missing (not written until the next update). */
  job(key: string): PersistedJob {
    this.state.jobs[key] ??= { desired: null, active: null, previous: null };
    return this.state.jobs[key];
  }
}
