import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SingleTaskLearningJob } from '../lib/api/v1alpha1/index.js';
import type { HeartbeatRequest } from '../lib/protocol/index.js';
import { parseS3Uri, type ObjectStore } from '../lib/storage/index.js';
import { buildGallery } from './report/gallery.js';
import { renderHtmlReport } from './report/html-report.js';
import type { PhaseTransition, RunSummary } from './report/run-summary.js';

export interface RunReportInput {
  job: SingleTaskLearningJob;
  profile: string;
  store: ObjectStore;
  timeline: PhaseTransition[];
  agents: HeartbeatRequest[];
  outDir: string;
  workDir: string;
  galleryImages: string[];
  startedAt: string;
  stopReason?: string | null;
}

/** The run's figures, from the job's status (the operator's record) and the agents' last reports. */
export function summarize(input: RunReportInput): RunSummary {
  const status = input.job.status ?? {};
  const finishedAt = new Date().toISOString();
  const rounds = [...(status.models ?? [])]
    .sort((a, b) => (a.round ?? 0) - (b.round ?? 0))
    .map((m) => ({
      round: m.round ?? Number(m.version.replace(/^v/, '')),
      version: m.version,
      state: m.state,
      metrics: m.metrics ?? {},
      baselineMetrics: m.baselineMetrics ?? null,
      trainSeconds: m.trainSeconds ?? null,
      labeledSamples: m.labeledSamples ?? null,
    }));
  const reports = input.agents.map((a) => ({ node: a.node, job: a.jobs[0] }));
  return {
    job: { namespace: input.job.metadata?.namespace ?? 'default', name: input.job.metadata?.name ?? '' },
    profile: input.profile,
    startedAt: input.startedAt,
    finishedAt,
    durationSeconds: (Date.parse(finishedAt) - Date.parse(input.startedAt)) / 1000,
    finalPhase: status.phase ?? 'Pending',
    stopReason: input.stopReason ?? null,
    rounds,
    finalModel: status.currentModel?.version
      ? { version: status.currentModel.version, metrics: status.currentModel.metrics ?? {} }
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

async function fetchModel(store: ObjectStore, uri: string, file: string): Promise<string> {
  const { bucket, key } = parseS3Uri(uri);
  await store.getFile(bucket, key, file);
  return file;
}

/** Writes `out/summary.json` and the self-contained `out/report.html`. */
export async function writeRunReport(
  input: RunReportInput,
): Promise<{ reportPath: string; summaryPath: string }> {
  await mkdir(input.outDir, { recursive: true });
  await mkdir(input.workDir, { recursive: true });
  const summary = summarize(input);
  const models = (input.job.status?.models ?? [])
    .filter((m) => m.uri)
    .sort((a, b) => (a.round ?? 0) - (b.round ?? 0));
  const first = models[0];
  const final = models.find((m) => m.version === summary.finalModel?.version) ?? models[models.length - 1];
  let gallery: Awaited<ReturnType<typeof buildGallery>> = [];
  if (first?.uri && final?.uri && input.galleryImages.length > 0) {
    const firstZip = await fetchModel(input.store, first.uri, join(input.workDir, `${first.version}.zip`));
    const finalZip = await fetchModel(input.store, final.uri, join(input.workDir, `${final.version}.zip`));
    gallery = await buildGallery(firstZip, finalZip, input.galleryImages, join(input.workDir, 'gallery'));
  }
  const summaryPath = join(input.outDir, 'summary.json');
  const reportPath = join(input.outDir, 'report.html');
  await writeFile(summaryPath, JSON.stringify(summary, null, 2));
  await writeFile(reportPath, renderHtmlReport(summary, gallery));
  return { reportPath, summaryPath };
}
