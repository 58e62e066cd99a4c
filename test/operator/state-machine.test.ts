import { withDefaults } from '../../lib/api/v1alpha1/index.js';
import type { AgentJobReport } from '../../lib/protocol/heartbeat.js';
import { evaluateModel } from '../../operator/state-machine/evaluation.js';
import { recordModel } from '../../operator/state-machine/model-history.js';
import {
  advanceRollout,
  desiredVersionFor,
  startRollout,
  type NodeView,
} from '../../operator/state-machine/rollout.js';
import { evaluateTrigger } from '../../operator/state-machine/triggers.js';
import { inWindow, msUntilWindowOpens } from '../../operator/state-machine/window.js';

const at = (hhmm: string): Date => new Date(`2026-01-10T${hhmm}:00Z`);
const spec = withDefaults({
  dataset: { trainIndex: 's3://b/t', testIndex: 's3://b/s', classes: ['a'] },
  storage: { bucket: 'b', credentialsSecret: 's' },
});

describe('daily window', () => {
  it('holds a plain window [start, end)', () => {
    const w = { start: '09:00', end: '17:00' };
    expect(inWindow(w, at('09:00'))).toBe(true);
    expect(inWindow(w, at('16:59'))).toBe(true);
    expect(inWindow(w, at('17:00'))).toBe(false);
    expect(msUntilWindowOpens(w, at('08:30'))).toBe(30 * 60_000);
  });
  it('wraps past midnight', () => {
    const w = { start: '22:00', end: '04:00' };
    expect(inWindow(w, at('23:30'))).toBe(true);
    expect(inWindow(w, at('01:00'))).toBe(true);
    expect(inWindow(w, at('04:00'))).toBe(false);
    expect(inWindow(w, at('12:00'))).toBe(false);
    expect(msUntilWindowOpens(w, at('12:00'))).toBe(10 * 3600_000);
    expect(inWindow(undefined, at('12:00'))).toBe(true);
  });
});

describe('triggers', () => {
  const trigger = { minNewSamples: 5, checkPeriodSeconds: 60, window: { start: '22:00', end: '04:00' } };
  it('counts only samples labeled since the last round', () => {
    expect(evaluateTrigger(trigger, 12, 8, at('23:00'))).toMatchObject({
      fire: false,
      reason: 'TriggerNotMet',
      requeueAfterMs: 60_000,
    });
    expect(evaluateTrigger(trigger, 13, 8, at('23:00'))).toMatchObject({ fire: true });
  });
  it('waits for the window, re-checking at the period or when it opens', () => {
    expect(evaluateTrigger(trigger, 20, 0, at('12:00'))).toMatchObject({
      fire: false,
      reason: 'OutsideWindow',
      requeueAfterMs: 60_000,
    });
    expect(evaluateTrigger(trigger, 20, 0, at('21:59'))).toMatchObject({
      fire: false,
      requeueAfterMs: 60_000,
    });
    expect(evaluateTrigger({ ...trigger, checkPeriodSeconds: 3600 }, 20, 0, at('21:30'))).toMatchObject({
      requeueAfterMs: 30 * 60_000,
    });
  });
});

describe('evaluation (Ianvs operator + minImprovement)', () => {
  it('deploys only at baseline + minImprovement', () => {
    expect(evaluateModel(spec.evaluation, { f1_score: 0.61 }, 0.6).accept).toBe(true);
    expect(evaluateModel(spec.evaluation, { f1_score: 0.605 }, 0.6).accept).toBe(false);
    expect(evaluateModel({ ...spec.evaluation, operator: '>' }, { f1_score: 0.61 }, 0.6).accept).toBe(false);
    expect(evaluateModel(spec.evaluation, { f1_score: 0.1 }, null).accept).toBe(true);
    expect(evaluateModel(spec.evaluation, { f1_score: 0.605 }, 0.6).message).toBe(
      'f1_score=0.605 not >= 0.6 + 0.01',
    );
  });
  it('treats a negative minImprovement as a tolerance; -1 deploys every round', () => {
    const tolerant = { ...spec.evaluation, minImprovement: -0.05 };
    expect(evaluateModel(tolerant, { f1_score: 0.56 }, 0.6)).toMatchObject({
      accept: true,
      message: 'f1_score=0.56 >= 0.6 - 0.05',
    });
    expect(evaluateModel(tolerant, { f1_score: 0.54 }, 0.6).accept).toBe(false);
    expect(evaluateModel({ ...spec.evaluation, minImprovement: -1 }, { f1_score: 0 }, 1).accept).toBe(true);
    expect(evaluateModel(spec.evaluation, { mAP: 0.9 }, 0.1)).toMatchObject({
      accept: false,
      message: 'the result has no f1_score',
    });
  });
  it('keeps a bounded model history', () => {
    let h = recordModel(undefined, { version: 'v0', state: 'Deployed' });
    for (let i = 1; i < 70; i++) h = recordModel(h, { version: `v${i}`, state: 'Rejected' });
    expect(h).toHaveLength(50);
    expect(h[49].version).toBe('v69');
  });
});

