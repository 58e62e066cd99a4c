import {
  CONDITION_TYPE,
  PHASE,
  TERMINAL_PHASES,
  type SingleTaskLearningJob,
} from '../lib/api/v1alpha1/index.js';
import type { LabelingService } from '../labeling/server.js';
import type { Logger } from '../lib/log.js';
import { sleep } from '../lib/sleep.js';
import type { RunningEdgeAgent } from '../edge-agent/server.js';
import type { LocalJobStore } from '../operator/adapters/local-job-store.js';
import { jobKey, refOf } from '../operator/ports/job-store.js';
import type { TrainingQueue } from '../operator/ports/training-queue.js';
import { LineWatch } from './line-watch.js';
import type { PhaseTimeline } from './phase-timeline.js';
import type { Profile } from './profiles.js';
import type { TerminalView } from './terminal-view.js';
import { viewState } from './view-state.js';

export interface WatchInput {
  ref: { namespace: string; name: string };
  jobs: LocalJobStore;
  queue: TrainingQueue;
  agents: RunningEdgeAgent[];
  labeling: LabelingService;
  labelMode: 'auto' | 'manual';
  profile: Profile;
  timeline: PhaseTimeline;
  /** Images the cameras send in one pass over their lists, all together. */
  imagesPerPass: number;
  /** The cameras' distinct images (for the dry-line message). */
  streamImages: number;
  /** Images the cameras have sent so far. */
  sent: () => number;
  /** Told the job's phase at every poll. */
  onPhase: (phase: string) => void;
  view?: TerminalView;
  started: number;
  log: Logger;
  signal: AbortSignal;
}

export interface WatchOutcome {
  /** The job as last seen; null when it never appeared. */
  job: SingleTaskLearningJob | null;
  /** Why the watch stopped before the job ended (the line ran dry); null otherwise. */
  stopReason: string | null;
}

/**
 * Polls the job every second: records its phase changes, updates the view, and stops when the job
 * ends (Completed/Failed), the line runs dry (see LineWatch) or the signal aborts.
 */
export async function watchRun(input: WatchInput): Promise<WatchOutcome> {
  const lineWatch = new LineWatch(input.imagesPerPass);
  // Every status write is recorded, so a phase shorter than the poll still shows in the timeline.
  const key = jobKey(input.ref);
  const stopRecording = input.jobs.onStatusWritten((written) => {
    if (jobKey(refOf(written)) !== key) return;
    input.timeline
      .record(written.status?.phase ?? PHASE.Pending, written.status?.round ?? 0)
      .catch((err: unknown) => input.log.warn({ err: (err as Error).message }, 'Cannot save the timeline'));
  });
  try {
    return await pollRun(input, lineWatch);
  } finally {
    stopRecording();
  }
}

async function pollRun(input: WatchInput, lineWatch: LineWatch): Promise<WatchOutcome> {
  let job: SingleTaskLearningJob | null = null;
  while (!input.signal.aborted) {
    job = await input.jobs.get(input.ref);
    const phase = job?.status?.phase ?? PHASE.Pending;
    input.onPhase(phase);
    await input.timeline.record(phase, job?.status?.round ?? 0);
    const view = await viewState({ ...input, job });
    input.view?.update(view);
    if ((TERMINAL_PHASES as readonly string[]).includes(phase)) break;
    const dry = lineWatch.observe({
      serving: phase === PHASE.Serving && input.labelMode === 'auto',
      sent: input.sent(),
      labeled: view.samples.labeled,
      labelPasses: input.labeling.autoPasses(),
      round: view.round,
      now: Date.now(),
    });
    if (dry) {
      const stopReason =
        `the cameras' ${input.streamImages} images yield no new hard examples (${triggerMessage(job)}); ` +
        'stream more images with --stream, or lower spec.trigger.minNewSamples or maxRounds';
      input.log.warn({ stopReason }, 'Line ran dry: stopping');
      return { job, stopReason };
    }
    await sleep(1000, input.signal);
  }
  return { job, stopReason: null };
}

/** The operator's word on the trigger, e.g. "9/15 new labeled samples". */
function triggerMessage(job: SingleTaskLearningJob | null): string {
  const ready = job?.status?.conditions?.find((c) => c.type === CONDITION_TYPE.Ready);
  return ready?.message ?? 'the trigger has not fired';
}
