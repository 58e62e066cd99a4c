/**
 * Tells when the simulated line has run dry. Sample ids are image hashes, so cameras cycling a
 * fixed set of images yield each hard example once; once every hard one is labeled, the trigger
 * can never fire again and the run would serve forever. The line is dry when, while serving, the
 * cameras have sent every image `passes` times over at least `minQuietMs`, the labeled count
 * (distinct samples; the upload counters include repeats) has not moved, and the labeler has
 * finished `labelPasses` passes since (on a busy machine a pass can take longer than the quiet
 * time; what it has not looked at yet is not dry). Only for auto labeling: a person labels at their
 * own pace.
 */
export class LineWatch {
  private progressKey = '';
  private sentAtProgress = 0;
  private timeAtProgress = 0;
  private labelPassesAtProgress = 0;

  /** `imagesPerPass`: images all cameras together send in one pass over their lists. */
  constructor(
    private readonly imagesPerPass: number,
    private readonly passes = 3,
    private readonly minQuietMs = 30_000,
    private readonly labelPasses = 2,
  ) {}

  /**
   * `serving`: the job waits for samples (cameras run); `sent`: images sent by all cameras so far;
   * `labeled`: samples labeled so far; `labelPasses`: auto-labeling passes completed so far;
   * `now`: ms clock. True once dry.
   */
  observe(state: {
    serving: boolean;
    sent: number;
    labeled: number;
    labelPasses: number;
    round: number;
    now: number;
  }): boolean {
    const key = `${state.round}/${state.labeled}`;
    if (!state.serving || key !== this.progressKey) {
      this.progressKey = key;
      this.sentAtProgress = state.sent;
      this.timeAtProgress = state.now;
      this.labelPassesAtProgress = state.labelPasses;
      return false;
    }
    return (
      this.imagesPerPass > 0 &&
      state.sent - this.sentAtProgress >= this.imagesPerPass * this.passes &&
      state.now - this.timeAtProgress >= this.minQuietMs &&
      state.labelPasses - this.labelPassesAtProgress >= this.labelPasses
    );
  }
}
