import type { SingleTaskLearningJob } from '../../lib/api/v1alpha1/index.js';
import { applyProfile, PROFILES } from '../../local/profiles.js';
import { renderHtmlReport } from '../../local/report/html-report.js';
import type { RunSummary } from '../../local/report/run-summary.js';
import { renderView } from '../../local/terminal-view.js';

const summary: RunSummary = {
  job: { namespace: 'default', name: 'pcb-aoi' },
  profile: 'quick',
  startedAt: '2026-11-26T19:00:00Z',
  finishedAt: '2026-11-26T19:04:00Z',
  durationSeconds: 240,
  finalPhase: 'Completed',
  stopReason: null,
  rounds: [
    {
      round: 0,
      version: 'v0',
      state: 'Superseded',
      metrics: { f1_score: 0.61, mAP50: 0.5 },
      baselineMetrics: null,
      trainSeconds: 60,
      labeledSamples: 0,
    },
    {
      round: 1,
      version: 'v1',
      state: 'Rejected',
      metrics: { f1_score: 0.6, mAP50: 0.52 },
      baselineMetrics: { f1_score: 0.61 },
      trainSeconds: 50,
      labeledSamples: 12,
    },
    {
      round: 2,
      version: 'v2',
      state: 'Deployed',
      metrics: { f1_score: 0.8, mAP50: 0.7 },
      baselineMetrics: { f1_score: 0.61 },
      trainSeconds: 55,
      labeledSamples: 30,
    },
  ],
  finalModel: { version: 'v2', metrics: { f1_score: 0.8, mAP50: 0.7 } },
  samples: { kept: 40, uploaded: 40, labeled: 30 },
  agents: [{ node: 'edge-0', modelVersion: 'v2', inferences: 100, latencyMsP50: 210 }],
  timeline: [{ at: '2026-11-26T19:00:00Z', phase: 'Initializing', round: 0 }],
};

describe('report', () => {
  it('renders a self-contained page with one plot point per round and metric', () => {
    const html = renderHtmlReport(summary, [
      { name: 'a.jpeg', before: 'data:image/png;base64,AA==', after: 'data:image/png;base64,AA==' },
    ]);
    expect(html.match(/class="point" data-series="F1 \(Ianvs\)"/g)).toHaveLength(3);
    expect(html).toContain('<td>Rejected</td>');
    expect(html).not.toMatch(/<script|src="http/);
    expect(html).toContain('id="final-f1">0.8000<');
  });

  it('escapes names that came from user YAML', () => {
    const html = renderHtmlReport({ ...summary, job: { namespace: 'ns', name: '<img onerror=x>' } }, []);
    expect(html).not.toContain('<img onerror');
  });

  it('shows training progress and each agent in the terminal view', () => {
    const lines = renderView({
      job: 'default/pcb-aoi',
      phase: 'Training',
      round: 1,
      maxRounds: 2,
      currentModel: { version: 'v0', f1: 0.61 },
      training: { iteration: 50, maxIteration: 100, loss: 1.234, etaSeconds: 65, imagesPerSecond: 3.2 },
      samples: { kept: 5, uploaded: 4, labeled: 3 },
      agents: [{ node: 'edge-0', modelVersion: 'v0', state: 'Loaded', latencyMsP50: 180, inferences: 42 }],
      elapsedSeconds: 125,
    });
    expect(lines[0]).toContain('phase Training');
    expect(lines[1]).toContain('50/100');
    expect(lines[1]).toContain('ETA 1:05');
    expect(lines[3]).toContain('edge-0');
  });
});

describe('profiles', () => {
  const job = {
    apiVersion: 'edgestl.io/v1alpha1',
    kind: 'SingleTaskLearningJob',
    metadata: { name: 'j' },
    spec: {
      algorithm: { name: 'FPN', hyperparameters: { learning_rate: 0.01 } },
      dataset: { trainIndex: 's3://b/t/index.txt', testIndex: 's3://b/v/index.txt', classes: ['a'] },
      storage: { bucket: 'b', credentialsSecret: 's' },
      runPolicy: { maxRounds: 7 },
    },
  } as unknown as SingleTaskLearningJob;

  it('fills in what the YAML leaves open and keeps what it says', () => {
    const paced = applyProfile(job, { ...PROFILES.quick, trainMinutes: 1.5 });
    expect(paced.spec.algorithm?.hyperparameters).toEqual({
      preset: 'quick',
      time_budget_minutes: 1.5,
      learning_rate: 0.01,
    });
    expect(paced.spec.runPolicy?.maxRounds).toBe(7);
    expect(paced.spec.trigger?.minNewSamples).toBe(PROFILES.quick.minNewSamples);
    expect(applyProfile(job, PROFILES.tiny).spec.algorithm?.hyperparameters).toEqual({
      preset: 'tiny',
      learning_rate: 0.01,
    });
  });
});
