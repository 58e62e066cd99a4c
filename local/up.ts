import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PHASE, type SingleTaskLearningJob } from '../lib/api/v1alpha1/index.js';
import type { Logger } from '../lib/log.js';
import { sleep } from '../lib/sleep.js';
import { startCameraLine } from './camera-line.js';
import { CloseStack } from './close-stack.js';
import { LOCAL_HEARTBEAT_SECONDS, startLocalStack, type LocalStack } from './local-stack.js';
import { PhaseTimeline } from './phase-timeline.js';
import type { Profile } from './profiles.js';
import type { RunData } from './run-data.js';
import { writeRunReport } from './run-report.js';
import type { TerminalView } from './terminal-view.js';
import { watchRun, type WatchOutcome } from './watch-run.js';

export interface UpOptions {
  jobFile: string;
  /** Redis data, S3 data, job files, agents' disks, trainer cache: a rerun resumes from here. */
  stateDir: string;
  outDir: string;
  profile: Profile;
  /** The run's data (see resolveRunData): seeded into the bucket at the job's URIs when missing. */
  data: RunData;
  labelMode: 'auto' | 'manual';
  agents: number;
  log: Logger;
  signal: AbortSignal;
  view?: TerminalView;
  /** BullMQ key prefix; a run owns its queue (default `edge-stl-local`). */
  queuePrefix?: string;
  /** Called once everything is up (tests use it to kill a run mid-way). */
  onStarted?: (info: { labelingUrl: string; agentUrls: string[] }) => void;
}

export interface UpResult {
  phase: string;
  /** Why the run stopped before the job ended, when it did (the line ran dry). */
  stopReason: string | null;
  reportPath: string | null;
  summaryPath: string | null;
  labelingUrl: string;
}

/** Phases in which the (one-machine) cloud trains or evaluates: the simulated line pauses. */
const TRAINING_PHASES = new Set<string>([PHASE.Training, PHASE.Evaluating]);

/**
 * `edge-stl up`: the whole seven-step loop on one machine, through the same code as the cluster
 * mode (see startLocalStack), fed by simulated cameras. Returns when the job ends
 * (Completed/Failed), the line runs dry or the signal aborts.
 */
export async function runUp(options: UpOptions): Promise<UpResult> {
  const { log, signal } = options;
  await mkdir(options.stateDir, { recursive: true });
  const closers = new CloseStack(log);
  try {
    const stack = await startLocalStack(options, closers);
    options.onStarted?.({ labelingUrl: stack.labelingUrl, agentUrls: stack.agents.map((a) => a.url) });
    log.info({ services: stack.services.describe, labeling: stack.labeling.url }, 'Local mode started');

    let phase: string = PHASE.Pending;
    const images = options.data.streamImages;
    const cameras = startCameraLine({
      agentUrls: stack.agents.map((a) => a.url),
      images,
      rate: options.profile.cameraRate,
      paused: () => TRAINING_PHASES.has(phase),
      signal,
    });
    closers.push(() => cameras.stop());

    const timeline = await PhaseTimeline.load(options.stateDir);
    const started = new Date();
    const outcome = await watchRun({
      ...stack,
      labelMode: options.labelMode,
      profile: options.profile,
      timeline,
      imagesPerPass: images.length * stack.agents.length,
      streamImages: images.length,
      sent: () => cameras.sent(),
      onPhase: (now) => (phase = now),
      ...(options.view ? { view: options.view } : {}),
      started: started.getTime(),
      log,
      signal,
    });
    await cameras.stop();
    if (outcome.job) await agentsTakeModel(stack, outcome.job, signal);

    const report =
      outcome.job && !signal.aborted
        ? await reportRun(options, stack, { ...outcome, job: outcome.job }, timeline, started)
        : { reportPath: null, summaryPath: null };
    return {
      phase: outcome.job?.status?.phase ?? PHASE.Pending,
      stopReason: outcome.stopReason,
      ...report,
      labelingUrl: stack.labeling.url,
    };
  } finally {
    await closers.closeAll();
  }
}

/**
 * Waits, a few heartbeats at most, until every agent serves the job's current model, so the report
 * shows where the agents end: a rollout may complete on the nodes that reported (a node silent
 * after a restart is not waited for), and the others take the model at their next heartbeat.
 */
async function agentsTakeModel(
  stack: LocalStack,
  job: SingleTaskLearningJob,
  signal: AbortSignal,
): Promise<void> {
  const version = job.status?.currentModel?.version;
  if (!version) return;
  const deadline = Date.now() + 5 * LOCAL_HEARTBEAT_SECONDS * 1000;
  const serving = (): boolean => stack.agents.every((a) => a.agent.report().jobs[0]?.activeModel === version);
  while (!serving() && Date.now() < deadline && !signal.aborted) await sleep(250, signal);
}

/** Writes the run's report (HTML and summary.json) from the job as last seen. */
async function reportRun(
  options: UpOptions,
  stack: LocalStack,
  outcome: WatchOutcome & { job: SingleTaskLearningJob },
  timeline: PhaseTimeline,
  started: Date,
): Promise<{ reportPath: string; summaryPath: string }> {
  return writeRunReport({
    job: outcome.job,
    profile: options.profile.name,
    store: stack.services.store,
    timeline: timeline.transitions,
    agents: stack.agents.map((a) => a.agent.report()),
    outDir: options.outDir,
    workDir: join(options.stateDir, 'report'),
    data: options.data,
    galleryImages: options.profile.galleryImages,
    startedAt: timeline.startedAt(started),
    stopReason: outcome.stopReason,
  });
}
