import { PHASE, type SingleTaskLearningJob } from '../lib/api/v1alpha1/index.js';
import type { RunningEdgeAgent } from '../edge-agent/server.js';
import type { TrainingQueue } from '../operator/ports/training-queue.js';
import type { Profile } from './profiles.js';
import type { ViewState } from './terminal-view.js';

/** What the terminal shows of a run now: the job's status, the round's training, the agents. */
export async function viewState(input: {
  job: SingleTaskLearningJob | null;
  ref: { namespace: string; name: string };
  agents: RunningEdgeAgent[];
  queue: TrainingQueue;
  profile: Profile;
  started: number;
}): Promise<ViewState> {
  const { job, ref, profile } = input;
  const status = job?.status;
  const reports = input.agents.map((a) => ({ node: a.config.node, report: a.agent.report().jobs[0] }));
  return {
    job: `${ref.namespace}/${ref.name}`,
    phase: status?.phase ?? PHASE.Pending,
    round: status?.round ?? 0,
    maxRounds: job?.spec.runPolicy?.maxRounds ?? profile.maxRounds,
    currentModel: status?.currentModel?.version
      ? { version: status.currentModel.version, f1: status.currentModel.metrics?.f1_score ?? null }
      : null,
    training: await trainingState(job, input.queue),
    samples: {
      kept: reports.reduce(
        (n, r) => n + (r.report ? r.report.samplesQueued + r.report.samplesUploaded : 0),
        0,
      ),
      uploaded: status?.samples?.uploaded ?? 0,
      labeled: status?.samples?.labeled ?? 0,
    },
    agents: reports.map((r) => ({
      node: r.node,
      modelVersion: r.report?.activeModel ?? null,
      state: r.report?.modelState ?? 'NoJob',
      latencyMsP50: r.report?.latencyMsP50 ?? null,
      inferences: r.report?.inferences ?? 0,
    })),
    elapsedSeconds: (Date.now() - input.started) / 1000,
  };
}

/** The running round's progress as its trainer last reported it; null outside training. */
async function trainingState(
  job: SingleTaskLearningJob | null,
  queue: TrainingQueue,
): Promise<ViewState['training']> {
  const status = job?.status;
  if (status?.phase !== PHASE.Training || !status.training?.jobId) return null;
  const progress = await queue.getProgress(status.training.jobId);
  if (progress?.iteration === undefined) return null;
  return {
    iteration: progress.iteration,
    maxIteration: progress.maxIteration ?? 0,
    loss: progress.loss ?? 0,
    etaSeconds: progress.etaSeconds ?? 0,
    imagesPerSecond: progress.imagesPerSecond ?? 0,
  };
}
