import type { AgentJobReport, HeartbeatRequest } from '../../lib/protocol/heartbeat.js';
import { EdgeRegistry } from '../../operator/coordination/edge-registry.js';

const KEY = 'ns/job';
const report = (counters: Partial<AgentJobReport>): AgentJobReport => ({
  job: { namespace: 'ns', name: 'job' },
  activeModel: 'v0',
  targetModel: null,
  modelState: 'Loaded',
  samplesQueued: 0,
  samplesUploaded: 0,
  samplesDropped: 0,
  inferences: 0,
  inferenceErrors: 0,
  ...counters,
});
const beat = (node: string, counters: Partial<AgentJobReport> = {}): HeartbeatRequest => ({
  node,
  jobs: [report(counters)],
});
const uploaded = (r: EdgeRegistry, node: string, now: number): number | undefined =>
  r.selectedNodes(KEY, {}, now).find((n) => n.name === node)?.report?.samplesUploaded;

/** What a node may do to the operator's figures and memory through its heartbeats. */
describe('EdgeRegistry', () => {
  it('accepts counters only as increments, each at most the ceiling per heartbeat', () => {
    const r = new EdgeRegistry({ staleAfterMs: 30_000, maxCounterIncrement: 100 });
    r.record(beat('a', { samplesUploaded: 40 }), {}, 0);
    expect(uploaded(r, 'a', 0)).toBe(40);
    r.record(beat('a', { samplesUploaded: 999_999_999, samplesQueued: 999_999 }), {}, 1);
    expect(uploaded(r, 'a', 1)).toBe(140); // +100, not +999,999,959
    expect(r.selectedNodes(KEY, {}, 1)[0].report!.samplesQueued).toBe(100);
    r.record(beat('a', { samplesUploaded: 999_999_999 + 7 }), {}, 2);
    expect(uploaded(r, 'a', 2)).toBe(147);
    // A counter that went down is an agent restart, counting from zero again: never a negative step.
    r.record(beat('a', { samplesUploaded: 3 }), {}, 3);
    expect(uploaded(r, 'a', 3)).toBe(150);
  });

  it('forgets nodes silent past evictAfterMs, and reports the jobs they served', () => {
    const r = new EdgeRegistry({ staleAfterMs: 1_000, evictAfterMs: 10_000 });
    r.record(beat('a'), {}, 0);
    r.record(beat('b'), {}, 9_000);
    expect(r.evict(5_000)).toEqual([]);
    expect(r.staleNodes(5_000)).toEqual(['a']);
    expect(r.evict(10_001)).toEqual([KEY]);
    expect(r.size).toBe(1);
    expect(r.selectedNodes(KEY, {}, 10_001).map((n) => n.name)).toEqual(['b']);
    // A node that comes back is simply new again.
    r.record(beat('a'), {}, 11_000);
    expect(r.size).toBe(2);
  });

  it('matches selectors on own label keys only', () => {
    const r = new EdgeRegistry({ staleAfterMs: 1_000 });
    r.record(beat('a'), {}, 0);
    expect(r.selectedNodes(KEY, { constructor: 'x' }, 0)).toEqual([]);
    expect(r.selectedNodes(KEY, { toString: '[object Object]' }, 0)).toEqual([]);
  });

  it('restores the nodes a job status lists until they heartbeat: Online ones get staleAfterMs from now', () => {
    const r = new EdgeRegistry({ staleAfterMs: 1_000, evictAfterMs: 10_000 });
    const listed = (name: string, state: 'Online' | 'Stale', lastSeen: number) => ({
      name,
      state,
      lastSeen: new Date(lastSeen).toISOString(),
    });
    r.restore(KEY, [listed('a', 'Online', 0), listed('b', 'Stale', 0)], 5_000);
    const view = (now: number) =>
      r.selectedNodes(KEY, { any: 'selector' }, now).map((n) => [n.name, n.stale, n.report !== undefined]);
    expect(view(5_500)).toEqual([
      ['a', false, false],
      ['b', true, false],
    ]);
    expect(view(6_001)).toEqual([
      ['a', true, false],
      ['b', true, false],
    ]);
    // Restored once per job: a later status does not bring a node back.
    r.restore(KEY, [listed('c', 'Online', 6_000)], 6_000);
    expect(view(6_001).map(([name]) => name)).toEqual(['a', 'b']);
    // Once it heartbeats, the node's own record (labels, report) replaces the restored one.
    r.record(beat('a'), { any: 'selector' }, 6_100);
    expect(
      r.selectedNodes(KEY, { any: 'selector' }, 6_100).map((n) => [n.name, n.report?.activeModel]),
    ).toEqual([
      ['b', undefined],
      ['a', 'v0'],
    ]);
    expect(r.evict(20_000)).toEqual([KEY]);
    expect(r.selectedNodes(KEY, {}, 20_000)).toEqual([]);
  });

  it('finds the nodes a selector selects through label changes, offline relabels and evictions', () => {
    const r = new EdgeRegistry({ staleAfterMs: 1_000, evictAfterMs: 10_000 });
    const names = (selector: Record<string, string>, now: number): string[] =>
      r
        .selectedNodes(KEY, selector, now)
        .map((n) => n.name)
        .sort();
    r.record(beat('a'), { line: 'k', zone: 'z1' }, 0);
    r.record(beat('b'), { line: 'k', zone: 'z2' }, 0);
    r.record(beat('c'), { line: 'other' }, 0);
    expect(names({ line: 'k' }, 0)).toEqual(['a', 'b']);
    expect(names({ line: 'k', zone: 'z2' }, 0)).toEqual(['b']);
    expect(names({ line: 'k', zone: 'z3' }, 0)).toEqual([]);
    expect(names({}, 0)).toEqual(['a', 'b', 'c']);
    // Relabelled by its Node object: in a heartbeat, or while offline.
    r.record(beat('a'), { line: 'other' }, 1);
    r.setNodeLabels('c', { line: 'k', zone: 'z2' });
    expect(names({ line: 'k' }, 1)).toEqual(['b', 'c']);
    expect(names({ line: 'other' }, 1)).toEqual(['a']);
    expect(names({ zone: 'z2' }, 1)).toEqual(['b', 'c']);
    r.record(beat('a'), { line: 'other' }, 9_000);
    expect(r.evict(10_001)).toEqual([KEY]);
    expect(names({ line: 'k' }, 10_001)).toEqual([]);
    expect(names({ line: 'other' }, 10_001)).toEqual(['a']);
  });
  it('keeps the totals of a job status across an operator restart, without counting a running agent twice', () => {
    const uploaded = (r: EdgeRegistry, node: string) =>
      r.selectedNodes(KEY, {}, 10).find((n) => n.name === node)?.report?.samplesUploaded;
    const listed = (name: string, samplesUploaded: number) => ({
      name,
      state: 'Online' as const,
      lastSeen: new Date(0).toISOString(),
      samplesUploaded,
    });
    const r = new EdgeRegistry({ staleAfterMs: 1_000, evictAfterMs: 10_000 });
    // The earlier operator had counted 14 from each; a heartbeats before the job is reconciled.
    r.record(beat('a', { samplesUploaded: 16 }), {}, 1); // a kept running: 14 then 2 more
    r.restore(KEY, [listed('a', 14), listed('b', 14), listed('c', 14)], 2);
    r.record(beat('b', { samplesUploaded: 3 }), {}, 3); // b restarted: counts from zero again
    r.record(beat('c', { samplesUploaded: 15 }), {}, 3); // c kept running: one more
    expect([uploaded(r, 'a'), uploaded(r, 'b'), uploaded(r, 'c')]).toEqual([16, 17, 15]);
    // The restored totals are taken up once: later heartbeats add increments only.
    r.record(beat('b', { samplesUploaded: 5 }), {}, 4);
    expect(uploaded(r, 'b')).toBe(19);
  });
});
