import type { DesiredJob } from '../lib/protocol/index.js';
import { jobKey } from '../lib/protocol/index.js';

/**
 * Which of the operator's `drop`s the agent carries out. A drop uninstalls a model that is serving,
 * and one wrong reply (an operator whose job cache was briefly incomplete) must not do that: a
 * drop of a serving job takes effect only when the operator says it again at least `confirmMs`
 * after it first did, with every reply in between saying it too. A job without a serving model is
 * dropped at once (nothing to lose).
 */
export class DropConfirmation {
  /** Job id → when the current run of drops for it began. */
  private readonly firstSeen = new Map<string, number>();

  constructor(
    private readonly confirmMs: number,
    /** Monotonic ms: a clock step must not confirm a drop early. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * The reply's desired jobs without the drops to hold back for now; `serving(id)` tells whether
   * the agent serves a model of that job. A reply not asking to drop a job ends its run.
   */
  filter(jobs: readonly DesiredJob[], serving: (id: string) => boolean): DesiredJob[] {
    const now = this.now();
    const asked = new Set<string>();
    const kept = jobs.filter((d) => {
      if (!d.drop) return true;
      const id = jobKey(d.job);
      asked.add(id);
      if (!serving(id)) return true;
      const first = this.firstSeen.get(id);
      if (first === undefined) {
        this.firstSeen.set(id, now);
        return false;
      }
      if (now - first < this.confirmMs) return false;
      this.firstSeen.delete(id);
      return true;
    });
    for (const id of this.firstSeen.keys()) if (!asked.has(id)) this.firstSeen.delete(id);
    return kept;
  }
}