function node(
  name: string,
  report: Partial<AgentJobReport> | null,
  stale = false,
  extra: Partial<NodeView> = {},
): NodeView {
  const base: AgentJobReport = {
    job: { namespace: 'd', name: 'j' },
    activeModel: 'v1',
    targetModel: null,
    modelState: 'Loaded',
    samplesQueued: 0,
    samplesUploaded: 0,
    samplesDropped: 0,
    inferences: 0,
    inferenceErrors: 0,
  };
  return {
    name,
    stale,
    lastSeen: at('10:00'),
    ...(report ? { report: { ...base, ...report } } : {}),
    ...extra,
  };
}

describe('rollout', () => {
  const canary = { ...spec.rollout, strategy: 'canary' as const, canaryNodes: 1, soakSeconds: 10 };
  const nodes = [node('b', { activeModel: 'v1' }), node('a', { activeModel: 'v1' }), node('z', null, true)];

  it('canaries on the first online nodes by name; a first model goes everywhere', () => {
    const step = startRollout(canary, nodes, 'v2', 'v1', at('10:00'));
    expect(step.rollout).toMatchObject({ phase: 'Canary', canaryNodes: ['a'], previousVersion: 'v1' });
    const status = { currentModel: { version: 'v1', uri: 'u', sha256: 's' }, rollout: step.rollout };
    expect(desiredVersionFor(status, 'a')).toBe('v2');
    expect(desiredVersionFor(status, 'b')).toBe('v1');
    expect(startRollout(canary, nodes, 'v0', null, at('10:00')).rollout.phase).toBe('Promoted');
  });

  it('soaks for soakSeconds of healthy canaries, then promotes, then completes', () => {
    const r = startRollout(canary, nodes, 'v2', 'v1', at('10:00')).rollout;
    const loaded = [node('a', { activeModel: 'v2' }), node('b', { activeModel: 'v1' })];
    const s1 = advanceRollout(canary, r, loaded, at('10:01'));
    expect(s1.rollout.healthySince).toBe(at('10:01').toISOString());
    expect(s1.outcome).toBe('progressing');
    const s2 = advanceRollout(canary, s1.rollout, loaded, new Date(at('10:01').getTime() + 10_000));
    expect(s2.rollout.phase).toBe('Promoted');
    expect(s2.events[0].reason).toBe('RolloutPromoted');
    const s3 = advanceRollout(
      canary,
      s2.rollout,
      [node('a', { activeModel: 'v2' }), node('b', { activeModel: 'v2' }), node('z', null, true)],
      at('10:03'),
    );
    expect(s3.outcome).toBe('completed');
  });

  it('rolls back when a canary fails to load or its errors rise (autoRollback), else waits', () => {
    const r = startRollout(canary, nodes, 'v2', 'v1', at('10:00')).rollout;
    const failed = advanceRollout(
      canary,
      r,
      [node('a', { activeModel: 'v1', targetModel: 'v2', modelState: 'FailedToLoad', reason: 'bad zip' })],
      at('10:01'),
    );
    expect(failed).toMatchObject({ outcome: 'rolledBack', rollout: { phase: 'RolledBack' } });
    expect(failed.events[0]).toMatchObject({ type: 'Warning', reason: 'RolledBack' });
    expect(failed.events[0].message).toMatch(/bad zip/);
    const erroring = advanceRollout(
      canary,
      r,
      [node('a', { activeModel: 'v2' }, false, { errorsSinceTarget: 30, inferencesSinceTarget: 100 })],
      at('10:01'),
    );
    expect(erroring.outcome).toBe('rolledBack');
    const manual = advanceRollout(
      { ...canary, autoRollback: false },
      r,
      [node('a', { activeModel: 'v1', targetModel: 'v2', modelState: 'FailedToLoad' })],
      at('10:01'),
    );
    expect(manual).toMatchObject({ outcome: 'progressing', events: [{ reason: 'CanaryFailed' }] });
  });

  it('counts only live evidence: a report from before the rollout began, or a missing canary, does not serve', () => {
    const all = { ...spec.rollout, strategy: 'all' as const };
    const r = startRollout(all, nodes, 'v2', 'v1', at('10:00')).rollout;
    const before = new Date(at('10:00').getTime() - 1);
    const old = advanceRollout(
      all,
      r,
      [node('a', { activeModel: 'v2' }, false, { lastSeen: before })],
      at('10:01'),
    );
    expect(old).toMatchObject({ outcome: 'progressing', rollout: { phase: 'Promoted' } });
    const live = advanceRollout(all, r, [node('a', { activeModel: 'v2' })], at('10:01'));
    expect(live.outcome).toBe('completed');
    expect(live.events[0].message).toBe('Model v2 serving on 1 node(s)');
    // A node known (from status) but silent since the rollout began is waited for.
    const silent = advanceRollout(all, r, [node('a', { activeModel: 'v2' }), node('b', null)], at('10:01'));
    expect(silent.rollout.message).toBe('waiting for 1 node(s)');
    const twoCanaries = { ...canary, canaryNodes: 2, soakSeconds: 0 };
    const c = startRollout(twoCanaries, nodes, 'v2', 'v1', at('10:00')).rollout;
    expect(c.canaryNodes).toEqual(['a', 'b']);
    const oneSpoke = advanceRollout(twoCanaries, c, [node('a', { activeModel: 'v2' })], at('10:01'));
    expect(oneSpoke.rollout.phase).toBe('Canary');
  });
});
