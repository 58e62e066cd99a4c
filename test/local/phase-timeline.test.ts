import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { PHASE, type SingleTaskLearningJob } from '../../lib/api/v1alpha1/index.js';
import { createLogger } from '../../lib/log.js';
import { PhaseTimeline } from '../../local/phase-timeline.js';
import { LocalJobStore } from '../../operator/adapters/local-job-store.js';

const dirs: string[] = [];
const tempDir = async (): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), 'phase-timeline-'));
  dirs.push(dir);
  return dir;
};
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('the local run timeline', () => {
  it('hears every status write, however soon the next one follows (a 1 s poll would miss one)', async () => {
    const dir = await tempDir();
    await copyFile(join(import.meta.dirname, '../../examples/pcb-aoi/job.yaml'), join(dir, 'job.yaml'));
    const store = new LocalJobStore({ dir, log: createLogger('test', { level: 'silent' }), pollMs: 60_000 });
    await store.watchKeys(() => undefined);
    try {
      const job = (await store.get({ namespace: 'default', name: 'pcb-aoi' }))!;
      const heard: string[] = [];
      const stop = store.onStatusWritten((written: SingleTaskLearningJob) =>
        heard.push(written.status!.phase!),
      );
      await store.patchStatus(job, { ...job.status, phase: PHASE.Serving, round: 0 });
      await store.patchStatus(job, { ...job.status, phase: PHASE.Training, round: 1 });
      stop();
      await store.patchStatus(job, { ...job.status, phase: PHASE.Completed, round: 1 });
      expect(heard).toEqual([PHASE.Serving, PHASE.Training]);
    } finally {
      await store.stop();
    }
  });

  it('keeps records that arrive together in order, in a file that stays whole', async () => {
    const dir = await tempDir();
    const timeline = await PhaseTimeline.load(dir);
    await Promise.all([
      timeline.record(PHASE.Training, 0),
      timeline.record(PHASE.Serving, 0),
      timeline.record(PHASE.Serving, 0),
      timeline.record(PHASE.Training, 1),
    ]);
    const phases = [PHASE.Training, PHASE.Serving, PHASE.Training];
    expect(timeline.transitions.map((t) => t.phase)).toEqual(phases);
    const saved = JSON.parse(await readFile(join(dir, 'timeline.json'), 'utf8')) as Array<{ phase: string }>;
    expect(saved.map((t) => t.phase)).toEqual(phases);
    expect((await PhaseTimeline.load(dir)).transitions).toEqual(timeline.transitions);
  });
});
