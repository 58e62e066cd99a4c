import type { SingleTaskLearningJob } from '../../lib/api/v1alpha1/index.js';
import { applyProfile, PROFILES } from '../../local/profiles.js';
import { renderHtmlReport } from '../../local/report/html-report.js';
import type { RunSummary } from '../../local/report/run-summary.js';
import { renderView } from '../../local/terminal-view.js';

const summary: RunSummary = {
  job: { namespace: 'default', name: 'pcb-aoi' },
  profile: 'quick',
  data: {
    description: 'synthetic PCB-AoI',
    testIndex: '/s/line2/test_data/index.txt',
    referenceTestIndex: '/s/line1/test_data/index.txt',
    streamImages: 300,
  },
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
      deployed: true,
      f1: 0.41,
      mAP50: 0.3,
      f1Reference: 0.95,
      mAP50Reference: 0.97,
      baselineF1: null,
      trainSeconds: 60,
      samplesUsed: 0,
    },
    {
      round: 1,
      version: 'v1',
      state: 'Rejected',
      deployed: false,
      f1: 0.4,
      mAP50: 0.32,
      f1Reference: 0.94,
      mAP50Reference: 0.96,
      baselineF1: 0.41,
      trainSeconds: 50,
      samplesUsed: 12,
    },
    {
      round: 2,
      version: 'v2',
      state: 'Deployed',
      deployed: true,
      f1: 0.8,
      mAP50: 0.7,
      f1Reference: 0.93,
      mAP50Reference: 0.95,
      baselineF1: 0.41,
      trainSeconds: 55,
      samplesUsed: 30,
    },
  ],
  finalModel: { version: 'v2', f1: 0.8, mAP50: 0.7, f1Reference: 0.93 },
  samples: { kept: 40, uploaded: 40, labeled: 30 },
  agents: [{ node: 'edge-0', modelVersion: 'v2', inferences: 100, latencyMsP50: 210 }],
  timeline: [{ at: '2026-11-26T19:00:00Z', phase: 'Initializing', round: 0 }],
};

describe('report', () => {
  it('renders a self-contained page with one plot point per round and metric, on both lines', () => {
    const html = renderHtmlReport(summary, [
      {
        name: 'a.jpeg',
        before: 'data:image/png;base64,AA==',
        after: 'data:image/png;base64,AA==',
        crops: [
          { label: 'Bad_podu', before: 'data:image/png;base64,AB==', after: 'data:image/png;base64,AC==' },
        ],
      },
    ]);
    expect(html.match(/class="point" data-series="F1 \(Ianvs\), new line"/g)).toHaveLength(3);
    expect(html.match(/class="point" data-series="F1 \(Ianvs\), first line"/g)).toHaveLength(3);
    expect(html).toContain('<td>Rejected</td>');
    expect(html).not.toMatch(/<script|src="http/);
    expect(html).toContain('id="final-f1">0.4100 → 0.8000<');
    expect(html).toContain('<td>0.9300</td>');
    // The enlarged crops of the defect, before and after.
    expect(html).toContain('alt="Bad_podu v0" src="data:image/png;base64,AB=="');
    expect(html).toContain('alt="Bad_podu v2" src="data:image/png;base64,AC=="');
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
