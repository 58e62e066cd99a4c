import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PhaseTransition } from './report/run-summary.js';

/** The job's phase changes over the run, kept in the state dir so a resumed run continues it. */
export class PhaseTimeline {
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

  /** Records the phase and round the job is in now, when they differ from the last record. */
  async record(phase: string, round: number): Promise<void> {
    const last = this.transitions[this.transitions.length - 1];
    if (last && last.phase === phase && last.round === round) return;
    this.transitions.push({ at: new Date().toISOString(), phase, round });
    await writeFile(this.file, JSON.stringify(this.transitions, null, 1));
  }

  /** When the run began: its first record (a resumed run keeps its first start). */
  startedAt(fallback: Date): string {
    return this.transitions[0]?.at ?? fallback.toISOString();
  }
}
