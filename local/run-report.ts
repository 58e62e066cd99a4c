import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelRecord, SingleTaskLearningJob } from '../lib/api/v1alpha1/index.js';
import { loadModel } from '../lib/builtin-algorithms/model-loader.js';
import { loadDataset } from '../lib/dataset/index.js';
import type { HeartbeatRequest } from '../lib/protocol/index.js';
import { parseS3Uri, type ObjectStore } from '../lib/storage/index.js';
import { buildGallery } from './report/gallery.js';
import { renderHtmlReport } from './report/html-report.js';
import type { PhaseTransition, RoundSummary, RunSummary } from './report/run-summary.js';
import type { RunData } from './run-data.js';

export interface RunReportInput {
  job: SingleTaskLearningJob;
  profile: string;
  store: ObjectStore;
  timeline: PhaseTransition[];
  agents: HeartbeatRequest[];
  outDir: string;
  workDir: string;
  data: RunData;
  /** Images of the evaluation set drawn before/after. */
  galleryImages: number;
  startedAt: string;
  stopReason?: string | null;
}

type ReferenceMetrics = Map<string, Record<string, number>>;

/** The run's figures, from the job's status (the operator's record), the agents' last reports and
 * the reference evaluation of each published model. */
export function summarize(input: RunReportInput, reference: ReferenceMetrics): RunSummary {
  const status = input.job.status ?? {};
  const finishedAt = new Date().toISOString();
  const rounds: RoundSummary[] = publishedModels(input.job).map((m) => ({
    round: roundOf(m),
    version: m.version,
    state: m.state,
    deployed: m.state !== 'Rejected',
    f1: m.metrics?.f1_score ?? null,
    mAP50: m.metrics?.mAP50 ?? null,
    f1Reference: reference.get(m.version)?.f1_score ?? null,
    mAP50Reference: reference.get(m.version)?.mAP50 ?? null,
    baselineF1: m.baselineMetrics?.f1_score ?? null,
    samplesUsed: m.labeledSamples ?? null,
    trainSeconds: m.trainSeconds ?? null,
  }));
  const final = status.currentModel?.version
    ? rounds.find((r) => r.version === status.currentModel!.version)
    : undefined;
  const reports = input.agents.map((a) => ({ node: a.node, job: a.jobs[0] }));
  return {
    job: { namespace: input.job.metadata?.namespace ?? 'default', name: input.job.metadata?.name ?? '' },
    profile: input.profile,
    data: {
      description: input.data.description,
      testIndex: input.data.testIndex,
      referenceTestIndex: input.data.referenceTestIndex,
      streamImages: input.data.streamImages.length,
    },
    startedAt: input.startedAt,
    finishedAt,
    durationSeconds: (Date.parse(finishedAt) - Date.parse(input.startedAt)) / 1000,
    finalPhase: status.phase ?? 'Pending',
    stopReason: input.stopReason ?? null,
    rounds,
    finalModel: final
      ? { version: final.version, f1: final.f1, mAP50: final.mAP50, f1Reference: final.f1Reference }
      : null,
    samples: {
      kept: reports.reduce((n, r) => n + (r.job ? r.job.samplesQueued + r.job.samplesUploaded : 0), 0),
      uploaded: status.samples?.uploaded ?? 0,
      labeled: status.samples?.labeled ?? 0,
    },
    agents: reports.map((r) => ({
      node: r.node,
      modelVersion: r.job?.activeModel ?? null,
      inferences: r.job?.inferences ?? 0,
      latencyMsP50: r.job?.latencyMsP50 ?? null,
    })),
    timeline: input.timeline,
  };
}

function roundOf(m: ModelRecord): number {
  return m.round ?? Number(m.version.replace(/^v/, ''));
}

function publishedModels(job: SingleTaskLearningJob): ModelRecord[] {
  return [...(job.status?.models ?? [])].filter((m) => m.uri).sort((a, b) => roundOf(a) - roundOf(b));
}

/** Copies every published model to `out/models/<version>.zip`; returns their paths by version. */
async function copyModels(input: RunReportInput): Promise<Map<string, string>> {
  const dir = join(input.outDir, 'models');
  await mkdir(dir, { recursive: true });
  const paths = new Map<string, string>();
  for (const m of publishedModels(input.job)) {
    const { bucket, key } = parseS3Uri(m.uri!);
    const file = join(dir, `${m.version}.zip`);
    await input.store.getFile(bucket, key, file);
    paths.set(m.version, file);
  }
  return paths;
}

/** Scores each model on the first line's test split (the trainer scored it on the new line's). */
async function evaluateReference(
  models: Map<string, string>,
  referenceIndex: string,
): Promise<ReferenceMetrics> {
  const dataset = await loadDataset(referenceIndex);
  const out: ReferenceMetrics = new Map();
  for (const [version, zip] of models) {
    const model = await loadModel(zip);
    try {
      out.set(version, await model.evaluate(dataset, undefined, { metric: 'f1_score' }));
    } finally {
      await model.dispose();
    }
  }
  return out;
}

/**
 * Writes `out/summary.json`, the self-contained `out/report.html`, every published model as
 * `out/models/v<N>.zip` and the model the agents serve at the end as `out/model.zip`.
 */
export async function writeRunReport(
  input: RunReportInput,
): Promise<{ reportPath: string; summaryPath: string }> {
  await mkdir(input.outDir, { recursive: true });
  await mkdir(input.workDir, { recursive: true });
  const models = await copyModels(input);
  const reference = await evaluateReference(models, input.data.referenceTestIndex);
  const summary = summarize(input, reference);
  const firstZip = models.get(summary.rounds[0]?.version ?? '');
  const finalZip = summary.finalModel ? models.get(summary.finalModel.version) : undefined;
  if (finalZip) await copyFile(finalZip, join(input.outDir, 'model.zip'));
  let gallery: Awaited<ReturnType<typeof buildGallery>> = [];
  if (firstZip && finalZip && input.galleryImages > 0) {
    const test = await loadDataset(input.data.testIndex);
    gallery = await buildGallery(
      firstZip,
      finalZip,
      test.samples.slice(0, input.galleryImages),
      join(input.workDir, 'gallery'),
    );
  }
  const summaryPath = join(input.outDir, 'summary.json');
  const reportPath = join(input.outDir, 'report.html');
  await writeFile(summaryPath, JSON.stringify(summary, null, 2));
  await writeFile(reportPath, renderHtmlReport(summary, gallery));
  return { reportPath, summaryPath };
}
