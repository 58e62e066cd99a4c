import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PhaseTransition } from './report/run-summary.js';

/** The job's phase changes over the run, kept in the state dir so a resumed run continues it. */
export class PhaseTimeline {
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    readonly transitions: PhaseTransition[],
  ) {}

  static async load(stateDir: string): Promise<PhaseTimeline> {
    const file = join(stateDir, 'timeline.json');
    const transitions = existsSync(file)
      ? (JSON.parse(await readFile(file, 'utf8')) as PhaseTransition[])
      : [];
    return new PhaseTimeline(file, transitions);
  }

  /**
   * Records the phase and round the job is in now, when they differ from the last record. Writes
   * are chained: records may come from a status listener and the poll at once.
   */
  record(phase: string, round: number): Promise<void> {
    const last = this.transitions[this.transitions.length - 1];
    if (last && last.phase === phase && last.round === round) return this.saving;
    this.transitions.push({ at: new Date().toISOString(), phase, round });
    const snapshot = JSON.stringify(this.transitions, null, 1);
    this.saving = this.saving.catch(() => undefined).then(() => writeFile(this.file, snapshot));
    return this.saving;
  }

  /** When the run began: its first record (a resumed run keeps its first start). */
  startedAt(fallback: Date): string {
    return this.transitions[0]?.at ?? fallback.toISOString();
  }
}
