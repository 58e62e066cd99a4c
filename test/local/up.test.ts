import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLogger } from '../../lib/log.js';
import { PROFILES } from '../../local/profiles.js';
import type { RunSummary } from '../../local/report/run-summary.js';
import { resolveRunData } from '../../local/run-data.js';
import type { TerminalView, ViewState } from '../../local/terminal-view.js';
import { runUp, type UpOptions } from '../../local/up.js';
import { ARTIFACTS_DIR, launchChromium } from '../support/browser.js';
import { uniqueBucket } from '../support/env.js';
import { writeSyntheticDataset } from '../../lib/builtin-algorithms/fpn/index.js';

/** The loop end to end on tiny generated data: two rounds, two agents, report and resume. */
describe('edge-stl up (tiny profile)', () => {
  let base: string;
  let datasetDir: string;
  let streamDir: string;
  const jobFiles: Record<string, string> = {};
  const runId = Date.now();

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'up-'));
    datasetDir = join(base, 'dataset');
    await writeSyntheticDataset(join(datasetDir, 'train_data'), { images: 16, seed: 1 });
    await writeSyntheticDataset(join(datasetDir, 'test_data'), { images: 8, seed: 2 });
    // The "new line": what the cameras stream, and its own held-out test split.
    streamDir = join(base, 'line2');
    await writeSyntheticDataset(join(streamDir, 'stream_data'), { images: 12, seed: 3 });
    await writeSyntheticDataset(join(streamDir, 'test_data'), { images: 8, seed: 4 });
    for (const name of ['run', 'dry']) {
      const bucket = uniqueBucket(`up-${name}`);
      // 'dry' asks for more new samples than 12 distinct stream images can ever give.
      const minNewSamples = name === 'dry' ? 40 : 4;
      jobFiles[name] = join(base, `${name}.yaml`);
      await writeFile(
        jobFiles[name],
        `apiVersion: edgestl.io/v1alpha1
kind: SingleTaskLearningJob
metadata: { name: tiny, namespace: default }
spec:
  algorithm: { name: FPN }
  dataset:
    trainIndex: s3://${bucket}/datasets/tiny/train_data/index.txt
    testIndex: s3://${bucket}/datasets/tiny/test_data/index.txt
    classes: [Bad_podu, Bad_qiaojiao]
    trainFraction: 0.5
  storage: { bucket: ${bucket}, credentialsSecret: s3 }
  edge:
    nodeSelector: { edgestl.io/line: tiny }
    sampling: { strategy: all, maxPerMinute: 0 }
  labeling: { mode: auto }
  trigger: { minNewSamples: ${minNewSamples}, checkPeriodSeconds: 1 }
  # Mechanics under test, not tiny-model accuracy: deploy every round.
  evaluation: { metric: f1_score, operator: '>=', minImprovement: -1 }
  rollout: { strategy: canary, canaryNodes: 1, soakSeconds: 2, autoRollback: true }
  runPolicy: { maxRounds: 1 }
`,
      );
    }
  });

  const options = async (name: string, signal: AbortSignal): Promise<UpOptions> => ({
    jobFile: jobFiles[name],
    stateDir: join(base, name, 'state'),
    outDir: join(base, name, 'out'),
    profile: PROFILES.tiny,
    data: await resolveRunData({
      stateDir: join(base, name, 'state'),
      dataset: datasetDir,
      stream: join(streamDir, 'stream_data', 'index.txt'),
      log: createLogger('up-test', { level: 'warn' }),
    }),
    labelMode: 'auto',
    agents: 2,
    log: createLogger('up-test', { level: process.env.LOG_LEVEL ?? 'warn' }),
    signal,
    queuePrefix: `up-test-${name}-${runId}`,
  });

  it('runs two rounds across a stop and a resume, ends both agents on the last version, writes the report', async () => {
    // Stop once round 0 has deployed a model and edge samples were uploaded: progress to keep.
    const first = new AbortController();
    let beforeStop: ViewState | undefined;
    const view = {
      update(state: ViewState) {
        if (first.signal.aborted || !state.currentModel || state.samples.uploaded === 0) return;
        beforeStop = state;
        first.abort();
      },
    } as unknown as TerminalView;
    await runUp({ ...(await options('run', first.signal)), view });
    expect(beforeStop).toBeDefined();
    expect(existsSync(join(base, 'run', 'state', 'jobs', 'tiny.yaml'))).toBe(true);
    expect(existsSync(join(base, 'run', 'out', 'summary.json'))).toBe(false);

    const result = await runUp(await options('run', new AbortController().signal));
    expect(result.phase).toBe('Completed');
    const summary = JSON.parse(await readFile(result.summaryPath!, 'utf8')) as RunSummary;
    expect(summary.rounds.map((r) => r.round)).toEqual([0, 1]);
    // What was recorded before the stop is still there: round 0's model, and the samples.
    expect(summary.rounds[0].version).toBe(beforeStop!.currentModel!.version);
    expect(summary.samples.uploaded).toBeGreaterThanOrEqual(beforeStop!.samples.uploaded);
    expect(summary.samples.labeled).toBeGreaterThanOrEqual(beforeStop!.samples.labeled);
    // Every round is scored on the new line's test (by the trainer) and on the first line's (by up).
    for (const r of summary.rounds) {
      expect(r.f1).toEqual(expect.any(Number));
      expect(r.f1Reference).toEqual(expect.any(Number));
      expect(r.mAP50Reference).toEqual(expect.any(Number));
    }
    expect(summary.rounds[1].samplesUsed).toBeGreaterThanOrEqual(4);
    expect(summary.data.testIndex).toBe(join(streamDir, 'test_data', 'index.txt'));
    for (const r of summary.rounds)
      expect(existsSync(join(base, 'run', 'out', 'models', `${r.version}.zip`))).toBe(true);
    expect(existsSync(join(base, 'run', 'out', 'model.zip'))).toBe(true);
    expect(summary.finalModel).not.toBeNull();
    expect(summary.agents).toHaveLength(2);
    for (const agent of summary.agents) expect(agent.modelVersion).toBe(summary.finalModel!.version);
    expect(summary.samples.labeled).toBeGreaterThanOrEqual(4);
    expect(summary.timeline.map((t) => t.phase)).toEqual(
      expect.arrayContaining(['Training', 'Serving', 'Completed']),
    );
    const html = await readFile(result.reportPath!, 'utf8');
    expect(html.match(/class="point" data-series="F1 \(Ianvs\), new line"/g)).toHaveLength(2);
    expect(html).toContain('data:image/png;base64,');

    // The report renders in a real browser: one plot point per round, images decoded, no fetches.
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(pathToFileURL(result.reportPath!).href);
      expect(await page.locator('svg.plot circle.point[data-series="F1 (Ianvs), new line"]').count()).toBe(2);
      expect(await page.locator('#versions tbody tr').count()).toBe(2);
      const decoded = await page.$$eval('figure img', (imgs) =>
        imgs.map((i) => (i as HTMLImageElement).naturalWidth),
      );
      expect(decoded.length).toBeGreaterThan(0);
      for (const width of decoded) expect(width).toBeGreaterThan(0);
      expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).toEqual([]);
      await page.screenshot({ path: join(ARTIFACTS_DIR, 'up-report.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  }, 600_000);

  it('stops with a reason and still reports when the cameras can no longer give new samples', async () => {
    const result = await runUp(await options('dry', new AbortController().signal));
    expect(result.phase).toBe('Serving');
    expect(result.stopReason).toMatch(/yield no new hard examples \(\d+\/40 new labeled samples\)/);
    const summary = JSON.parse(await readFile(result.summaryPath!, 'utf8')) as RunSummary;
    expect(summary.finalPhase).toBe('Serving');
    expect(summary.stopReason).toBe(result.stopReason);
    expect(summary.rounds.map((r) => r.round)).toEqual([0]);
    expect(summary.samples.labeled).toBeLessThan(40);
    expect(await readFile(result.reportPath!, 'utf8')).toContain('stopped because');
  }, 300_000);
});
